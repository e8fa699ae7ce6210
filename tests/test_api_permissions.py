"""The API's permission matrix: every operation, called with a token of every scope held by every role.

For each operation the table below says what each role gets with the operation's own scope; with any other
scope every role gets 403. A role may hold a token with a scope it has no right to (it lost the role after
the token was made): the token then carries nothing, and that is 403 too. Each call runs in a savepoint that
is rolled back, so every call meets the same world.

Outcomes: "ok" (2xx), "empty" (2xx, a list without the world's item), "refused" (400/409: the rules said no
to this request, after the permission checks passed), "403", "404".
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.test import Client, TestCase
from django.utils import timezone

from conftest import Cast, make_cast
from liaison.accounts.models import ApiScope, ApiToken
from liaison.accounts.tokens import TOKEN_PREFIX, digest_of
from liaison.advocacy.services import appeal_record
from liaison.api.v1 import api
from liaison.cases.models import Case
from liaison.cases.services import case_open
from liaison.improvement.services import action_create
from liaison.investigations.services import investigation_request
from liaison.meetings.models import ParticipantKind
from liaison.meetings.services import ParticipantSpec, meeting_schedule

ROLES = ("officer", "manager", "investigator", "executive", "auditor", "admin", "outsider")
READ, WRITE, INGEST, MEASURES = (
    ApiScope.READ_CASES,
    ApiScope.WRITE_CASES,
    ApiScope.INGEST_FEEDBACK,
    ApiScope.READ_MEASURES,
)


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # with {case}, {advocacy}, {request}, {letter} filled from the world
    scope: str | None  # None: signed-in sessions only (every token gets 403)
    outcomes: dict[str, str]  # role → outcome with the operation's own scope
    body: dict[str, Any] = field(default_factory=dict)
    item: str = ""  # for a list: what the world's item looks like in it


def office(result: str, *, executive: str = "403", investigator: str = "404", outsider: str = "404") -> dict[str, str]:
    """Officers and managers get ``result``; auditors and administrators hold no case scope at all."""
    return {
        "officer": result,
        "manager": result,
        "executive": executive,
        "investigator": investigator,
        "outsider": outsider,
        "auditor": "403",
        "admin": "403",
    }


CASE_FIELDS = {"site": "RGH", "case_type": "concern", "channel": "phone", "patient_name": "Matrix Patient"}
OPERATIONS: dict[str, Op] = {
    "list_cases": Op(
        "get",
        "/api/v1/cases?status=any",
        READ,
        office("ok", executive="ok", investigator="empty", outsider="empty"),
        item="{case}",
    ),
    "get_case": Op("get", "/api/v1/cases/{case}", READ, office("ok", executive="ok")),
    "get_timeline": Op("get", "/api/v1/cases/{case}/timeline", READ, office("ok", executive="ok")),
    "create_case": Op(
        "post", "/api/v1/cases", WRITE, office("ok", investigator="403", outsider="refused"), body=CASE_FIELDS
    ),
    "update_case": Op(
        "patch",
        "/api/v1/cases/{case}",
        WRITE,
        office("ok"),
        body={"version": "{version}", "patient_phone": "01632 960123"},
    ),
    "add_issue": Op("post", "/api/v1/cases/{case}/issues", WRITE, office("ok"), body={"summary": "Parking"}),
    "update_issue": Op(
        "put", "/api/v1/cases/{case}/issues/{issue}", WRITE, office("ok"), body={"summary": "Letter lost twice"}
    ),
    "remove_issue": Op("delete", "/api/v1/cases/{case}/issues/{issue}", WRITE, office("ok")),
    "add_note": Op("post", "/api/v1/cases/{case}/notes", WRITE, office("ok"), body={"summary": "Rang the ward"}),
    "acknowledge": Op("post", "/api/v1/cases/{case}/acknowledge", WRITE, office("ok")),
    "start_investigation": Op("post", "/api/v1/cases/{case}/start-investigation", WRITE, office("ok")),
    "response_drafted": Op("post", "/api/v1/cases/{case}/response-drafted", WRITE, office("refused")),
    "respond": Op("post", "/api/v1/cases/{case}/respond", WRITE, office("refused")),
    # A complaint closes only once its response is recorded as sent.
    "close": Op("post", "/api/v1/cases/{case}/close", WRITE, office("refused"), body={"note": "Sorted"}),
    "reopen": Op("post", "/api/v1/cases/{case}/reopen", WRITE, office("refused"), body={"reason": "More to say"}),
    "withdraw": Op("post", "/api/v1/cases/{case}/withdraw", WRITE, office("ok"), body={"reason": "They asked"}),
    "refer": Op(
        "post",
        "/api/v1/cases/{case}/refer",
        WRITE,
        office("ok"),
        body={"body": "ombudsman", "referred_on": "2026-12-01"},
    ),
    "assign": Op("post", "/api/v1/cases/{case}/assign", WRITE, office("ok"), body={"owner_id": None}),
    "convert": Op("post", "/api/v1/cases/{case}/convert", WRITE, office("ok"), body={"case_type": "concern"}),
    "extension": Op(
        "post",
        "/api/v1/cases/{case}/extension",
        WRITE,
        office("ok"),
        body={"until": "{in_60_days}", "agreement": "By phone"},
    ),
    "time_limit_decision": Op(
        "post",
        "/api/v1/cases/{case}/time-limit-decision",
        WRITE,
        office("refused"),
        body={"good_reason": True, "fair_investigation_possible": True, "notes": "Fine"},
    ),
    "resolve_informally": Op(
        "post",
        "/api/v1/cases/{case}/resolve-informally",
        WRITE,
        office("refused"),
        body={"outcome": "resolved_first_contact"},
    ),
    "list_requests": Op(
        "get",
        "/api/v1/investigations/requests",
        READ,
        office("empty", executive="empty", investigator="ok", outsider="empty"),
        item="{case}",
    ),
    "get_request": Op(
        "get", "/api/v1/investigations/requests/{request}", READ, office("404", executive="404", investigator="ok")
    ),
    "answer_request": Op(
        "post",
        "/api/v1/investigations/requests/{request}/answer",
        WRITE,
        office("404", investigator="ok"),
        body={"statement": "We looked into it."},
    ),
    "case_requests": Op("get", "/api/v1/investigations/cases/{case}/requests", READ, office("ok", executive="404")),
    "case_letters": Op("get", "/api/v1/cases/{case}/letters", READ, office("ok", executive="404")),
    "get_letter": Op("get", "/api/v1/letters/{letter}", READ, office("ok", executive="404")),
    "letter_pdf": Op(
        "get", "/api/v1/letters/{letter}/pdf", READ, office("404", executive="404")
    ),  # no PDF until signed
    "case_meetings": Op(
        "get", "/api/v1/cases/{case}/meetings", READ, office("ok", executive="empty"), item="mediation"
    ),
    "case_appeals": Op("get", "/api/v1/cases/{advocacy}/appeals", READ, office("ok", executive="404")),
    "ingest": Op(
        "post",
        "/api/v1/feedback/responses",
        INGEST,
        office("ok", executive="403", investigator="403", outsider="refused"),
        body={
            "site": "RGH",
            "system": "Kiosk",
            "answers": [{"external_id": "k-1", "received_on": "2026-11-30", "fft_score": 1}],
        },
    ),
    "list_actions": Op(
        "get",
        "/api/v1/improvement/actions",
        MEASURES,
        office("ok", executive="ok", investigator="403", outsider="empty"),
        item="Signage",
    ),
    "measures": Op(
        "get",
        "/api/v1/measures?site=RGH",
        MEASURES,
        office("ok", executive="ok", investigator="403", outsider="refused"),
    ),
    "interview_scores": Op("get", "/api/v1/hiring/interviews/1/scores", None, {role: "403" for role in ROLES}),
}


class ApiPermissionMatrix(TestCase):
    cast: Cast
    values: dict[str, str]
    tokens: dict[tuple[str, str], str]

    @classmethod
    def setUpTestData(cls) -> None:
        cast = make_cast()
        cls.cast = cast
        case = case_open(
            acting_user=cast.officer,
            site=cast.rgh,
            case_type="complaint",
            channel="letter",
            owner=cast.officer,
            patient_name="Matrix Patient",
            issues=[{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Letter lost"}],
        )
        request = investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions="Why?")
        from liaison.correspondence.services import letter_draft

        letter = letter_draft(acting_user=cast.officer, case=case, kind="acknowledgement")
        starts = timezone.now() + timedelta(days=3)
        meeting_schedule(
            acting_user=cast.officer,
            case=case,
            kind="mediation",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            participants=[ParticipantSpec(kind=ParticipantKind.STAFF, user=cast.manager)],
            place="Quiet room, Ward 7",
        )
        advocacy = case_open(
            acting_user=cast.officer, site=cast.rgh, case_type="advocacy", channel="phone", patient_name="Pat Matrix"
        )
        appeal_record(
            acting_user=cast.officer,
            case=advocacy,
            org_name="Acme Health Plan",
            org_kind="payer",
            plan_type="erisa_employer",
            level="internal",
            urgency="standard",
            timing="post_service",
            decision_received_on=date(2026, 11, 5),
            service="MRI of the knee",
            amount=Decimal("1200.00"),
        )
        action_create(
            acting_user=cast.officer,
            site=cast.rgh,
            what="Signage to the clinic",
            why="Patients got lost",
            owner=cast.manager,
            due_date=date(2027, 1, 31),
        )
        cls.values = {
            "case": case.reference,
            "advocacy": advocacy.reference,
            "request": str(request.pk),
            "letter": str(letter.pk),
            "issue": str(case.issues.get().pk),
            "in_60_days": (timezone.localdate() + timedelta(days=60)).isoformat(),
            "version": str(Case.objects.get(pk=case.pk).version),
        }
        cls.tokens = {}
        for role in ROLES:
            user = getattr(cast, role)
            for scope in ApiScope.values:
                # Made as a row, not by token_create, which refuses a scope the user lacks: this is the token of
                # someone who has since lost the role that allowed it.
                secret = TOKEN_PREFIX + secrets.token_urlsafe(30)
                ApiToken.objects.create(
                    user=user,
                    name=f"{role} {scope}",
                    prefix=secret[:12],
                    digest=digest_of(secret),
                    scopes=[scope],
                    created_by=user,
                    expires_at=timezone.now() + timedelta(days=1),
                )
                cls.tokens[(role, scope)] = secret

    def _fill(self, text: str) -> str:
        for name, value in self.values.items():
            text = text.replace("{" + name + "}", value)
        return text

    def _call(self, op: Op, secret: str) -> tuple[int, Any]:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        path = self._fill(op.path)
        body = json.loads(self._fill(json.dumps(op.body))) if op.body or op.method != "get" else None
        with transaction.atomic():
            if op.method == "get":
                answer = client.get(path)
            else:
                answer = getattr(client, op.method)(path, data=json.dumps(body or {}), content_type="application/json")
            transaction.set_rollback(True)
        json_body = answer.get("Content-Type", "").startswith("application/json") and answer.content
        content = answer.json() if json_body else None
        return answer.status_code, content

    def _judge(self, op: Op, status: int, content: Any) -> str:
        if status in (200, 201, 204):
            if op.item:
                listed = content["items"] if isinstance(content, dict) else content
                return "ok" if self._fill(op.item) in json.dumps(listed) else "empty"
            return "ok"
        if status in (400, 409):
            return "refused"
        return str(status)

    def test_the_table_names_every_operation_of_the_api(self) -> None:
        paths = api.get_openapi_schema()["paths"]
        functions = {op["operationId"].partition("_api_")[2] for path in paths.values() for op in path.values()}
        assert functions == set(OPERATIONS)

    def test_every_operation_with_every_scope_and_role(self) -> None:
        wrong: list[str] = []
        calls = 0
        for name, op in OPERATIONS.items():
            for role in ROLES:
                for scope in ApiScope.values:
                    expected = op.outcomes[role] if scope == op.scope else "403"
                    status, content = self._call(op, self.tokens[(role, scope)])
                    calls += 1
                    got = self._judge(op, status, content)
                    if got != expected:
                        message = content.get("message", "") if isinstance(content, dict) else ""
                        wrong.append(
                            f"{name:22} {role:12} {scope:16} expected {expected:8} got {got} ({status}) {message}"
                        )
        assert calls == len(OPERATIONS) * len(ROLES) * len(ApiScope.values)
        assert not wrong, "\n" + "\n".join(wrong)

    def test_a_revoked_or_expired_token_is_refused_everywhere(self) -> None:
        secret = self.tokens[("officer", READ)]
        token = ApiToken.objects.get(digest=digest_of(secret))
        for change in ({"revoked_at": timezone.now()}, {"expires_at": timezone.now() - timedelta(seconds=1)}):
            ApiToken.objects.filter(pk=token.pk).update(**change)
            for name, op in OPERATIONS.items():
                status, content = self._call(op, secret)
                assert status == 401, (name, change, status)
                assert content["message"].startswith("Sign in first")
            ApiToken.objects.filter(pk=token.pk).update(revoked_at=None, expires_at=timezone.now() + timedelta(days=1))
