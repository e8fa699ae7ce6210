"""Two small sets of cases built through the real services, shared by the insights tests.

Riverside (RGH) is an English site in Europe/London; Harbor Point (HPM) a US site in America/New_York.
All values are read at NOW, 15 April 2026. January 2026: Thursday 1 is New Year's Day (a bank holiday);
no bank holiday falls between 2 January and 27 March 2026; British Summer Time starts on 29 March.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import Cast
from liaison.cases.models import Case
from liaison.cases.services import (
    case_acknowledge,
    case_close,
    case_convert,
    case_open,
    case_record_extension,
    case_record_findings,
    case_record_interim_notice,
    case_record_response,
    case_refer_externally,
    case_reopen,
    case_resolve_informally,
    case_set_restriction,
    case_start_investigation,
)
from liaison.insights.measures import Period

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 4, 15, 11, 0, tzinfo=UTC)
JANUARY = Period.month(2026, 1)


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def new_york(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


@dataclass
class England:
    a: Case  # acknowledged and answered on time, closed, reopened, answered again
    b: Case  # received 23:30 on Saturday 31 January, acknowledged late, answered within an agreed extension
    c: Case  # a concern converted into a complaint, never answered
    d: Case  # restricted; answered on time, then referred to the ombudsman in March
    e: Case  # a compliment in January
    f: Case  # a compliment at 00:10 on 1 February: February's, not January's
    g: Case  # a concern resolved at first contact


def open_case(cast: Cast, when: datetime, **fields: object) -> Case:
    values: dict[str, object] = {
        "acting_user": cast.officer,
        "site": cast.rgh,
        "case_type": "complaint",
        "channel": "phone",
        "patient_name": "Ada Testpatient",
        "account": "The call bell was not answered.",
    }
    values.update(fields)
    with at(when):
        return case_open(received_at=when, **values)  # type: ignore[arg-type]


def _findings(cast: Cast, case: Case, outcome: str, when: datetime) -> None:
    with at(when):
        case_record_findings(
            acting_user=cast.officer, case=case, issue_findings={}, outcome=outcome, how_considered="We read the notes."
        )


@pytest.fixture
def england(cast: Cast) -> Iterator[England]:
    officer = cast.officer

    a = open_case(cast, london(2026, 1, 2, 10, 0))
    with at(london(2026, 1, 6, 9, 0)):
        case_acknowledge(acting_user=officer, case=a)
    with at(london(2026, 2, 4, 10, 0)):
        case_record_response(acting_user=officer, case=a)
    _findings(cast, a, "upheld", london(2026, 2, 4, 11, 0))
    with at(london(2026, 2, 5, 10, 0)):
        case_close(acting_user=officer, case=a)
    with at(london(2026, 2, 10, 10, 0)):
        case_reopen(acting_user=officer, case=a, reason="The complainant wrote back with new questions.")
    with at(london(2026, 2, 20, 10, 0)):
        case_record_response(acting_user=officer, case=a)

    b = open_case(cast, london(2026, 1, 31, 23, 30), channel="letter")
    with at(london(2026, 2, 5, 9, 0)):
        case_acknowledge(acting_user=officer, case=b)
    with at(london(2026, 2, 20, 10, 0)):
        case_record_extension(
            acting_user=officer, case=b, until=date(2026, 3, 31), agreement="Agreed by phone on 20 February."
        )
    with at(london(2026, 3, 25, 10, 0)):
        case_record_response(acting_user=officer, case=b)
    _findings(cast, b, "partly_upheld", london(2026, 3, 25, 11, 0))

    c = open_case(cast, london(2026, 1, 14, 11, 0), case_type="concern")
    with at(london(2026, 1, 15, 9, 0)):
        case_convert(acting_user=officer, case=c, new_type="complaint")
    with at(london(2026, 1, 15, 10, 0)):
        case_acknowledge(acting_user=officer, case=c)

    d = open_case(cast, london(2026, 1, 20, 9, 0), channel="email")
    with at(london(2026, 1, 20, 9, 5)):
        case_set_restriction(acting_user=officer, case=d, restricted=True, reason="vip", users=[officer])
    with at(london(2026, 1, 21, 9, 0)):
        case_acknowledge(acting_user=officer, case=d)
    with at(london(2026, 2, 10, 9, 0)):
        case_record_response(acting_user=officer, case=d)
    _findings(cast, d, "not_upheld", london(2026, 2, 10, 10, 0))
    with at(london(2026, 3, 10, 9, 0)):
        case_refer_externally(acting_user=officer, case=d, body="ombudsman", referred_on=date(2026, 3, 10))

    e = open_case(cast, london(2026, 1, 10, 12, 0), case_type="compliment", channel="web_form")
    with at(london(2026, 1, 12, 9, 0)):
        case_close(acting_user=officer, case=e)
    f = open_case(cast, london(2026, 2, 1, 0, 10), case_type="compliment", channel="web_form")

    g = open_case(cast, london(2026, 1, 22, 10, 0), case_type="concern", channel="in_person")
    with at(london(2026, 1, 22, 10, 30)):
        case_resolve_informally(
            acting_user=officer, case=g, outcome="resolved_first_contact", note="Ward sister apologised."
        )

    with at(NOW):
        yield England(a, b, c, d, e, f, g)


@dataclass
class Harbor:
    u1: Case  # received 23:30 on 31 January New York time, interim notice, answered within the follow-up
    u2: Case  # answered within 7 days, then referred to the QIO
    u3: Case  # nothing done


@pytest.fixture
def harbor(cast: Cast) -> Iterator[Harbor]:
    officer = cast.outsider  # an officer at Harbor Point

    def grievance(when: datetime, channel: str) -> Case:
        with at(when):
            return case_open(
                acting_user=officer, site=cast.hpm, case_type="complaint", channel=channel, received_at=when
            )

    u1 = grievance(new_york(2026, 1, 31, 23, 30), "letter")
    with at(new_york(2026, 2, 6, 12, 0)):
        case_record_interim_notice(
            acting_user=officer, case=u1, sent_at=new_york(2026, 2, 6, 12, 0), followup_within_days=14
        )
    with at(new_york(2026, 2, 6, 12, 5)):
        case_start_investigation(acting_user=officer, case=u1)
    with at(new_york(2026, 2, 18, 12, 0)):
        case_record_response(acting_user=officer, case=u1, written_notice=True)
    with at(new_york(2026, 2, 25, 12, 0)):
        case_refer_externally(acting_user=officer, case=u1, body="state_agency", referred_on=date(2026, 2, 25))

    u2 = grievance(new_york(2026, 1, 5, 10, 0), "email")
    with at(new_york(2026, 1, 6, 10, 0)):
        case_start_investigation(acting_user=officer, case=u2)
    with at(new_york(2026, 1, 9, 10, 0)):
        case_record_response(acting_user=officer, case=u2, written_notice=True)
    with at(new_york(2026, 1, 20, 10, 0)):
        case_refer_externally(acting_user=officer, case=u2, body="qio", referred_on=date(2026, 1, 20))

    u3 = grievance(new_york(2026, 1, 10, 10, 0), "phone")

    with at(NOW):
        yield Harbor(u1, u2, u3)
