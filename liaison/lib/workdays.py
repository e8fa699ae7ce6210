"""Working-day calendars and calendar arithmetic for statutory clocks.

Counting convention (RULES.md, "after the day on which it receives"): the receipt day is day 0 and day 1
is the first working day after it. A complaint received on a Saturday, a Sunday or a bank holiday is
therefore counted from the next working day, which is day 1: received Saturday 3 January 2026, the
third working day after it is Wednesday 7 January. This is the literal reading of the regulations and
the earliest of the readings in use, so a clock computed here is never later than the law allows.

Bank holidays come from the ``holidays`` package; its version is in :data:`HOLIDAYS_VERSION` so that a
clock can say which edition of the calendar it used.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

import holidays

HOLIDAYS_VERSION: str = holidays.__version__


@dataclass(frozen=True)
class WorkingDayCalendar:
    """Weekends (Saturday and Sunday) plus one nation's bank or public holidays."""

    key: str
    name: str  # "England and Wales bank holidays": reads well after "skipping weekends and"
    holiday_table: holidays.HolidayBase = field(repr=False, compare=False)

    def is_holiday(self, day: date) -> bool:
        return day in self.holiday_table

    def holiday_name(self, day: date) -> str | None:
        name = self.holiday_table.get(day)
        return str(name) if name is not None else None


# England and Wales share one set of bank holidays (ENG and WLS are identical in the holidays package).
ENGLAND_AND_WALES = WorkingDayCalendar(
    key="england_and_wales", name="England and Wales bank holidays", holiday_table=holidays.UK(subdiv="ENG")
)
SCOTLAND = WorkingDayCalendar(key="scotland", name="Scottish bank holidays", holiday_table=holidays.UK(subdiv="SCT"))
NORTHERN_IRELAND = WorkingDayCalendar(
    key="northern_ireland", name="Northern Ireland bank holidays", holiday_table=holidays.UK(subdiv="NIR")
)
US_FEDERAL = WorkingDayCalendar(key="us_federal", name="US federal holidays", holiday_table=holidays.US())

CALENDARS: dict[str, WorkingDayCalendar] = {
    cal.key: cal for cal in (ENGLAND_AND_WALES, SCOTLAND, NORTHERN_IRELAND, US_FEDERAL)
}


def is_working_day(day: date, calendar: WorkingDayCalendar) -> bool:
    return day.weekday() < 5 and not calendar.is_holiday(day)


def add_working_days(day: date, n: int, calendar: WorkingDayCalendar) -> date:
    """The n-th working day after ``day`` (day 0), which need not itself be a working day.

    ``n == 0`` returns ``day`` unchanged; for ``n >= 1`` the result is always a working day.
    """
    if n < 0:
        raise ValueError(f"Working days to add must be zero or more, not {n}.")
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day, calendar):
            counted += 1
    return day


def add_months(day: date, n: int) -> date:
    """The same day of the month ``n`` calendar months later (or earlier, for negative ``n``).

    When that month is too short the result is its last day: 31 August + 6 months is 28 February,
    or 29 February in a leap year; 29 February + 12 months is 28 February. The result is never past
    the end of the target month, so a "within 6 months" limit is never stretched into the next month.
    """
    months = day.year * 12 + (day.month - 1) + n
    year, month = divmod(months, 12)
    month += 1
    last = _calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))
