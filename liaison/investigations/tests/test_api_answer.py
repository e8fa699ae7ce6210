"""An investigator answers a request over the API; the officer reads the answer on the case's requests."""

from __future__ import annotations

import json

from django.test import Client

from conftest import Cast
from liaison.accounts.models import ApiScope, User
from liaison.accounts.tokens import token_create
from liaison.cases.models import TimelineEvent
from liaison.cases.services import case_open
from liaison.investigations.models import RequestStatus
from liaison.investigations.services import investigation_request


def _client(user: User, scopes: list[str]) -> Client:
    made = token_create(acting_user=user, user=user, name="t", scopes=scopes)
    return Client(HTTP_AUTHORIZATION=f"Bearer {made.secret}")


def test_an_answer_is_saved_with_its_findings_and_the_officer_reads_it(cast: Cast) -> None:
    case = case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="letter",
        owner=cast.officer,
        issues=[{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Not told"}],
    )
    issue = case.issues.get()
    request = investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions="What happened?")
    investigator = _client(cast.investigator, [ApiScope.READ_CASES, ApiScope.WRITE_CASES])
    body = {"statement": "The triage nurse was called away.", "findings": [{"issue_id": issue.pk, "finding": "Upheld"}]}
    answer = investigator.post(
        f"/api/v1/investigations/requests/{request.pk}/answer", data=json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == RequestStatus.ANSWERED
    request.refresh_from_db()
    assert request.statement == "The triage nurse was called away." and request.answered_by == cast.investigator
    assert [(f.issue_id, f.finding) for f in request.findings.all()] == [(issue.pk, "Upheld")]
    assert TimelineEvent.objects.filter(case=case, summary__contains="answered the investigation request").exists()

    again = investigator.post(
        f"/api/v1/investigations/requests/{request.pk}/answer", data=json.dumps(body), content_type="application/json"
    )
    assert again.status_code == 400 and "already been answered" in again.json()["message"]

    officer = _client(cast.officer, [ApiScope.READ_CASES])
    listed = officer.get(f"/api/v1/investigations/cases/{case.reference}/requests").json()
    assert [(r["statement"], r["findings"]) for r in listed] == [
        ("The triage nurse was called away.", {str(issue.pk): "Upheld"})
    ]
