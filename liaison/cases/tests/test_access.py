"""Who may see and work on cases: every case view and service, for the whole shared cast."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases import services
from liaison.cases.models import Case
from liaison.lib.errors import ApplicationError

ROLES = ["officer", "manager", "investigator", "executive", "auditor", "admin", "outsider"]


def urls(case: Case) -> dict[str, str]:
    ref = case.reference
    return {
        "worklist": reverse("cases:worklist"),
        "intake": reverse("cases:intake"),
        "detail": reverse("cases:detail", args=[ref]),
        "edit": reverse("cases:edit", args=[ref]),
        "acknowledge": reverse("cases:action", args=[ref, "acknowledge"]),
        "note": reverse("cases:action", args=[ref, "note"]),
        "restrict": reverse("cases:action", args=[ref, "restrict"]),
    }


EXPECTED = {
    "officer": {
        "worklist": 200,
        "intake": 200,
        "detail": 200,
        "edit": 200,
        "acknowledge": 200,
        "note": 200,
        "restrict": 200,
    },
    "manager": {
        "worklist": 200,
        "intake": 200,
        "detail": 200,
        "edit": 200,
        "acknowledge": 200,
        "note": 200,
        "restrict": 200,
    },
    "executive": {
        "worklist": 200,
        "intake": 404,
        "detail": 200,
        "edit": 404,
        "acknowledge": 404,
        "note": 404,
        "restrict": 404,
    },
    "investigator": dict.fromkeys(["worklist", "intake", "detail", "edit", "acknowledge", "note", "restrict"], 404),
    "auditor": dict.fromkeys(["worklist", "intake", "detail", "edit", "acknowledge", "note", "restrict"], 404),
    "admin": dict.fromkeys(["worklist", "intake", "detail", "edit", "acknowledge", "note", "restrict"], 404),
    # An officer at the other hospital: the lists open (empty of Riverside's cases), the case does not exist for them.
    "outsider": {
        "worklist": 200,
        "intake": 200,
        "detail": 404,
        "edit": 404,
        "acknowledge": 404,
        "note": 404,
        "restrict": 404,
    },
}


@pytest.mark.parametrize("role", ROLES)
def test_case_pages_open_only_to_the_right_people(cast: Cast, open_case, as_user, role: str) -> None:
    case = open_case()
    client = as_user(getattr(cast, role))
    got = {name: client.get(url).status_code for name, url in urls(case).items()}
    assert got == EXPECTED[role]


@pytest.mark.parametrize("role", ROLES)
def test_worklist_lists_a_case_only_to_those_who_may_see_it(cast: Cast, open_case, as_user, role: str) -> None:
    case = open_case(owner=None)
    page = as_user(getattr(cast, role)).post(reverse("cases:worklist"), {"view": "site", "status": "open"}, follow=True)
    if page.status_code == 404:
        assert role in ("investigator", "auditor", "admin")
        return
    assert (case.reference in page.content.decode()) == (role in ("officer", "manager", "executive"))


def test_the_executive_sees_no_patient_identity(cast: Cast, open_case, as_user) -> None:
    case = open_case(
        patient_phone="01632 960123",
        complainant_is_patient=False,
        complainant_name="Bea Relative",
        complainant_relationship="daughter",
        consent_method="verbal",
    )
    client = as_user(cast.executive)
    for response in (
        client.get(reverse("cases:detail", args=[case.reference])),
        client.post(reverse("cases:worklist"), {"view": "site"}, follow=True),
    ):
        page = response.content.decode()
        assert case.reference in page
        for secret in ("Ada Testpatient", "RGH0000001", "01632 960123", "Bea Relative", "call bell for an hour"):
            assert secret not in page
    # Searching by a patient's name finds nothing for the executive.
    page = client.post(reverse("cases:worklist"), {"view": "site", "q": "Testpatient"}, follow=True).content.decode()
    assert case.reference not in page


def test_a_restricted_case_is_hidden_from_everyone_not_named(cast: Cast, open_case, as_user) -> None:
    case = open_case()
    services.case_set_restriction(
        acting_user=cast.officer, case=case, restricted=True, reason="staff_as_patient", users=[]
    )
    assert as_user(cast.officer).get(reverse("cases:detail", args=[case.reference])).status_code == 200
    for person in (cast.manager, cast.executive):
        client = as_user(person)
        assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 404
        assert (
            case.reference not in client.post(reverse("cases:worklist"), {"view": "site"}, follow=True).content.decode()
        )
    services.case_set_restriction(
        acting_user=cast.officer, case=case, restricted=True, reason="staff_as_patient", users=[cast.manager]
    )
    assert as_user(cast.manager).get(reverse("cases:detail", args=[case.reference])).status_code == 200


def test_every_view_of_a_case_page_is_audited(cast: Cast, open_case, as_user) -> None:
    case = open_case()
    as_user(cast.manager).get(reverse("cases:detail", args=[case.reference]))
    as_user(cast.executive).get(reverse("cases:detail", args=[case.reference]))
    views = AuditEvent.objects.filter(action="view", object_type="cases.case", object_id=str(case.pk))
    assert {(e.actor, e.details["page"]) for e in views} == {
        (cast.manager, "case detail"),
        (cast.executive, "case detail (no identity)"),
    }


@pytest.mark.parametrize("role", ["investigator", "executive", "auditor", "admin", "outsider"])
def test_services_refuse_people_who_cannot_work_the_case(cast: Cast, open_case, role: str) -> None:
    case = open_case()
    person = getattr(cast, role)
    calls = [
        lambda: services.case_acknowledge(acting_user=person, case=case),
        lambda: services.case_add_note(acting_user=person, case=case, kind="note", summary="x"),
        lambda: services.case_update(acting_user=person, case=case, expected_version=case.version, account="changed"),
        lambda: services.case_assign(acting_user=person, case=case, owner=None),
        lambda: services.case_open(
            acting_user=person, site=cast.rgh, case_type="concern", channel="phone", patient_known=False
        ),
        lambda: services.case_start_investigation(acting_user=person, case=case),
        lambda: services.case_close(acting_user=person, case=case),
        lambda: services.case_withdraw(acting_user=person, case=case, reason="x"),
        lambda: services.case_convert(acting_user=person, case=case, new_type="concern"),
        lambda: services.case_set_phso_stage(acting_user=person, case=case, stage="early_resolution"),
        lambda: services.case_set_restriction(acting_user=person, case=case, restricted=True, reason="vip", users=[]),
        lambda: services.issue_add(acting_user=person, case=case, category="quality", severity=1, summary="x"),
        lambda: services.case_link(acting_user=person, case=case, other=case),
    ]
    for call in calls:
        with pytest.raises(ApplicationError, match="cannot work on cases at this site"):
            call()
    assert Case.objects.get(pk=case.pk).status == "new"


def test_an_attachment_downloads_only_through_the_checked_view(cast: Cast, open_case, as_user) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = open_case()
    attachment = services.case_add_attachment(
        acting_user=cast.officer, case=case, upload=SimpleUploadedFile("letter.pdf", b"%PDF-1.4 test")
    )
    url = reverse("cases:attachment", args=[case.reference, attachment.pk])
    response = as_user(cast.officer).get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    for person in (cast.outsider, cast.executive, cast.investigator):
        assert as_user(person).get(url).status_code == 404
    # Stored outside the web root: not under the static files Liaison serves.
    from django.conf import settings

    assert attachment.file.path.startswith(str(settings.MEDIA_ROOT))
    assert not attachment.file.path.startswith(str(settings.STATIC_ROOT))


@pytest.mark.parametrize("role", ROLES)
def test_every_case_action_page_opens_only_to_officers_and_managers_of_the_site(
    cast: Cast, open_case, as_user, role: str
) -> None:
    from liaison.cases.views import ACTIONS

    case = open_case()
    client = as_user(getattr(cast, role))
    allowed = role in ("officer", "manager")
    for name in ACTIONS:
        status = client.get(reverse("cases:action", args=[case.reference, name])).status_code
        assert status == (200 if allowed else 404), (role, name)
    issue = case.issues.get()
    response = client.post(reverse("cases:issue-remove", args=[case.reference, issue.pk]))
    assert (response.status_code == 302) == allowed
    assert case.issues.exists() != allowed
