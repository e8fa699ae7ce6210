"""The statutory clocks over generated cases: calendar arithmetic, every policy pack, every recorded fact.

``liaison/policies/tests/test_properties.py`` checks the packs on cases with only a receipt time and flags; here
every fact a case can carry is generated too (an agreed response date, an extension, an acknowledgement, an interim
notice and its follow-up days, event and awareness dates), in time zones chosen for their odd offsets and
daylight-saving rules. The properties are the ones a complaints manager relies on:

- a due date is never before the case was received (or, for a date someone agreed, never before that date says);
- adding working days lands on a working day, exactly that many working days later, and adding in two steps is
  adding once;
- recording progress never moves a deadline it does not own: an acknowledgement changes no clock, an interim
  notice leaves the 7-day clock where it was, and an agreed extension never makes the statutory limit earlier
  (the regulations allow a *longer* period, UK-8) — Liaison has no "stop the clock", so these are its pauses;
- a later receipt never brings a deadline forward.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from liaison.lib.workdays import CALENDARS, WorkingDayCalendar, add_months, add_working_days, is_working_day
from liaison.policies.base import CASE_TYPES, CHANNELS, TOPICS, CaseFacts, Clock, end_of_day, local_date
from liaison.policies.england_nhs import EnglandNHS
from liaison.policies.registry import PACKS, get_pack
from tests.fuzz.conftest import fuzz_settings, time_boxed

ZONES = [
    ZoneInfo(name)
    for name in (
        "Europe/London",
        "America/New_York",
        "Pacific/Auckland",
        "Pacific/Kiritimati",  # UTC+14: a London morning is already tomorrow there
        "Pacific/Pago_Pago",  # UTC-11
        "Australia/Lord_Howe",  # a half-hour daylight-saving shift
        "Asia/Kathmandu",  # UTC+5:45
        "America/St_Johns",  # UTC-3:30 with daylight saving
        "UTC",
    )
]
calendars = st.sampled_from(sorted(CALENDARS.values(), key=lambda c: c.key))
days = st.dates(min_value=date(1995, 1, 1), max_value=date(2075, 12, 31))
instants = st.datetimes(
    min_value=datetime(1995, 1, 1), max_value=datetime(2075, 12, 31), timezones=st.sampled_from(ZONES)
)


def working_days_between(start: date, end: date, calendar: WorkingDayCalendar) -> int:
    """Working days after ``start`` up to and including ``end``, counted one day at a time."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day, calendar)
    return count


# -- Working days and months ----------------------------------------------------------------------------------


@fuzz_settings
@given(day=days, n=st.integers(min_value=0, max_value=80), calendar=calendars)
@example(day=date(2026, 1, 3), n=3, calendar=CALENDARS["england_and_wales"])  # Saturday: Wednesday 7 January
@example(day=date(2025, 12, 24), n=1, calendar=CALENDARS["scotland"])  # over Christmas and Boxing Day
@time_boxed
def test_adding_working_days_lands_on_a_working_day_exactly_n_working_days_later(
    day: date, n: int, calendar: WorkingDayCalendar
) -> None:
    due = add_working_days(day, n, calendar)
    assert due >= day
    assert working_days_between(day, due, calendar) == n
    if n == 0:
        assert due == day
    else:
        assert is_working_day(due, calendar)
        # No earlier day would do: the day before is at most n-1 working days on.
        assert working_days_between(day, due - timedelta(days=1), calendar) == n - 1


@fuzz_settings
@given(
    day=days,
    first=st.integers(min_value=0, max_value=40),
    then=st.integers(min_value=0, max_value=40),
    calendar=calendars,
)
@time_boxed
def test_adding_working_days_in_two_steps_is_adding_them_at_once_and_more_is_later(
    day: date, first: int, then: int, calendar: WorkingDayCalendar
) -> None:
    assert add_working_days(add_working_days(day, first, calendar), then, calendar) == add_working_days(
        day, first + then, calendar
    )
    if then:
        assert add_working_days(day, first + then, calendar) > add_working_days(day, first, calendar)


@fuzz_settings
@given(day=days, n=st.integers(max_value=-1), calendar=calendars)
@time_boxed
def test_a_negative_number_of_working_days_is_refused(day: date, n: int, calendar: WorkingDayCalendar) -> None:
    with pytest.raises(ValueError, match="zero or more"):
        add_working_days(day, n, calendar)


