"""Old cases full of personal content, built through the real services at the time they happened.

Everything is read at NOW, 15 April 2026. Riverside (RGH, England) keeps case files 10 years after closure by
default, so a case closed in June 2014 is due; one closed in June 2020 is not. Harbor Point (HPM, US) keeps
them 6 years.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import Cast
from liaison.accounts.models import User
from liaison.accounts.services import user_create
from liaison.advocacy.models import Appeal
from liaison.advocacy.services import appeal_record, contact_log, document_add, outcome_record
from liaison.cases.models import Case
from liaison.cases.services import (
    case_acknowledge,
    case_add_attachment,
    case_add_note,
    case_close,
    case_open,
    case_record_findings,
    case_record_response,
    case_start_investigation,
)
from liaison.correspondence.models import Letter
from liaison.correspondence.services import letter_draft
from liaison.inbound.models import InboundMessage, InboundStatus
from liaison.investigations.services import investigation_answer, investigation_request
from liaison.meetings.models import Meeting
from liaison.meetings.services import ParticipantSpec, meeting_record_outcome, meeting_schedule

NOW = datetime(2026, 4, 15, 11, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Words that must be gone from a purged case wherever they were written.
SECRETS = ("Ada Testpatient", "RGH0000001", "call bell", "ward 7", "Bob Relative", "bob@example.org")


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def now() -> Iterator[datetime]:
    with at(NOW):
        yield NOW


@dataclass
class Full:
    """A complaint with something in every place personal content can be, and an advocacy case with an appeal."""

    case: Case
    meeting: Meeting
    letter: Letter
    inbound: InboundMessage
    advocacy: Case
    appeal: Appeal


def open_old(cast: Cast, when: datetime, *, site: Any = None, officer: User | None = None, **fields: Any) -> Case:
    values: dict[str, Any] = {
        "acting_user": officer or cast.officer,
        "site": site or cast.rgh,
        "case_type": "complaint",
        "channel": "phone",
        "patient_name": "Ada Testpatient",
        "patient_mrn": "RGH0000001",
        "patient_phone": "01632 960001",
        "complainant_is_patient": False,
        "complainant_name": "Bob Relative",
        "complainant_email": "bob@example.org",
        "complainant_relationship": "son",
        "consent_method": "written",
        "account": "The nurse on ward 7 did not answer the call bell for an hour.",
        "desired_outcome": "An apology about the call bell.",
        "issues": [
            {
                "category": "communication",
                "severity": 2,
                "department": cast.ed if (site or cast.rgh) == cast.rgh else cast.hpm_er,
                "summary": "Call bell not answered on ward 7",
            }
        ],
    }
    values.update(fields)
    with at(when):
        return case_open(received_at=when, **values)


def answer_and_close(cast: Cast, case: Case, start: datetime, *, officer: User | None = None) -> Case:
    """Acknowledge, answer and close ``case`` over the weeks after ``start``."""
    officer = officer or cast.officer
    if case.status == "new":
        with at(start + timedelta(days=1)):
            case_acknowledge(acting_user=officer, case=case)
    with at(start + timedelta(days=20)):
        # A US complaint in writing is a grievance, answered by a written notice of the decision (US-15).
        case_record_response(acting_user=officer, case=case, written_notice=case.case_type == "grievance")
    with at(start + timedelta(days=21)):
        case_record_findings(
            acting_user=officer,
            case=case,
            issue_findings={issue.pk: ("The call bell on ward 7 was broken.", "upheld") for issue in case.issues.all()},
            outcome="upheld",
            how_considered="We spoke to the nurse on ward 7 about Ada Testpatient's call bell.",
            learning="Check call bells on ward 7 weekly.",
        )
    with at(start + timedelta(days=22)):
        case_close(acting_user=officer, case=case, note="Bob Relative was satisfied with the call bell answer.")
    case.refresh_from_db()
    return case


def closed_case(cast: Cast, received: datetime, **fields: Any) -> Case:
    return answer_and_close(cast, open_old(cast, received, **fields), received)


def full_case(cast: Cast, received: datetime) -> Full:
    """A complaint received at ``received`` with notes, files, an investigation, a letter, an email and a meeting,
    closed 3 months later; and an advocacy case with an appeal, closed with it."""
    officer = cast.officer
    case = open_old(cast, received)
    with at(received + timedelta(hours=2)):
        case_add_note(
            acting_user=officer,
            case=case,
            kind="call",
            summary="Rang Bob Relative",
            body="He repeated the call bell story.",
            duration_minutes=5,
        )
        case_add_attachment(
            acting_user=officer,
            case=case,
            upload=SimpleUploadedFile("ada-testpatient-letter.pdf", PDF, content_type="application/pdf"),
        )
        inbound = InboundMessage.objects.create(
            sha256="a" * 64,
            message_id="<1@example.org>",
            received_at=received,
            from_address="bob@example.org",
            to_addresses=["pals@rgh.example"],
            subject="Ada Testpatient and the call bell",
            status=InboundStatus.ATTACHED,
            case=case,
            raw_file=ContentFile(b"From: bob@example.org\r\n\r\nThe call bell on ward 7.", name="message.eml"),
        )
        case_acknowledge(acting_user=officer, case=case)
        case_start_investigation(acting_user=officer, case=case)
        request = investigation_request(
            acting_user=officer, case=case, department=cast.ed, questions="Why was the call bell on ward 7 ignored?"
        )
        letter = letter_draft(acting_user=officer, case=case, kind="acknowledgement")
        meeting = meeting_schedule(
            acting_user=officer,
            case=case,
            kind="local_resolution",
            starts_at=received + timedelta(days=7),
            ends_at=received + timedelta(days=7, hours=1),
            participants=[
                ParticipantSpec(kind="family", name="Bob Relative", email="bob@example.org"),
                ParticipantSpec(kind="staff", user=cast.manager),
            ],
            place="Ward 7 family room",
            agenda="The call bell",
        ).meeting
    with at(received + timedelta(days=5)):
        investigation_answer(
            acting_user=cast.investigator,
            request=request,
            statement="The call bell on ward 7 was broken that night.",
            findings={issue.pk: "Broken call bell." for issue in case.issues.all()},
            evidence=[SimpleUploadedFile("rota.pdf", PDF, content_type="application/pdf")],
        )
    with at(received + timedelta(days=8)):
        meeting_record_outcome(
            acting_user=officer,
            meeting=meeting,
            attended=list(meeting.participants.values_list("pk", flat=True)),
            notes="Bob Relative explained what happened to Ada Testpatient.",
            points_agreed="Fix the call bell.",
            actions=[],
        )

    advocacy = open_old(cast, received, case_type="advocacy", issues=[])
    with at(received + timedelta(days=3)):
        appeal = appeal_record(
            acting_user=officer,
            case=advocacy,
            org_name="Riverside Health Plan",
            org_kind="payer",
            plan_type="nhs_continuing_healthcare",
            decision_received_on=(received + timedelta(days=1)).date(),
            service="Physiotherapy for Ada Testpatient",
            reason_given="Not needed",
        )
        contact_log(
            acting_user=officer,
            appeal=appeal,
            occurred_at=received + timedelta(days=2),
            person="Carol at the plan",
            said="They will look again at Ada Testpatient's physiotherapy.",
        )
        document_add(
            acting_user=officer,
            appeal=appeal,
            kind="denial_letter",
            upload=SimpleUploadedFile("denial.pdf", PDF, content_type="application/pdf"),
        )
    with at(received + timedelta(days=30)):
        outcome_record(
            acting_user=officer,
            appeal=appeal,
            outcome="overturned",
            decision_on=(received + timedelta(days=30)).date(),
            amount_recovered=Decimal("120.00"),
        )
    start = received + timedelta(days=60)
    answer_and_close(cast, case, start)
    with at(start + timedelta(days=22)):
        case_close(acting_user=officer, case=advocacy)
    case.refresh_from_db()
    advocacy.refresh_from_db()
    return Full(case=case, meeting=meeting, letter=letter, inbound=inbound, advocacy=advocacy, appeal=appeal)


def hpm_manager(cast: Cast) -> User:
    return user_create(
        acting_user=None,
        email="manager@hpm.example",
        full_name="Hana Manager",
        password="correct horse battery staple 7",
        roles=["manager"],
        sites=[cast.hpm],
        departments=[],
    )


def london(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=LONDON)


def new_york(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=NEW_YORK)
