"""Scotland (SSI 2012/36 reg. 6): 3 and 20 working days on the Scottish calendar."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from liaison.policies.base import CaseFacts
from liaison.policies.scotland_nhs import ScotlandNHS

LONDON = ZoneInfo("Europe/London")
PACK = ScotlandNHS()


def due_dates(received: date, **extra: bool) -> dict[str, date]:
    received_at = datetime.combine(received, time(10, 0), tzinfo=LONDON)
    case = CaseFacts(case_type="complaint", channel="letter", received_at=received_at, **extra)
    return {clock.key: clock.due.date() for clock in PACK.clocks(case, LONDON)}


@pytest.mark.parametrize(
    ("received", "acknowledge", "respond"),
    [
        (date(2026, 1, 1), date(2026, 1, 7), date(2026, 1, 30)),  # 1 and 2 January are both holidays
        (date(2025, 11, 28), date(2025, 12, 4), date(2025, 12, 31)),  # St Andrew's substitute, Christmas, Boxing Day
        (date(2026, 4, 3), date(2026, 4, 8), date(2026, 5, 1)),  # Good Friday; Easter Monday is a working day
        (date(2027, 1, 1), date(2027, 1, 7), date(2027, 2, 1)),  # 2 January falls on a Saturday: Monday 4th off
    ],
)
def test_scottish_clocks_skip_scottish_bank_holidays(received: date, acknowledge: date, respond: date) -> None:
    assert due_dates(received) == {"acknowledge": acknowledge, "respond": respond}


def test_clocks_cite_the_regulation_and_end_the_day_in_local_time() -> None:
    received_at = datetime(2026, 3, 27, 23, 30, tzinfo=LONDON)
    clocks = PACK.clocks(CaseFacts(case_type="grievance", channel="phone", received_at=received_at), LONDON)
    assert [(c.key, c.rule_id, c.source) for c in clocks] == [
        ("acknowledge", "UK-S1", "SSI 2012/36 reg. 6"),
        ("respond", "UK-S1", "SSI 2012/36 reg. 6"),
    ]
    assert clocks[0].due.isoformat() == "2026-04-01T23:59:59.999999+01:00"
    assert "Scottish bank holidays" in clocks[0].rule


def test_a_complaint_resolved_at_the_time_has_no_clocks() -> None:
    assert due_dates(date(2026, 1, 1), resolved_at_time_by_staff_present=True) == {}


@pytest.mark.parametrize("case_type", ["concern", "compliment", "enquiry", "advocacy"])
def test_only_complaints_have_clocks(case_type: str) -> None:
    case = CaseFacts(case_type=case_type, channel="letter", received_at=datetime(2026, 1, 5, 9, 0, tzinfo=LONDON))
    assert PACK.clocks(case, LONDON) == []
    assert PACK.classify(case).case_type == case_type


def test_no_time_limit_is_applied() -> None:
    case = CaseFacts(
        case_type="complaint",
        channel="letter",
        received_at=datetime(2026, 1, 5, 9, 0, tzinfo=LONDON),
        event_date=date(2020, 1, 1),
    )
    check = PACK.time_limit(case, LONDON)
    assert (check.out_of_time, check.limit_date, check.needs_decision) == (False, None, False)
