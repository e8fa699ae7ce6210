"""Investigation requests: the department is told, answers what it needs to, and sees no more than that."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, Cast
from liaison.accounts.services import user_create
from liaison.cases.services import case_open
from liaison.investigations import services
from liaison.investigations.models import RequestStatus
from liaison.lib.errors import ApplicationError

CONTACT = {
    "complainant_is_patient": False,
    "complainant_name": "Rosalind Contactperson",
    "complainant_relationship": "daughter",
    "complainant_phone": "07700 900123",
    "complainant_email": "rosalind@example.net",
    "complainant_address": "12 Privet Row, Millbridge",
    "consent_method": "written",
}


@pytest.fixture
def case(cast: Cast):  # type: ignore[no-untyped-def]
    cast.ed.leads.add(cast.investigator)
    return case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="letter",
        owner=cast.officer,
        patient_name="Walter Patientname",
        patient_mrn="RGH1234567",
        account="My father waited six hours in the emergency department.",
        issues=[
            {"category": "institutional_processes", "severity": 2, "department": cast.ed, "summary": "Six-hour wait"},
            {
                "category": "communication",
                "severity": 1,
                "department": cast.ed,
                "summary": "Nobody explained the delay",
            },
        ],
        **CONTACT,
    )


@pytest.fixture
def cardiology_investigator(cast: Cast):  # type: ignore[no-untyped-def]
    return user_create(
        acting_user=None,
        email="cardio@rgh.example",
        full_name="Carla Cardio",
        password=PASSWORD,
        roles=["investigator"],
        sites=[cast.rgh],
        departments=[cast.cardiology],
    )


def test_a_request_emails_the_department_without_patient_details(
    cast: Cast, case, smtp_server, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request = services.investigation_request(
            acting_user=cast.officer, case=case, department=cast.ed, questions="Why the wait?"
        )
    assert request.due_date > timezone.localdate()
    [message] = smtp_server.to(cast.investigator.email)
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert case.reference in message["Subject"] and "Emergency Department" in message["Subject"]
    assert f"/investigations/{request.pk}/" in body
    for secret in ("Walter", "RGH1234567", "Rosalind", "six hours"):
        assert secret not in body and secret not in message["Subject"]


def test_the_default_due_date_uses_the_sites_working_days(cast: Cast, case) -> None:
    cast.rgh.investigation_days = 5
    cast.rgh.save()
    request = services.investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions="?")
    assert request.due_date.weekday() < 5
    assert 5 <= (request.due_date - timezone.localdate()).days <= 11


def test_the_investigator_page_and_api_show_only_what_is_needed(cast: Cast, case, as_user) -> None:
    other = services.investigation_request(
        acting_user=cast.officer, case=case, department=cast.cardiology, questions="Cardiology?"
    )
    mine = services.investigation_request(
        acting_user=cast.officer, case=case, department=cast.ed, questions="Why the wait?"
    )
    other.statement = "Cardiology's private answer"
    other.save()
    client = as_user(cast.investigator)
    page = client.get(reverse("investigations:detail", args=[mine.pk])).content.decode()
    api_list = client.get("/api/v1/investigations/requests").content.decode()
    api_item = client.get(f"/api/v1/investigations/requests/{mine.pk}").content.decode()
    for text in (page, api_item):
        assert "Walter Patientname" in text and "RGH1234567" in text and "six hours" in text and "Six-hour wait" in text
    for text in (page, api_list, api_item):
        for secret in (
            "Rosalind",
            "07700 900123",
            "rosalind@example.net",
            "Privet Row",
            "daughter",
            "Cardiology's private answer",
            "Cardiology?",
        ):
            assert secret not in text, secret
    assert [item["id"] for item in json.loads(api_list)["items"]] == [mine.pk]


def test_another_departments_investigator_gets_404(cast: Cast, case, cardiology_investigator, as_user) -> None:
    request = services.investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions="?")
    client = as_user(cardiology_investigator)
    assert client.get(reverse("investigations:detail", args=[request.pk])).status_code == 404
    assert client.get(f"/api/v1/investigations/requests/{request.pk}").status_code == 404
    assert json.loads(client.get("/api/v1/investigations/requests").content) == {"items": [], "next": None}
    # Nor can they reach the case itself.
    assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 404


@pytest.mark.parametrize("role", ["officer", "manager", "executive", "auditor", "admin", "outsider"])
def test_only_investigators_of_the_department_open_request_pages_and_api(cast: Cast, case, as_user, role: str) -> None:
    request = services.investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions="?")
    client = as_user(getattr(cast, role))
    assert client.get(reverse("investigations:detail", args=[request.pk])).status_code == 404
    assert client.get(f"/api/v1/investigations/requests/{request.pk}").status_code == 404


def test_the_api_refuses_a_password_only_session(cast: Cast, case, client) -> None:
    services.investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions="?")
    client.force_login(cast.investigator)  # no second factor
    assert client.get("/api/v1/investigations/requests").status_code == 401


def test_answering_with_findings_and_evidence_tells_the_owner(
    cast: Cast, case, as_user, smtp_server, django_capture_on_commit_callbacks
) -> None:
    request = services.investigation_request(
        acting_user=cast.officer, case=case, department=cast.ed, questions="Why the wait?"
    )
    issues = list(case.issues.order_by("pk"))
    client = as_user(cast.investigator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("investigations:detail", args=[request.pk]),
            {
                "answer": "1",
                "statement": "The department was at full capacity that night.",
                f"finding_{issues[0].pk}": "Triage was done within 15 minutes; the wait for a doctor was long.",
                "evidence": SimpleUploadedFile("rota.pdf", b"%PDF-1.4 rota"),
            },
        )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.ANSWERED and request.answered_by == cast.investigator
    assert request.findings.get().issue == issues[0]
    assert request.evidence.get().original_name == "rota.pdf"
    assert smtp_server.to(cast.officer.email)
    page = as_user(cast.officer).get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "full capacity" in page and "rota.pdf" in page
    with pytest.raises(ApplicationError, match="already been answered"):
        services.investigation_answer(acting_user=cast.investigator, request=request, statement="again", findings={})


def test_more_time_is_asked_for_and_decided_by_the_officer(cast: Cast, case) -> None:
    request = services.investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions="?")
    until = request.due_date + timedelta(days=7)
    with pytest.raises(ApplicationError, match="why"):
        services.investigation_ask_more_time(acting_user=cast.investigator, request=request, until=until, reason="")
    services.investigation_ask_more_time(
        acting_user=cast.investigator, request=request, until=until, reason="Consultant on leave"
    )
    with pytest.raises(ApplicationError, match="cannot work on cases"):
        services.investigation_decide_more_time(acting_user=cast.investigator, request=request, grant=True)
    request = services.investigation_decide_more_time(acting_user=cast.officer, request=request, grant=True)
    assert request.due_date == until and request.extension_status == "granted"


def test_chase_reassign_and_close(
    cast: Cast, case, cardiology_investigator, smtp_server, django_capture_on_commit_callbacks
) -> None:
    request = services.investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions="?")
    with django_capture_on_commit_callbacks(execute=True):
        services.investigation_chase(acting_user=cast.officer, request=request)
    assert any("Reminder" in m["Subject"] for m in smtp_server.to(cast.investigator.email))
    with django_capture_on_commit_callbacks(execute=True):
        services.investigation_reassign(acting_user=cast.officer, request=request, department=cast.cardiology)
    assert smtp_server.to(cardiology_investigator.email)
    with pytest.raises(ApplicationError, match="own site"):
        services.investigation_reassign(acting_user=cast.officer, request=request, department=cast.hpm_er)
    request = services.investigation_close(acting_user=cast.officer, request=request)
    assert request.status == "closed"
    with pytest.raises(ApplicationError, match="cannot work on cases"):
        services.investigation_request(acting_user=cast.outsider, case=case, department=cast.ed, questions="?")


def test_the_api_list_comes_a_bounded_page_at_a_time_in_due_order(cast: Cast, case, as_user) -> None:
    from liaison.investigations.models import InvestigationRequest

    made = [
        services.investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions=f"Q{n}")
        for n in range(7)
    ]
    today = timezone.localdate()
    # Two share a due date, so the id breaks the tie; the order runs against the order of creation.
    for n, item in enumerate(made):
        InvestigationRequest.objects.filter(pk=item.pk).update(due_date=today + timedelta(days=(7 - n) // 2))
    made[0].refresh_from_db()
    expected = list(InvestigationRequest.objects.filter(pk__in=[m.pk for m in made]).order_by("due_date", "pk"))
    client = as_user(cast.investigator)
    seen: list[int] = []
    after = ""
    pages = 0
    while True:
        body = json.loads(client.get("/api/v1/investigations/requests", {"limit": 3, "after": after}).content)
        assert len(body["items"]) <= 3
        seen += [item["id"] for item in body["items"]]
        pages += 1
        if body["next"] is None:
            break
        after = body["next"]
    assert pages == 3
    assert seen == [item.pk for item in expected]

    InvestigationRequest.objects.filter(pk=made[0].pk).update(status=RequestStatus.ANSWERED)
    answered = json.loads(client.get("/api/v1/investigations/requests", {"status": "answered"}).content)
    assert [item["id"] for item in answered["items"]] == [made[0].pk]
    too_many = client.get("/api/v1/investigations/requests", {"limit": 5000})
    assert too_many.status_code == 422
    forged = client.get("/api/v1/investigations/requests", {"after": "not-a-cursor"})
    assert forged.status_code == 400
    assert "start again from the first page" in forged.json()["message"]
