"""A restricted case's investigation request: the department sees who the patient is only when the officer
shared it, and every view of such a request is audited as a view of a restricted case."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.services import case_open, case_set_restriction
from liaison.investigations import services
from liaison.investigations.models import InvestigationRequest

PATIENT = ("Walter Patientname", "RGH1234567", "waited six hours")


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
            {"category": "institutional_processes", "severity": 2, "department": cast.ed, "summary": "Six-hour wait"}
        ],
    )


@pytest.fixture
def restricted(cast: Cast, case):  # type: ignore[no-untyped-def]
    return case_set_restriction(acting_user=cast.officer, case=case, restricted=True, reason="vip", users=[])


def _send(client, case, **extra: str) -> InvestigationRequest:  # type: ignore[no-untyped-def]
    """The officer's own form, as they would fill it in."""
    data = {"department": str(case.issues.get().department_id), "questions": "Why the wait?", **extra}
    response = client.post(reverse("investigations:new", args=[case.reference]), data)
    assert response.status_code == 302, response.content.decode()
    return InvestigationRequest.objects.get(case=case)


def _investigator_reads(cast: Cast, as_user, item: InvestigationRequest) -> tuple[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    client = as_user(cast.investigator)
    page = client.get(reverse("investigations:detail", args=[item.pk]))
    api = client.get(f"/api/v1/investigations/requests/{item.pk}")
    assert page.status_code == 200 and api.status_code == 200
    return page.content.decode(), json.loads(api.content)


def _pages_audited(cast: Cast) -> list[str]:
    views = AuditEvent.objects.filter(action="view", actor=cast.investigator).order_by("id")
    return [event.details["page"] for event in views]


def test_the_form_asks_to_share_only_for_a_restricted_case_and_starts_unticked(cast: Cast, case, as_user) -> None:
    client = as_user(cast.officer)
    url = reverse("investigations:new", args=[case.reference])
    assert "Share the patient&#x27;s identity" not in client.get(url).content.decode()
    case_set_restriction(acting_user=cast.officer, case=case, restricted=True, reason="vip", users=[])
    form = client.get(url).content.decode()
    assert "Share the patient&#x27;s identity with the investigator" in form
    assert 'name="share_identity"' in form and "checked" not in form


def test_the_investigator_does_not_see_a_restricted_patient_unless_shared(cast: Cast, restricted, as_user) -> None:
    item = _send(as_user(cast.officer), restricted)
    page, api = _investigator_reads(cast, as_user, item)
    for value in PATIENT:
        assert value not in page, value
        assert value not in json.dumps(api), value
    assert api["identity_shared"] is False
    assert api["patient_name"] is None and api["patient_mrn"] is None and api["account"] is None
    # What they need to answer is still there.
    assert "Why the wait?" in page and "Six-hour wait" in page and "Not shared with your department" in page
    assert api["questions"] == "Why the wait?" and api["issues"][0]["summary"] == "Six-hour wait"
    assert _pages_audited(cast) == [
        "investigation request (restricted case)",
        "investigation request (API, restricted case)",
    ]
    assert item.share_identity is False


def test_the_investigator_sees_a_restricted_patient_the_officer_chose_to_share(cast: Cast, restricted, as_user) -> None:
    item = _send(as_user(cast.officer), restricted, share_identity="on")
    assert item.share_identity is True
    page, api = _investigator_reads(cast, as_user, item)
    for value in PATIENT:
        assert value in page, value
    assert (api["patient_name"], api["patient_mrn"], api["identity_shared"]) == (
        "Walter Patientname",
        "RGH1234567",
        True,
    )
    assert "waited six hours" in str(api["account"])
    assert _pages_audited(cast) == [
        "investigation request (restricted case, identity shared)",
        "investigation request (API, restricted case, identity shared)",
    ]
    # The case's timeline tells the officers what was shared.
    assert restricted.timeline.filter(summary__contains="patient's identity shared").exists()


def test_an_unrestricted_case_shows_the_patient_as_before(cast: Cast, case, as_user) -> None:
    item = _send(as_user(cast.officer), case)
    page, api = _investigator_reads(cast, as_user, item)
    for value in PATIENT:
        assert value in page, value
    assert api["patient_name"] == "Walter Patientname" and api["identity_shared"] is True
    assert _pages_audited(cast) == ["investigation request", "investigation request (API)"]


def test_restricting_a_case_after_the_request_was_sent_hides_the_patient(cast: Cast, case, as_user) -> None:
    item = services.investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions="?")
    case_set_restriction(acting_user=cast.officer, case=case, restricted=True, reason="safeguarding", users=[])
    page, api = _investigator_reads(cast, as_user, item)
    for value in PATIENT:
        assert value not in page, value
        assert value not in json.dumps(api), value
    assert _pages_audited(cast)[-1] == "investigation request (API, restricted case)"
