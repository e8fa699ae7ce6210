"""What every report is made of, and the small rules all of them share.

A report is built once, as plain data: sections holding headline numbers and tables of typed cells (numbers,
dates, text). ``render.py`` turns that one object into a PDF, CSV or XLSX, so the three formats cannot
disagree. Every number that is one of the office's measures comes from ``liaison.insights.measures``; the
report modules add only what no measure defines (a regulator's categories, a list of cases).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from liaison.accounts.permissions import Cap
from liaison.cases.models import Case, HcatCategory
from liaison.feedback.models import FeedbackResponse
from liaison.insights.measures import MEASURES, Period
from liaison.lib.errors import ApplicationError
from liaison.org.models import PolicyPack, Site

Cell = str | int | float | Decimal | date | None

SMALL_COUNT = 5  # counts from 1 to 4 are shown as "<5" in reports for wide circulation
NOT_APPLICABLE = "—"


class ReportRefused(ApplicationError):
    """The report cannot be produced until the office fixes its records; ``problems`` says what, case by case.

    ``problems`` holds (case reference or "", what to fix) pairs; the message names each of them.
    """

    def __init__(self, message: str, problems: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message, extra={"problems": [list(p) for p in problems]})
        self.problems = list(problems)


@dataclass
class Table:
    key: str  # unique within its report: the CSV ``table`` choice and the CLI ``--table``
    title: str
    header: list[str]
    rows: list[list[Cell]]
    note: str = ""  # printed under the table in the PDF
    sheet: str = ""  # the XLSX sheet's name (31 characters at most); the title when empty

    def display_rows(self) -> list[list[str]]:
        """The cells as the PDF prints them."""
        return [[display(cell) for cell in row] for row in self.rows]


@dataclass
class Headline:
    label: str
    value: Cell
    note: str = ""

    @property
    def shown(self) -> str:
        return display(self.value)


@dataclass
class Section:
    key: str
    title: str
    text: list[str] = field(default_factory=list)  # paragraphs, our own words
    headlines: list[Headline] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def headline_table(self) -> Table | None:
        """The headline numbers as a table too, so the CSV and XLSX carry everything the PDF prints."""
        if not self.headlines:
            return None
        return Table(
            key=f"{self.key}-headlines",
            title=f"{self.title}: headline numbers",
            header=["Item", "Value", "Note"],
            rows=[[h.label, h.value, h.note] for h in self.headlines],
            sheet=f"{self.title[:20]} headlines",
        )


@dataclass
class Report:
    kind: str
    title: str
    site_name: str
    site_code: str
    period: Period
    generated_at: datetime
    audience: str  # who it is for and what it leaves out, printed on its first page
    sections: list[Section] = field(default_factory=list)

    def tables(self) -> list[Table]:
        found: list[Table] = []
        for section in self.sections:
            headlines = section.headline_table()
            if headlines is not None:
                found.append(headlines)
            found.extend(section.tables)
        return found

    @property
    def period_words(self) -> str:
        return period_words(self.period)


@dataclass(frozen=True)
class ReportInput:
    """What a report is built from: the reader's scope at one site, for one period."""

    site: Site
    period: Period
    cases: QuerySet[Case]  # every case of the site: the office's numbers are the same whoever reads them
    feedback: QuerySet[FeedbackResponse]  # the site's feedback answers the reader may count
    identity: bool  # whether the reader may see who the patients are
    now: datetime
    # The cases whose patient the reader may name (restricted cases only for the people named on them).
    openable: QuerySet[Case] | None = None

    def named(self, cases: QuerySet[Case]) -> set[int]:
        """Which of ``cases`` may show the patient's identity to this reader."""
        if not self.identity or self.openable is None:
            return set()
        return set(self.openable.filter(pk__in=cases.values("pk")).values_list("pk", flat=True))

    @property
    def today(self) -> date:
        return timezone.localdate(self.now, self.site.zone)

    @property
    def local_now(self) -> datetime:
        return timezone.localtime(self.now, self.site.zone)


@dataclass(frozen=True)
class ReportKind:
    key: str
    title: str
    description: str  # one sentence for the reports page
    capability: Cap
    packs: frozenset[str] | None  # the policy packs whose sites it is for; None: every site
    default_period: str  # "month" or "financial_year"
    build: Callable[[ReportInput], Report]

    def fits(self, site: Site) -> bool:
        return self.packs is None or site.policy_pack in self.packs

    def check_site(self, site: Site) -> None:
        if self.packs is not None and not self.fits(site):
            raise ApplicationError(
                f"The {self.title} is for sites under the {_pack_names(self.packs)} rules; "
                f"{site.name} follows the {site.get_policy_pack_display()} rules."
            )


def _pack_names(packs: frozenset[str]) -> str:
    return " or ".join(sorted(PolicyPack(p).label for p in packs))


# -- Periods -------------------------------------------------------------------------------------------------


def last_full_month(today: date) -> Period:
    last_day = today.replace(day=1) - timedelta(days=1)
    return Period.month(last_day.year, last_day.month)


def last_financial_year(today: date) -> Period:
    """The last whole year from 1 April to 31 March before ``today``."""
    end_year = today.year if today >= date(today.year, 4, 1) else today.year - 1
    return Period(date(end_year - 1, 4, 1), date(end_year, 3, 31))


def default_period(kind: ReportKind, today: date) -> Period:
    return last_financial_year(today) if kind.default_period == "financial_year" else last_full_month(today)


def months_up_to(period: Period, count: int) -> list[date]:
    """The first days of the ``count`` calendar months ending with the one ``period`` ends in, oldest first."""
    year, month = period.end.year, period.end.month
    months = []
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def period_words(period: Period) -> str:
    return f"{long_date(period.start)} to {long_date(period.end)}"


def local_date(moment: datetime | None, site: Site) -> date | None:
    return None if moment is None else timezone.localdate(moment, site.zone)


# -- Cells ---------------------------------------------------------------------------------------------------


def display(cell: Cell) -> str:
    if cell is None or cell == "":
        return NOT_APPLICABLE
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, datetime):
        return f"{cell:%d %b %Y %H:%M}"
    if isinstance(cell, date):
        return f"{cell.day} {cell:%b %Y}"
    if isinstance(cell, float):
        return f"{cell:.1f}"
    return str(cell)


def suppress(count: int | None) -> int | str | None:
    """A count for wide circulation: 1 to 4 become "<5" so that nobody can be recognised; 0 stays 0."""
    if count is None or count == 0 or count >= SMALL_COUNT:
        return count
    return f"<{SMALL_COUNT}"


def category_label(code: str) -> str:
    if not code:
        return "Not coded yet"
    try:
        return str(HcatCategory(code).label)
    except ValueError:
        return code


UNITS = {"count": "cases", "percent": "%", "days": "days"}


def unit_words(key: str) -> str:
    return UNITS.get(MEASURES[key].unit, MEASURES[key].unit)
