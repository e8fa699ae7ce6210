"""England (SI 2009/309): acknowledgement, response and statutory clocks, and the 12-month time limit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from liaison.policies.base import CaseFacts, Clock
from liaison.policies.england_nhs import EnglandNHS

LONDON = ZoneInfo("Europe/London")
PACK = EnglandNHS()


def complaint(received_at: datetime, **extra: Any) -> CaseFacts:
    return CaseFacts(case_type="complaint", channel="letter", received_at=received_at, **extra)


def clocks_by_key(facts: CaseFacts, pack: EnglandNHS = PACK) -> dict[str, Clock]:
    return {clock.key: clock for clock in pack.clocks(facts, LONDON)}


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=LONDON)


def test_a_complaint_has_acknowledge_respond_and_statutory_limit_clocks_with_sources() -> None:
    clocks = PACK.clocks(complaint(datetime(2026, 3, 27, 23, 30, tzinfo=LONDON)), LONDON)
    assert [(c.key, c.rule_id, c.source) for c in clocks] == [
        ("acknowledge", "UK-3", "SI 2009/309 reg. 13(2)"),
        ("respond", "UK-4", "SI 2009/309 reg. 13(7)"),
        ("statutory_limit", "UK-8", "SI 2009/309 reg. 14(4)-(5)"),
    ]
    assert "3 working days" in clocks[0].rule and "England and Wales bank holidays" in clocks[0].rule


def test_friday_2330_in_london_counts_as_friday_and_the_due_time_follows_the_clock_change() -> None:
    # 27 March 2026 is in GMT; the acknowledgement falls due after the clocks go forward on the 29th.
    with time_machine.travel(datetime(2026, 3, 28, 9, 0, tzinfo=UTC), tick=False):
        ack = clocks_by_key(complaint(datetime(2026, 3, 27, 23, 30, tzinfo=LONDON)))["acknowledge"]
    assert ack.due == end_of(date(2026, 4, 1))
    assert ack.due.isoformat() == "2026-04-01T23:59:59.999999+01:00"


def test_the_local_date_not_the_utc_date_starts_the_count() -> None:
    # 23:30 UTC on Thursday 4 June 2026 is 00:30 on Friday in London: Friday is the receipt day.
    ack = clocks_by_key(complaint(datetime(2026, 6, 4, 23, 30, tzinfo=UTC)))["acknowledge"]
    assert ack.due.date() == date(2026, 6, 10)
    assert ack.due.tzinfo is LONDON


def test_clocks_do_not_depend_on_when_they_are_asked() -> None:
    facts = complaint(datetime(2026, 3, 27, 23, 30, tzinfo=LONDON))
    with time_machine.travel(datetime(2026, 3, 27, 23, 45, tzinfo=LONDON), tick=False):
        soon = PACK.clocks(facts, LONDON)
    with time_machine.travel(datetime(2031, 1, 1, tzinfo=UTC), tick=False):
        later = PACK.clocks(facts, LONDON)
    assert soon == later


@pytest.mark.parametrize(
    ("received", "acknowledge_by"),
    [
        (datetime(2026, 12, 25, 10, 0, tzinfo=LONDON), date(2026, 12, 31)),  # Christmas Day
        (datetime(2026, 4, 6, 10, 0, tzinfo=LONDON), date(2026, 4, 9)),  # Easter Monday
        (datetime(2026, 1, 3, 10, 0, tzinfo=LONDON), date(2026, 1, 7)),  # a Saturday
    ],
)
def test_receipt_on_a_non_working_day_counts_from_the_next_working_day(
    received: datetime, acknowledge_by: date
) -> None:
    assert clocks_by_key(complaint(received))["acknowledge"].due == end_of(acknowledge_by)


@pytest.mark.parametrize(
    ("received", "limit"),
    [
        (date(2026, 8, 31), date(2027, 2, 28)),
        (date(2027, 8, 31), date(2028, 2, 29)),  # leap year
        (date(2026, 3, 15), date(2026, 9, 15)),
    ],
)
def test_the_statutory_limit_is_six_months_clamped_to_month_end(received: date, limit: date) -> None:
    received_at = datetime.combine(received, time(12, 0), tzinfo=LONDON)
    assert clocks_by_key(complaint(received_at))["statutory_limit"].due == end_of(limit)


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (date(2025, 9, 29), "2026-03-29T23:59:59.999999+01:00"),  # clocks go forward that morning
        (date(2026, 4, 25), "2026-10-25T23:59:59.999999+00:00"),  # clocks go back that morning
        (date(2026, 4, 24), "2026-10-24T23:59:59.999999+01:00"),  # the day before, still summer time
    ],
)
def test_due_time_uses_the_utc_offset_in_force_on_the_due_day(received: date, expected: str) -> None:
    received_at = datetime.combine(received, time(9, 0), tzinfo=LONDON)
    assert clocks_by_key(complaint(received_at))["statutory_limit"].due.isoformat() == expected


def test_the_default_response_target_is_25_working_days_and_configurable() -> None:
    facts = complaint(datetime(2026, 3, 27, 9, 0, tzinfo=LONDON))
    respond = clocks_by_key(facts)["respond"]
    assert respond.due == end_of(date(2026, 5, 6))  # over Easter and the early May bank holiday
    assert "25 working days" in respond.rule
    assert clocks_by_key(facts, EnglandNHS(default_response_working_days=10))["respond"].due == end_of(
        date(2026, 4, 14)
    )


def test_an_agreed_response_date_replaces_the_default_target() -> None:
    facts = complaint(datetime(2026, 3, 27, 9, 0, tzinfo=LONDON), agreed_response_date=date(2026, 7, 1))
    respond = clocks_by_key(facts)["respond"]
    assert respond.due == end_of(date(2026, 7, 1))
    assert respond.rule_id == "UK-4"
    assert "agreed" in respond.rule


@pytest.mark.parametrize(
    ("pack", "extra"),
    [
        (PACK, {"agreed_response_date": date(2026, 11, 30)}),
        (EnglandNHS(default_response_working_days=200), {}),
    ],
)
def test_the_response_is_never_due_after_the_six_month_limit(pack: EnglandNHS, extra: dict[str, Any]) -> None:
    clocks = clocks_by_key(complaint(datetime(2026, 3, 27, 9, 0, tzinfo=LONDON), **extra), pack)
    assert clocks["respond"].due == clocks["statutory_limit"].due == end_of(date(2026, 9, 27))
    assert clocks["respond"].rule_id == "UK-8"


def test_a_recorded_extension_replaces_the_six_month_limit() -> None:
    facts = complaint(
        datetime(2026, 3, 27, 9, 0, tzinfo=LONDON),
        agreed_response_date=date(2026, 11, 30),
        extension_agreed_until=date(2026, 11, 30),
    )
    clocks = clocks_by_key(facts)
    assert clocks["statutory_limit"].due == end_of(date(2026, 11, 30))
    assert clocks["respond"].due == end_of(date(2026, 11, 30))
    assert "agreed" in clocks["statutory_limit"].rule


def test_a_case_recorded_as_a_grievance_gets_the_complaint_clocks() -> None:
    received_at = datetime(2026, 3, 27, 9, 0, tzinfo=LONDON)
    grievance = CaseFacts(case_type="grievance", channel="phone", received_at=received_at)
    assert PACK.clocks(grievance, LONDON) == PACK.clocks(complaint(received_at), LONDON)


@pytest.mark.parametrize("case_type", ["concern", "compliment", "enquiry", "advocacy"])
def test_only_complaints_have_statutory_clocks(case_type: str) -> None:
    facts = CaseFacts(case_type=case_type, channel="letter", received_at=datetime(2026, 3, 27, 9, 0, tzinfo=LONDON))
    assert PACK.clocks(facts, LONDON) == []
    classification = PACK.classify(facts)
    assert classification.case_type == case_type
    assert classification.is_grievance is False


def test_classification_keeps_the_recorded_type_and_names_the_rules() -> None:
    classification = PACK.classify(complaint(datetime(2026, 3, 27, 9, 0, tzinfo=LONDON)))
    assert classification.case_type == "complaint"
    assert classification.is_grievance is False
    assert classification.rule_ids == ("UK-3", "UK-8")
    assert "UK-3" in classification.reasons[0]


def test_the_default_response_target_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        EnglandNHS(default_response_working_days=0)


RECEIVED = datetime(2026, 3, 27, 23, 30, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("received", "event", "awareness", "limit", "out_of_time"),
    [
        (RECEIVED, date(2025, 6, 1), None, date(2026, 6, 1), False),  # well inside
        (RECEIVED, date(2025, 3, 27), None, date(2026, 3, 27), False),  # made on the limit date itself
        (RECEIVED, date(2025, 3, 26), None, date(2026, 3, 26), True),  # one day late
        (RECEIVED, date(2024, 1, 10), date(2025, 6, 1), date(2026, 6, 1), False),  # learnt of it later
        (RECEIVED, date(2025, 6, 1), date(2024, 1, 10), date(2026, 6, 1), False),  # the later date wins
        (RECEIVED, None, date(2025, 3, 1), date(2026, 3, 1), True),  # only the awareness date known
        (RECEIVED, None, None, None, False),  # nothing to check against yet
        (RECEIVED, date(2024, 2, 29), None, date(2025, 2, 28), True),  # 29 February + 12 months
        # 23:30 UTC on 5 June 2026 is already 6 June in London, one day past the limit.
        (datetime(2026, 6, 5, 23, 30, tzinfo=UTC), date(2025, 6, 5), None, date(2026, 6, 5), True),
    ],
)
def test_the_twelve_month_time_limit(
    received: datetime, event: date | None, awareness: date | None, limit: date | None, out_of_time: bool
) -> None:
    check = PACK.time_limit(complaint(received, event_date=event, awareness_date=awareness), LONDON)
    assert check.limit_date == limit
    assert check.out_of_time is out_of_time
    assert check.needs_decision is out_of_time
    assert check.rule_id == "UK-2"
    if out_of_time:
        assert "good reason" in check.rule and "fair investigation" in check.rule
