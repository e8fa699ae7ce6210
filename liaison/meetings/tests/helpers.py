from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from conftest import Cast
from liaison.cases import services as case_services
from liaison.cases.models import Case
from liaison.meetings.models import ParticipantKind
from liaison.meetings.services import ParticipantSpec, Scheduled, meeting_schedule

LONDON = ZoneInfo("Europe/London")
PATIENT = "Ada Testpatient"


def open_case(cast: Cast) -> Case:
    return case_services.case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="phone",
        patient_name=PATIENT,
        issues=[{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Call bell"}],
    )


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def schedule(cast: Cast, case: Case, starts: datetime, ends: datetime, **extra: Any) -> Scheduled:
    participants = extra.pop(
        "participants",
        [
            ParticipantSpec(kind=ParticipantKind.STAFF, user=cast.manager),
            ParticipantSpec(kind=ParticipantKind.FAMILY, name="Bea Daughter", email="bea@family.example"),
            ParticipantSpec(kind=ParticipantKind.INTERPRETER, name="Ivan Interpreter", language="Polish"),
        ],
    )
    return meeting_schedule(
        acting_user=extra.pop("acting_user", cast.officer),
        case=case,
        kind=extra.pop("kind", "mediation"),
        starts_at=starts,
        ends_at=ends,
        participants=participants,
        place=extra.pop("place", "Quiet room, Ward 7"),
        agenda="Talk through what happened",
        **extra,
    )
