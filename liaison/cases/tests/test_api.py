"""The cases API does what it says: each call changes the case as the page would, and a reread shows it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from conftest import Cast
from liaison.accounts.models import ApiScope, User
from liaison.accounts.tokens import token_create
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case, Status, TimelineEvent, TimelineKind
from liaison.cases.services import case_open

ALL_CASE_SCOPES = [ApiScope.READ_CASES, ApiScope.WRITE_CASES]


def _client(user: User, scopes: list[str] | None = None) -> Client:
    made = token_create(acting_user=user, user=user, name="test", scopes=scopes or ALL_CASE_SCOPES)
    return Client(HTTP_AUTHORIZATION=f"Bearer {made.secret}")


def _post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, data=json.dumps(body or {}), content_type="application/json")


def _patch(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.patch(path, data=json.dumps(body), content_type="application/json")


def _case(cast: Cast, **fields: Any) -> Case:
    values: dict[str, Any] = {
        "acting_user": cast.officer,
        "site": cast.rgh,
        "case_type": "complaint",
        "channel": "letter",
        "patient_name": "Wilhelmina Apitest",
        "patient_mrn": "RGH0099001",
        "account": "The discharge letter never arrived.",
        "issues": [{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Letter"}],
    }
    return case_open(**(values | fields))


def test_a_case_logged_over_the_api_is_saved_with_its_issues_and_audited(cast: Cast) -> None:
    client = _client(cast.officer)
    answer = _post(
        client,
        "/api/v1/cases",
        {
            "site": "RGH",
            "case_type": "complaint",
            "channel": "email",
            "patient_name": "Ottoline Intake",
            "patient_mrn": "RGH0012345",
            "account": "Waited six hours in the emergency department.",
            "issues": [{"summary": "Long wait", "category": "environment", "severity": 2, "department_id": cast.ed.pk}],
        },
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    case = Case.objects.get(reference=body["reference"])
    assert (case.patient_name, case.patient_mrn, case.channel) == ("Ottoline Intake", "RGH0012345", "email")
    assert [(i.summary, i.department_id) for i in case.issues.all()] == [("Long wait", cast.ed.pk)]
    assert body["issues"][0]["summary"] == "Long wait" and body["version"] == case.version
    assert AuditEvent.objects.filter(action="case.create", object_id=str(case.pk), actor=cast.officer).exists()
    # The next read shows it.
    again = client.get(f"/api/v1/cases/{case.reference}").json()
    assert again["patient_name"] == "Ottoline Intake" and again["status"] == "new"


def test_an_edit_changes_the_case_and_an_edit_from_an_older_version_is_refused_with_409(cast: Cast) -> None:
    case = _case(cast)
    client = _client(cast.officer)
    answer = _patch(
        client, f"/api/v1/cases/{case.reference}", {"version": case.version, "patient_phone": "01632 960001"}
    )
    assert answer.status_code == 200, answer.content
    case.refresh_from_db()
    assert case.patient_phone == "01632 960001" and answer.json()["version"] == case.version
    assert TimelineEvent.objects.filter(case=case, kind=TimelineKind.EDIT, summary__contains="patient_phone").exists()

    stale = _patch(client, f"/api/v1/cases/{case.reference}", {"version": 1, "patient_phone": "01632 960999"})
    assert stale.status_code == 409
    assert stale.json()["extra"]["current_version"] == case.version
    case.refresh_from_db()
    assert case.patient_phone == "01632 960001"


def test_the_workflow_moves_the_case_through_its_statuses(cast: Cast) -> None:
    case = _case(cast)
    client = _client(cast.officer)
    ref = f"/api/v1/cases/{case.reference}"
    assert _post(client, f"{ref}/acknowledge", {"how": "Letter"}).json()["status"] == "acknowledged"
    assert _post(client, f"{ref}/start-investigation").json()["status"] == "under_investigation"
    assert _post(client, f"{ref}/response-drafted").json()["status"] == "response_drafted"
    responded = _post(client, f"{ref}/respond", {})
    assert responded.json()["status"] == "responded" and responded.json()["responded_at"]
    closed = _post(client, f"{ref}/close", {"note": "All answered."})
    assert closed.status_code == 200, closed.content
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.closed_at is not None
    statuses = [e.data.get("to") for e in TimelineEvent.objects.filter(case=case, kind=TimelineKind.STATUS)]
    assert statuses[-5:] == ["acknowledged", "under_investigation", "response_drafted", "responded", "closed"]

    # A step the case cannot take is refused with the reason, and nothing changes.
    refused = _post(client, f"{ref}/start-investigation")
    assert refused.status_code == 400 and "cannot be moved" in refused.json()["message"]
    case.refresh_from_db()
    assert case.status == Status.CLOSED

    assert _post(client, f"{ref}/reopen", {"reason": "New questions."}).json()["status"] != "closed"


def test_assigning_sets_the_owner_and_refuses_someone_who_cannot_own_cases(cast: Cast) -> None:
    case = _case(cast)
    client = _client(cast.officer)
    answer = _post(client, f"/api/v1/cases/{case.reference}/assign", {"owner_id": cast.manager.pk})
    assert answer.status_code == 200 and answer.json()["owner_id"] == cast.manager.pk
    case.refresh_from_db()
    assert case.owner == cast.manager
    refused = _post(client, f"/api/v1/cases/{case.reference}/assign", {"owner_id": cast.investigator.pk})
    assert refused.status_code == 400 and refused.json()["extra"] == {"field": "owner_id"}
    case.refresh_from_db()
    assert case.owner == cast.manager


def test_a_note_goes_on_the_timeline_and_the_timeline_pages_by_cursor(cast: Cast) -> None:
    case = _case(cast)
    client = _client(cast.officer)
    for number in range(3):
        made = _post(client, f"/api/v1/cases/{case.reference}/notes", {"summary": f"Called back {number}"})
        assert made.status_code == 201
    seen: list[str] = []
    after = None
    while True:
        page = client.get(
            f"/api/v1/cases/{case.reference}/timeline", {"limit": 2, **({"after": after} if after else {})}
        )
        body = page.json()
        seen += [item["summary"] for item in body["items"]]
        after = body["next"]
        if after is None:
            break
    assert seen == list(TimelineEvent.objects.filter(case=case).order_by("pk").values_list("summary", flat=True))
    assert seen[-3:] == ["Called back 0", "Called back 1", "Called back 2"]


def test_the_list_pages_through_every_case_the_caller_may_see_and_no_other(cast: Cast) -> None:
    mine = [_case(cast) for _ in range(5)]
    _case(cast, acting_user=cast.outsider, site=cast.hpm, case_type="grievance", issues=[])  # not the officer's site
    client = _client(cast.officer, [ApiScope.READ_CASES])
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        body = client.get("/api/v1/cases", {"limit": 2, "status": "any", **({"after": after} if after else {})}).json()
        pages += 1
        seen += [item["reference"] for item in body["items"]]
        after = body["next"]
        if after is None:
            break
    assert seen == [case.reference for case in mine] and pages == 3
    listed = AuditEvent.objects.filter(action="case.list_view", actor=cast.officer).order_by("id")
    assert [event.details["cases"] for event in listed] == [[c.pk for c in mine[i : i + 2]] for i in (0, 2, 4)]
    assert "patient_name" not in json.dumps(client.get("/api/v1/cases").json())


def test_an_executive_reads_a_case_without_who_the_patient_is(cast: Cast) -> None:
    case = _case(cast)
    answer = _client(cast.executive, [ApiScope.READ_CASES]).get(f"/api/v1/cases/{case.reference}")
    body = answer.json()
    assert answer.status_code == 200 and body["identity_shown"] is False
    assert body["patient_name"] is None and body["account"] is None
    assert "Apitest" not in answer.content.decode()
    assert AuditEvent.objects.filter(action="view", actor=cast.executive, object_id=str(case.pk)).exists()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("acknowledge", {"when": "not a date"}),
        ("extension", {"until": "2026-13-40", "agreement": "x"}),
        ("assign", {}),
    ],
)
def test_a_malformed_request_is_a_422_with_its_fields(cast: Cast, path: str, body: dict[str, Any]) -> None:
    case = _case(cast)
    answer = _post(_client(cast.officer), f"/api/v1/cases/{case.reference}/{path}", body)
    assert answer.status_code == 422 and answer.json()["extra"]["errors"]
    case.refresh_from_db()
    assert case.status == Status.NEW


def test_a_page_of_cases_costs_the_same_queries_however_many_cases_it_holds(cast: Cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(cast.officer, [ApiScope.READ_CASES])
    client.get("/api/v1/cases")  # the token's first use is recorded once; the pages after it are what count
    counts = []
    for wanted in (2, 12):
        while Case.objects.count() < wanted:
            _case(cast)
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/api/v1/cases", {"limit": 50}).json()
        assert len(body["items"]) == wanted
        counts.append(len(queries))
    assert counts[0] == counts[1] and counts[0] <= 12, counts


def test_an_issue_is_added_recoded_and_removed_with_each_change_on_the_timeline(cast: Cast) -> None:
    case = _case(cast)
    client = _client(cast.officer)
    made = _post(
        client, f"/api/v1/cases/{case.reference}/issues", {"summary": "Parking fines", "category": "environment"}
    )
    assert made.status_code == 201
    issue_id = made.json()["id"]
    changed = client.put(
        f"/api/v1/cases/{case.reference}/issues/{issue_id}",
        data=json.dumps({"summary": "Parking fines at the night shift", "category": "institutional_processes"}),
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["category"] == "institutional_processes"
    issue = case.issues.get(pk=issue_id)
    assert (issue.summary, issue.category) == ("Parking fines at the night shift", "institutional_processes")
    gone = client.delete(f"/api/v1/cases/{case.reference}/issues/{issue_id}")
    assert gone.status_code == 204 and not case.issues.filter(pk=issue_id).exists()
    summaries = list(TimelineEvent.objects.filter(case=case, kind=TimelineKind.EDIT).values_list("summary", flat=True))
    assert summaries[-3:] == [
        "Issue added: Environment (management)",
        "Issue edited: Institutional processes (management)",
        "Issue removed",
    ]
    other = _case(cast)
    assert client.delete(f"/api/v1/cases/{other.reference}/issues/{case.issues.first().pk}").status_code == 404
