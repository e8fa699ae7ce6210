"""Wales (UK-W1): 2 and 30 working days on the England and Wales calendar."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from liaison.policies.base import CaseFacts
from liaison.policies.wales_nhs import WalesNHS

LONDON = ZoneInfo("Europe/London")
PACK = WalesNHS()


def due_dates(received: date, case_type: str = "complaint") -> dict[str, date]:
    received_at = datetime.combine(received, time(10, 0), tzinfo=LONDON)
    case = CaseFacts(case_type=case_type, channel="email", received_at=received_at)
    return {clock.key: clock.due.date() for clock in PACK.clocks(case, LONDON)}


@pytest.mark.parametrize(
    ("received", "acknowledge", "respond"),
    [
        (date(2026, 12, 24), date(2026, 12, 30), date(2027, 2, 9)),  # Christmas, Boxing Day substitute, New Year
        (date(2026, 4, 2), date(2026, 4, 8), date(2026, 5, 19)),  # Good Friday and Easter Monday
        (date(2026, 1, 1), date(2026, 1, 5), date(2026, 2, 12)),  # 2 January is a working day in Wales
    ],
)
def test_welsh_clocks_skip_england_and_wales_bank_holidays(received: date, acknowledge: date, respond: date) -> None:
    assert due_dates(received) == {"acknowledge": acknowledge, "respond": respond}


def test_a_grievance_is_handled_as_a_complaint_and_other_types_have_no_clocks() -> None:
    assert due_dates(date(2026, 4, 2), "grievance") == due_dates(date(2026, 4, 2))
    assert due_dates(date(2026, 4, 2), "concern") == {}
    assert due_dates(date(2026, 4, 2), "compliment") == {}


def test_clocks_name_their_rule_and_source() -> None:
    received_at = datetime(2026, 10, 22, 16, 0, tzinfo=LONDON)
    clocks = PACK.clocks(CaseFacts(case_type="complaint", channel="phone", received_at=received_at), LONDON)
    assert [(c.key, c.rule_id) for c in clocks] == [("acknowledge", "UK-W1"), ("respond", "UK-W1")]
    assert "MDU" in clocks[0].source
    assert clocks[0].due.isoformat() == "2026-10-26T23:59:59.999999+00:00"  # after the clocks go back
    assert PACK.classify(CaseFacts(case_type="complaint", channel="phone", received_at=received_at)).rule_ids == (
        "UK-W1",
    )