@fuzz_settings
@given(day=st.dates(), n=st.integers(min_value=-200_000, max_value=200_000))
@example(day=date(2024, 8, 31), n=6)
@example(day=date(2024, 2, 29), n=12)
@example(day=date(9999, 12, 31), n=1)
@example(day=date(1, 1, 1), n=-1)
@time_boxed
def test_adding_months_stays_in_the_target_month_and_never_past_its_end(day: date, n: int) -> None:
    months = day.year * 12 + day.month - 1 + n
    year, month = divmod(months, 12)
    if not 1 <= year <= 9999:
        # Beyond the calendar Python can hold: the error is a ValueError, as for any impossible date.
        with pytest.raises(ValueError):
            add_months(day, n)
        return
    result = add_months(day, n)
    assert (result.year, result.month) == (year, month + 1)
    assert result.day <= day.day
    assert result.day == day.day or (result + timedelta(days=1)).month != result.month  # short month: its last day


@fuzz_settings
@given(first=days, second=days, n=st.integers(min_value=0, max_value=24), more=st.integers(min_value=0, max_value=24))
@time_boxed
def test_adding_months_keeps_the_order_of_dates_and_of_periods(first: date, second: date, n: int, more: int) -> None:
    early, late = sorted((first, second))
    assert add_months(early, n) <= add_months(late, n)
    assert add_months(early, n) <= add_months(early, n + more)
    assert add_months(early, n) >= early


# -- Every pack, every fact ------------------------------------------------------------------------------------


@st.composite
def full_cases(draw: st.DrawFn) -> CaseFacts:
    """A case with any of the facts an officer can record, as the services allow them."""
    received_at = draw(instants)
    received_day = received_at.date()
    later_day = st.dates(min_value=received_day, max_value=received_day + timedelta(days=800))

    def maybe() -> bool:
        return draw(st.booleans())

    interim_sent = None
    if draw(st.booleans()):
        interim_sent = received_at + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)))
    return CaseFacts(
        case_type=draw(st.sampled_from(CASE_TYPES)),
        channel=draw(st.sampled_from(CHANNELS)),
        received_at=received_at,
        event_date=draw(st.none() | days),
        awareness_date=draw(st.none() | days),
        topics=frozenset(draw(st.sets(st.sampled_from(sorted(TOPICS)), max_size=4))),
        resolved_at_time_by_staff_present=maybe(),
        postponed=maybe(),
        referred=maybe(),
        requires_investigation=maybe(),
        requires_further_action=maybe(),
        requested_formal_or_response=maybe(),
        medicare_beneficiary=maybe(),
        acknowledged_at=draw(st.none() | st.timedeltas(timedelta(0), timedelta(days=30)).map(received_at.__add__)),
        # Any date: the case form does not check it against the receipt (see the test on agreed dates below).
        agreed_response_date=draw(st.none() | days),
        # case_record_extension refuses a date on or before the day of receipt (in the site's zone).
        extension_agreed_until=draw(st.none() | later_day.filter(lambda d: d > received_day)),
        interim_notice_sent_at=interim_sent,
        # case_record_interim_notice refuses fewer than 1 day; the facts allow 0.
        followup_within_days=draw(st.none() | st.integers(min_value=0, max_value=365)) if interim_sent else None,
    )


packs = st.sampled_from(sorted(PACKS))
zones = st.sampled_from(ZONES)


def by_key(clocks: list[Clock]) -> dict[str, Clock]:
    keys = [clock.key for clock in clocks]
    assert len(keys) == len(set(keys)), keys
    return {clock.key: clock for clock in clocks}


def receipt_day(facts: CaseFacts, zone: ZoneInfo) -> date:
    return local_date(facts.received_at, zone)


@fuzz_settings
@given(facts=full_cases(), pack_key=packs, zone=zones)
@time_boxed
def test_a_due_date_is_never_before_the_case_was_received(facts: CaseFacts, pack_key: str, zone: ZoneInfo) -> None:
    """Every clock ends at the end of a local day on or after receipt; the exceptions are dates people set."""
    clocks = by_key(get_pack(pack_key).clocks(facts, zone))
    received = receipt_day(facts, zone)
    for clock in clocks.values():
        assert clock.due.tzinfo is zone and clock.due.time() == time.max
        assert clock.due == end_of_day(clock.due.date(), zone)
        if clock.due.date() >= received:
            assert clock.due > facts.received_at
            continue
        # Only a date someone typed can be earlier: an agreed response date (the case form takes any date), or an
        # interim notice recorded as sent before the case was received.
        agreed = facts.agreed_response_date
        sent = facts.interim_notice_sent_at
        assert (pack_key, clock.key) in {("england_nhs", "respond"), ("us_cms", "final_response")}, clock
        if clock.key == "respond":
            assert agreed is not None and clock.due.date() == agreed < received
        else:
            assert sent is not None and local_date(sent, zone) < received


