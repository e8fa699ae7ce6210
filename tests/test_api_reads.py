"""What the read operations return is what the pages show: letters (and their PDF), meetings, appeals with
their deadlines, improvement actions and the measures, each checked against the database or the dashboard."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from conftest import Cast
from liaison.accounts.models import ApiScope, User
from liaison.accounts.tokens import token_create
from liaison.advocacy.selectors import deadlines_for
from liaison.advocacy.services import appeal_record
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case
from liaison.cases.services import case_open
from liaison.correspondence.services import letter_draft
from liaison.improvement.services import action_create
from liaison.insights.measures import Period, values
from liaison.meetings.models import ParticipantKind
from liaison.meetings.services import ParticipantSpec, meeting_schedule


def _client(user: User, *scopes: str) -> Client:
    made = token_create(acting_user=user, user=user, name="t", scopes=list(scopes))
    return Client(HTTP_AUTHORIZATION=f"Bearer {made.secret}")


def _case(cast: Cast, case_type: str = "complaint") -> Case:
    return case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type=case_type,
        channel="letter",
        patient_name="Reader Patient",
        issues=[{"category": "communication", "severity": 1, "department": cast.ed, "summary": "Wait"}],
    )


def test_letters_list_read_and_download_with_the_download_audited(cast: Cast) -> None:
    case = _case(cast)
    letter = letter_draft(acting_user=cast.officer, case=case, kind="acknowledgement")
    client = _client(cast.officer, ApiScope.READ_CASES)
    listed = client.get(f"/api/v1/cases/{case.reference}/letters").json()
    assert [(item["id"], item["kind"], item["has_pdf"]) for item in listed] == [(letter.pk, "acknowledgement", False)]
    text = client.get(f"/api/v1/letters/{letter.pk}").json()
    assert text["subject"] == letter.subject and text["body_html"] == letter.body_html
    assert client.get(f"/api/v1/letters/{letter.pk}/pdf").status_code == 404  # none until it is signed

    letter.pdf.save("ack.pdf", ContentFile(b"%PDF-1.7 signed letter"), save=True)
    download = client.get(f"/api/v1/letters/{letter.pk}/pdf")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == b"%PDF-1.7 signed letter"  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(action="letter.download", object_id=str(letter.pk), actor=cast.officer).exists()
    # An executive sees cases without identities, and letters name the patient: not theirs to read.
    assert _client(cast.executive, ApiScope.READ_CASES).get(f"/api/v1/letters/{letter.pk}").status_code == 404


def test_meetings_and_appeals_come_with_who_takes_part_and_each_deadline(cast: Cast) -> None:
    case = _case(cast)
    starts = timezone.now() + timedelta(days=2)
    meeting_schedule(
        acting_user=cast.officer,
        case=case,
        kind="mediation",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        place="Quiet room",
        participants=[ParticipantSpec(kind=ParticipantKind.STAFF, user=cast.manager)],
    )
    advocacy = _case(cast, "advocacy")
    appeal = appeal_record(
        acting_user=cast.officer,
        case=advocacy,
        org_name="Acme Health Plan",
        org_kind="payer",
        plan_type="erisa_employer",
        level="internal",
        urgency="standard",
        timing="post_service",
        decision_received_on=date(2026, 11, 5),
        service="MRI",
        amount=Decimal("1200.00"),
    )
    client = _client(cast.officer, ApiScope.READ_CASES)
    meetings = client.get(f"/api/v1/cases/{case.reference}/meetings").json()
    assert [(m["kind"], m["place"], [p["name"] for p in m["participants"]]) for m in meetings] == [
        ("mediation", "Quiet room", [cast.manager.full_name])
    ]
    appeals = client.get(f"/api/v1/cases/{advocacy.reference}/appeals").json()
    expected = [(d.key, d.due.isoformat() if d.due else None) for d in deadlines_for(appeal)]
    assert [(d["key"], d["due"]) for d in appeals[0]["deadlines"]] == expected and expected[0][1]
    assert client.get(f"/api/v1/cases/{case.reference}/appeals").status_code == 404  # not an advocacy case


def test_improvement_actions_and_the_measures_match_what_the_office_sees(cast: Cast) -> None:
    action = action_create(
        acting_user=cast.officer,
        site=cast.rgh,
        what="Signage to the clinic",
        why="Patients got lost",
        owner=cast.manager,
        due_date=date(2027, 1, 31),
    )
    case = _case(cast)
    client = _client(cast.executive, ApiScope.READ_MEASURES)
    actions = client.get("/api/v1/improvement/actions").json()
    assert [(a["id"], a["what"], a["status"]) for a in actions["items"]] == [(action.pk, action.what, action.status)]

    today = timezone.localdate()
    answer = client.get(
        "/api/v1/measures", {"site": "RGH", "date_from": today.isoformat(), "date_to": today.isoformat()}
    )
    assert answer.status_code == 200, answer.content
    got = {m["key"]: m["value"] for m in answer.json()["measures"]}
    dashboard = values(Case.objects.filter(site=cast.rgh), Period(today, today))
    assert got == {key: (float(v) if v is not None else None) for key, v in dashboard.items()}
    assert got["received"] == 1 == Case.objects.filter(pk=case.pk).count()
    assert AuditEvent.objects.filter(action="insights.api_measures", actor=cast.executive).exists()
    too_long = client.get("/api/v1/measures", {"date_from": "2010-01-01", "date_to": "2026-01-01"})
    assert too_long.status_code == 400 and "five years" in too_long.json()["message"]
