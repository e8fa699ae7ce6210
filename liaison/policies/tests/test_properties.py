"""Properties every pack keeps, whatever the case: checked over generated cases with hypothesis."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.lib.workdays import ENGLAND_AND_WALES, SCOTLAND, WorkingDayCalendar, is_working_day
from liaison.policies.base import CASE_TYPES, CHANNELS, TOPICS, CaseFacts, PolicyPack
from liaison.policies.registry import PACKS, UnknownPolicyPack, get_pack

# The clocks each pack counts in working days, and on which calendar.
WORKING_DAY_CLOCKS: dict[str, tuple[WorkingDayCalendar, set[str]]] = {
    "england_nhs": (ENGLAND_AND_WALES, {"acknowledge", "respond"}),
    "scotland_nhs": (SCOTLAND, {"acknowledge", "respond"}),
    "wales_nhs": (ENGLAND_AND_WALES, {"acknowledge", "respond"}),
}
ZONES = [ZoneInfo("Europe/London"), ZoneInfo("America/New_York"), ZoneInfo("Pacific/Auckland")]

instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC))
flags = st.booleans()


@st.composite
def cases(draw: st.DrawFn, case_types: tuple[str, ...] = CASE_TYPES) -> CaseFacts:
    return CaseFacts(
        case_type=draw(st.sampled_from(case_types)),
        channel=draw(st.sampled_from(CHANNELS)),
        received_at=draw(instants),
        topics=frozenset(draw(st.sets(st.sampled_from(sorted(TOPICS)), max_size=3))),
        resolved_at_time_by_staff_present=draw(flags),
        postponed=draw(flags),
        referred=draw(flags),
        requires_investigation=draw(flags),
        requested_formal_or_response=draw(flags),
        medicare_beneficiary=draw(flags),
    )


def test_the_registry_holds_exactly_the_four_packs() -> None:
    assert set(PACKS) == {"england_nhs", "us_cms", "scotland_nhs", "wales_nhs"}
    assert {key: get_pack(key).default_zone for key in PACKS} == {
        "england_nhs": "Europe/London",
        "us_cms": "America/New_York",
        "scotland_nhs": "Europe/London",
        "wales_nhs": "Europe/London",
    }
    assert all(get_pack(key).key == key for key in PACKS)


def test_an_unknown_pack_is_refused_with_the_known_keys() -> None:
    with pytest.raises(UnknownPolicyPack, match="known packs: england_nhs"):
        get_pack("northern_ireland")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"received_at": datetime(2026, 1, 5, 9, 0)}, "timezone-aware"),
        ({"channel": "fax"}, "Unknown channel"),
        ({"case_type": "suggestion"}, "Unknown case type"),
        ({"topics": frozenset({"parking"})}, "Unknown topics parking"),
    ],
)
def test_case_facts_refuse_values_no_pack_understands(change: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "case_type": "complaint",
        "channel": "letter",
        "received_at": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        **change,
    }
    with pytest.raises(ValueError, match=message):
        CaseFacts(**values)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    case=cases(case_types=("complaint", "grievance")),
    pack_key=st.sampled_from(sorted(WORKING_DAY_CLOCKS)),
    zone=st.sampled_from(ZONES),
)
def test_a_working_day_clock_never_falls_on_a_weekend_or_bank_holiday(
    case: CaseFacts, pack_key: str, zone: ZoneInfo
) -> None:
    calendar, keys = WORKING_DAY_CLOCKS[pack_key]
    clocks = {clock.key: clock for clock in get_pack(pack_key).clocks(case, zone)}
    for key in keys & set(clocks):
        assert is_working_day(clocks[key].due.date(), calendar), (key, clocks[key].due)
    if not case.resolved_at_time_by_staff_present or pack_key != "scotland_nhs":
        assert keys <= set(clocks)


@settings(max_examples=300, deadline=None)
@given(
    case=cases(),
    later_by=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
    pack_key=st.sampled_from(sorted(PACKS)),
    zone=st.sampled_from(ZONES),
)
def test_a_later_receipt_never_moves_a_due_date_earlier(
    case: CaseFacts, later_by: timedelta, pack_key: str, zone: ZoneInfo
) -> None:
    pack: PolicyPack = get_pack(pack_key)
    later = replace(case, received_at=case.received_at + later_by)
    before = {clock.key: clock.due for clock in pack.clocks(case, zone)}
    after = {clock.key: clock.due for clock in pack.clocks(later, zone)}
    assert before.keys() == after.keys()
    for key, due in before.items():
        assert after[key] >= due, key


@settings(max_examples=200, deadline=None)
@given(case=cases(), pack_key=st.sampled_from(sorted(PACKS)), zone=st.sampled_from(ZONES))
def test_every_due_time_is_the_end_of_a_local_day_after_receipt(case: CaseFacts, pack_key: str, zone: ZoneInfo) -> None:
    for clock in get_pack(pack_key).clocks(case, zone):
        assert clock.due.tzinfo is zone
        assert clock.due.time() == time(23, 59, 59, 999999)
        # The offset is the one in force then: converting out and back gives the same wall time.
        assert clock.due.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == clock.due.replace(tzinfo=None)
        assert clock.due > case.received_at
        assert clock.rule and clock.rule_id and clock.source


@settings(max_examples=200, deadline=None)
@given(case=cases(), event=st.dates(min_value=date(1999, 1, 1), max_value=date(2060, 12, 31)))
def test_the_england_time_limit_is_out_of_time_exactly_when_received_after_the_limit(
    case: CaseFacts, event: date
) -> None:
    zone = ZoneInfo("Europe/London")
    check = get_pack("england_nhs").time_limit(replace(case, event_date=event), zone)
    assert check.limit_date is not None
    assert check.out_of_time is (case.received_at.astimezone(zone).date() > check.limit_date)
    assert check.needs_decision is check.out_of_time
    assert event < check.limit_date <= event + timedelta(days=366)