@fuzz_settings
@given(facts=full_cases(), zone=zones)
@example(
    # Found by this target: an "extension" agreed to a date before the 6 months were up replaced the statutory
    # limit with that earlier date. UK-8 allows a longer period, never a shorter one.
    facts=CaseFacts(
        case_type="complaint",
        channel="letter",
        received_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        agreed_response_date=date(2026, 4, 30),
        extension_agreed_until=date(2026, 4, 30),
    ),
    zone=ZoneInfo("Europe/London"),
)
@time_boxed
def test_in_england_an_agreed_extension_never_shortens_the_statutory_limit(facts: CaseFacts, zone: ZoneInfo) -> None:
    pack = get_pack("england_nhs")
    with_extension = by_key(pack.clocks(facts, zone))
    without = by_key(pack.clocks(replace(facts, extension_agreed_until=None), zone))
    assert with_extension.keys() == without.keys()
    if not with_extension:
        return
    six_months = end_of_day(add_months(receipt_day(facts, zone), 6), zone)
    assert without["statutory_limit"].due == six_months
    assert with_extension["statutory_limit"].due >= six_months
    if facts.extension_agreed_until is not None:
        assert with_extension["statutory_limit"].due >= end_of_day(facts.extension_agreed_until, zone)
    # The response is never due after the limit, and acknowledging comes first.
    for clocks in (with_extension, without):
        assert clocks["respond"].due <= clocks["statutory_limit"].due
        assert clocks["acknowledge"].due < clocks["statutory_limit"].due


@fuzz_settings
@given(
    facts=full_cases(), pack_key=packs, zone=zones, acknowledged_after=st.timedeltas(timedelta(0), timedelta(days=90))
)
@time_boxed
def test_acknowledging_a_case_moves_no_deadline(
    facts: CaseFacts, pack_key: str, zone: ZoneInfo, acknowledged_after: timedelta
) -> None:
    pack = get_pack(pack_key)
    before = pack.clocks(replace(facts, acknowledged_at=None), zone)
    after = pack.clocks(replace(facts, acknowledged_at=facts.received_at + acknowledged_after), zone)
    assert after == before


@fuzz_settings
@given(
    facts=full_cases(),
    zone=zones,
    sent_after=st.timedeltas(timedelta(0), timedelta(days=30)),
    followup=st.integers(min_value=1, max_value=120),
)
@time_boxed
def test_a_us_interim_notice_keeps_the_seven_day_clock_and_its_follow_up_is_never_before_it(
    facts: CaseFacts, zone: ZoneInfo, sent_after: timedelta, followup: int
) -> None:
    pack = get_pack("us_cms")
    plain = replace(facts, interim_notice_sent_at=None, followup_within_days=None)
    sent_at = facts.received_at + sent_after
    noticed = replace(facts, interim_notice_sent_at=sent_at, followup_within_days=followup)
    before, after = by_key(pack.clocks(plain, zone)), by_key(pack.clocks(noticed, zone))
    assert before.keys() == after.keys()
    if not before:
        return
    assert after["interim_notice"] == before["interim_notice"]
    assert before["final_response"].due == before["interim_notice"].due
    assert after["final_response"].due == end_of_day(local_date(sent_at, zone) + timedelta(days=followup), zone)
    assert after["final_response"].due > sent_at


@fuzz_settings
@given(facts=full_cases(), pack_key=packs, zone=zones, later_by=st.timedeltas(timedelta(0), timedelta(days=400)))
@time_boxed
def test_a_later_receipt_never_brings_a_deadline_forward(
    facts: CaseFacts, pack_key: str, zone: ZoneInfo, later_by: timedelta
) -> None:
    pack = get_pack(pack_key)
    later = replace(facts, received_at=facts.received_at + later_by)
    before = by_key(pack.clocks(facts, zone))
    after = by_key(pack.clocks(later, zone))
    assert before.keys() == after.keys()
    for key, clock in before.items():
        assert after[key].due >= clock.due, key


