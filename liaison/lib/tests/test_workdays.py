"""Working-day calendars: weekends and each nation's bank holidays, and month arithmetic."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liaison.lib.workdays import (
    ENGLAND_AND_WALES,
    NORTHERN_IRELAND,
    SCOTLAND,
    US_FEDERAL,
    WorkingDayCalendar,
    add_months,
    add_working_days,
    is_working_day,
)

ALL_CALENDARS = [ENGLAND_AND_WALES, SCOTLAND, NORTHERN_IRELAND, US_FEDERAL]
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


@pytest.mark.parametrize(
    ("day", "calendar", "working"),
    [
        (date(2026, 3, 27), ENGLAND_AND_WALES, True),  # a Friday
        (date(2026, 3, 28), ENGLAND_AND_WALES, False),  # Saturday
        (date(2026, 3, 29), ENGLAND_AND_WALES, False),  # Sunday
        (date(2026, 12, 25), ENGLAND_AND_WALES, False),
        (date(2026, 12, 28), ENGLAND_AND_WALES, False),  # Boxing Day substitute (26th is a Saturday)
        (date(2026, 4, 6), ENGLAND_AND_WALES, False),  # Easter Monday
        (date(2026, 4, 6), SCOTLAND, True),  # not a bank holiday in Scotland
        (date(2026, 1, 2), SCOTLAND, False),  # 2 January
        (date(2026, 1, 2), ENGLAND_AND_WALES, True),
        (date(2025, 12, 1), SCOTLAND, False),  # St Andrew's Day substitute (30 Nov 2025 is a Sunday)
        (date(2025, 12, 1), ENGLAND_AND_WALES, True),
        (date(2026, 3, 17), NORTHERN_IRELAND, False),  # St Patrick's Day
        (date(2026, 11, 26), US_FEDERAL, False),  # Thanksgiving
        (date(2026, 7, 3), US_FEDERAL, False),  # Independence Day observed (4 July is a Saturday)
        (date(2026, 8, 31), US_FEDERAL, True),  # the English late summer bank holiday is not a US holiday
    ],
)
def test_is_working_day_knows_weekends_and_each_nations_holidays(
    day: date, calendar: WorkingDayCalendar, working: bool
) -> None:
    assert is_working_day(day, calendar) is working


@pytest.mark.parametrize(
    ("received", "n", "calendar", "due"),
    [
        # Day 0 is the receipt day; day 1 the next working day.
        (date(2026, 3, 23), 1, ENGLAND_AND_WALES, date(2026, 3, 24)),
        (date(2026, 3, 23), 0, ENGLAND_AND_WALES, date(2026, 3, 23)),
        (date(2026, 3, 27), 3, ENGLAND_AND_WALES, date(2026, 4, 1)),  # Friday: over the weekend
        (date(2026, 1, 3), 3, ENGLAND_AND_WALES, date(2026, 1, 7)),  # Saturday: Monday is day 1
        (date(2026, 12, 25), 3, ENGLAND_AND_WALES, date(2026, 12, 31)),  # Christmas, then Boxing Day on Monday 28th
        (date(2026, 4, 6), 3, ENGLAND_AND_WALES, date(2026, 4, 9)),  # on Easter Monday
        (date(2026, 4, 3), 3, ENGLAND_AND_WALES, date(2026, 4, 9)),  # Good Friday, then Easter Monday
        (date(2026, 4, 3), 3, SCOTLAND, date(2026, 4, 8)),  # Scotland works on Easter Monday
        (date(2026, 1, 1), 3, SCOTLAND, date(2026, 1, 7)),  # 1 and 2 January
        (date(2026, 1, 1), 3, ENGLAND_AND_WALES, date(2026, 1, 6)),
        (date(2025, 11, 28), 3, SCOTLAND, date(2025, 12, 4)),  # St Andrew's Day substitute on Monday 1 December
        (date(2025, 11, 28), 3, ENGLAND_AND_WALES, date(2025, 12, 3)),
        (date(2026, 1, 1), 20, SCOTLAND, date(2026, 1, 30)),
        (date(2026, 1, 1), 20, ENGLAND_AND_WALES, date(2026, 1, 29)),
        (date(2026, 3, 27), 25, ENGLAND_AND_WALES, date(2026, 5, 6)),  # Easter and the May Day holiday
    ],
)
def test_add_working_days_counts_from_the_day_after_receipt(
    received: date, n: int, calendar: WorkingDayCalendar, due: date
) -> None:
    assert add_working_days(received, n, calendar) == due


def test_add_working_days_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="zero or more"):
        add_working_days(date(2026, 1, 5), -1, ENGLAND_AND_WALES)


def test_england_and_wales_share_one_set_of_bank_holidays() -> None:
    years = range(2000, 2061)
    assert set(holidays.UK(subdiv="ENG", years=years)) == set(holidays.UK(subdiv="WLS", years=years))


@given(day=days, n=st.integers(min_value=1, max_value=60), calendar=st.sampled_from(ALL_CALENDARS))
def test_the_nth_working_day_is_a_working_day_with_exactly_n_working_days_up_to_it(
    day: date, n: int, calendar: WorkingDayCalendar
) -> None:
    due = add_working_days(day, n, calendar)
    assert due.weekday() < 5
    assert not calendar.is_holiday(due)
    between = [day + timedelta(days=i) for i in range(1, (due - day).days + 1)]
    assert sum(is_working_day(d, calendar) for d in between) == n


@given(first=days, gap=st.integers(min_value=0, max_value=400), n=st.integers(min_value=0, max_value=40))
def test_a_later_receipt_never_gives_an_earlier_working_day_due_date(first: date, gap: int, n: int) -> None:
    later = first + timedelta(days=gap)
    for calendar in ALL_CALENDARS:
        assert add_working_days(later, n, calendar) >= add_working_days(first, n, calendar)


@pytest.mark.parametrize(
    ("start", "months", "result"),
    [
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 3, 15), 6, date(2026, 9, 15)),
        (date(2026, 10, 31), 6, date(2027, 4, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 15), -13, date(2024, 12, 15)),
        (date(2026, 5, 20), 0, date(2026, 5, 20)),
    ],
)
def test_add_months_clamps_to_the_end_of_a_short_month(start: date, months: int, result: date) -> None:
    assert add_months(start, months) == result


@given(first=days, gap=st.integers(min_value=0, max_value=800), months=st.integers(min_value=0, max_value=24))
def test_add_months_lands_in_the_right_month_and_never_goes_backwards(first: date, gap: int, months: int) -> None:
    result = add_months(first, months)
    assert (result.year * 12 + result.month) - (first.year * 12 + first.month) == months
    assert result.day == first.day or (result.day < first.day and (result + timedelta(days=1)).day == 1)
    assert add_months(first + timedelta(days=gap), months) >= result