@fuzz_settings
@given(facts=full_cases(), pack_key=packs, zone=zones)
@time_boxed
def test_working_day_clocks_fall_on_working_days_unless_a_date_was_agreed(
    facts: CaseFacts, pack_key: str, zone: ZoneInfo
) -> None:
    calendar = {"england_nhs": "england_and_wales", "wales_nhs": "england_and_wales", "scotland_nhs": "scotland"}
    clocks = by_key(get_pack(pack_key).clocks(facts, zone))
    if pack_key not in calendar:
        return
    working = CALENDARS[calendar[pack_key]]
    for key in ("acknowledge", "respond"):
        if key not in clocks:
            continue
        agreed = pack_key == "england_nhs" and key == "respond" and clocks[key].rule_id == "UK-8"
        agreed = agreed or (pack_key == "england_nhs" and key == "respond" and facts.agreed_response_date is not None)
        if not agreed:
            assert is_working_day(clocks[key].due.date(), working), (key, clocks[key])
    if "acknowledge" in clocks and "respond" in clocks and pack_key != "england_nhs":
        assert clocks["acknowledge"].due <= clocks["respond"].due


@fuzz_settings
@given(facts=full_cases(), zone=zones)
@time_boxed
def test_the_england_time_limit_is_twelve_months_after_the_later_of_event_and_awareness(
    facts: CaseFacts, zone: ZoneInfo
) -> None:
    check = get_pack("england_nhs").time_limit(facts, zone)
    known = [d for d in (facts.event_date, facts.awareness_date) if d is not None]
    if not known:
        assert check.limit_date is None and not check.out_of_time
        return
    assert check.limit_date == add_months(max(known), 12)
    assert check.out_of_time is (receipt_day(facts, zone) > check.limit_date)
    assert check.needs_decision is check.out_of_time


@fuzz_settings
@given(
    case_type=st.one_of(st.sampled_from(CASE_TYPES), st.text(max_size=12)),
    channel=st.one_of(st.sampled_from(CHANNELS), st.text(max_size=12)),
    topics=st.sets(st.one_of(st.sampled_from(sorted(TOPICS)), st.text(max_size=8)), max_size=3),
    received_at=st.datetimes(timezones=st.none() | st.sampled_from(ZONES)),
    followup=st.none() | st.integers(min_value=-5, max_value=5),
    pack_key=packs,
)
@time_boxed
def test_facts_no_pack_understands_are_refused_with_a_value_error_and_the_rest_give_clocks(
    case_type: str,
    channel: str,
    topics: set[str],
    received_at: datetime,
    followup: int | None,
    pack_key: str,
) -> None:
    try:
        facts = CaseFacts(
            case_type=case_type,
            channel=channel,
            topics=frozenset(topics),
            received_at=received_at,
            interim_notice_sent_at=received_at if followup is not None else None,
            followup_within_days=followup,
        )
    except ValueError:
        return
    pack = get_pack(pack_key)
    zone = ZoneInfo(pack.default_zone)
    try:
        pack.clocks(facts, zone)
        pack.time_limit(facts, zone)
    except (OverflowError, ValueError):
        # Only at the very edge of the calendar (year 9999), which a received date a person typed cannot reach.
        assert received_at.year in (1, 9999)
    pack.classify(facts)


def test_the_england_target_is_a_positive_number_of_working_days() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        EnglandNHS(default_response_working_days=0)


def test_an_agreed_date_before_the_six_months_are_up_moves_the_response_but_not_the_statutory_limit() -> None:
    """Regression: ``case_record_extension`` accepts any date after receipt; an earlier one used to replace the
    6-month limit (UK-8 allows only a longer period)."""
    received_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    london = ZoneInfo("Europe/London")
    facts = CaseFacts(
        case_type="complaint",
        channel="letter",
        received_at=received_at,
        agreed_response_date=date(2026, 4, 30),
        extension_agreed_until=date(2026, 4, 30),
    )
    clocks = by_key(get_pack("england_nhs").clocks(facts, london))
    assert clocks["respond"].due == end_of_day(date(2026, 4, 30), london)
    assert clocks["statutory_limit"].due == end_of_day(date(2026, 9, 2), london)
    assert clocks["statutory_limit"].rule_id == "UK-8" and "6 months" in clocks["statutory_limit"].rule
