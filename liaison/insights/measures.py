"""The office's measures, each defined once: what it counts, in plain words, and the cases behind it.

Every measure takes a *scope* (a Case queryset the caller has already restricted: a site, a department,
what the user may see) and a :class:`Period`. ``numerator`` returns exactly the cases counted, so a
dashboard's drill-down can list them; ``denominator`` the cases it is a share of (``None`` for counts and
day measures); ``value`` the number shown.

Choices that hold for every measure unless its definition says otherwise:

- A case belongs to the period in which the office received it, by the calendar of the site's time zone:
  a case received at 23:30 on 31 January in London is January's, and so is one received at 23:30 on
  31 January in New York (04:30 on 1 February UTC).
- A converted case counts as its current type; its received date never changes (cases.services.case_convert).
- A duplicate merged into another case is not counted: the case it was merged into carries on and counts.
- Restricted cases count like any other: measures count cases, never identities.
- Every measure is SQL over the figure columns ``cases.figures`` keeps on each case, so a dashboard of a
  million cases is a handful of aggregate queries (:func:`values`, :func:`trend`, :func:`breakdown`).
- A clock is *met* when the step was done by the end of its due day; *missed* when done later, or when the
  due day has passed with the step not done while the case was still open. A case closed, withdrawn or
  referred before its due day without the step is left out of that clock's measure (nothing was late).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Aggregate, Count, Exists, F, FloatField, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from liaison.cases.figures import days_between as _days_between
from liaison.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseType,
    Channel,
    ExternalBody,
    ExternalReferral,
    HcatCategory,
    Issue,
    Outcome,
    StageOfCare,
)
from liaison.lib.errors import ApplicationError
from liaison.org.models import StaffGroup

Number = int | float | None
Condition = Callable[[datetime], Q]  # given "now", which cases of the base count


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included, each read in the site's own time zone."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ApplicationError(
                f"The period must end on or after its first day ({self.start:%d %B %Y}), not on {self.end:%d %B %Y}."
            )

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(first, following - timedelta(days=1))

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The first moment of the period and the first moment after it, at a site in ``zone``."""
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one (the month before, for a whole month)."""
        if self._is_whole_months():
            months = _month_index(self.end) - _month_index(self.start) + 1
            first = _month_start(_month_index(self.start) - months)
            return Period(first, self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_before(self) -> Period:
        """The same days a year earlier (29 February becomes 28 February)."""
        return Period(_year_earlier(self.start), _year_earlier(self.end))

    def _is_whole_months(self) -> bool:
        return self.start.day == 1 and (self.end + timedelta(days=1)).day == 1

    def months(self) -> list[date]:
        """The first day of each calendar month the period touches."""
        return [_month_start(i) for i in range(_month_index(self.start), _month_index(self.end) + 1)]


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


# -- Which cases a measure looks at ----------------------------------------------------------------------------


def _counted(scope: QuerySet[Case]) -> QuerySet[Case]:
    """Duplicates merged into another case are never counted: the case they were merged into is."""
    return scope.filter(merged_into__isnull=True)


def received(scope: QuerySet[Case], period: Period) -> QuerySet[Case]:
    """Cases of the scope received in the period, by each site's calendar (merged duplicates left out)."""
    return _counted(scope).filter(received_on__gte=period.start, received_on__lte=period.end)


def open_now(scope: QuerySet[Case]) -> QuerySet[Case]:
    return _counted(scope).filter(status__in=OPEN_STATUSES)


def _referred_in(scope: QuerySet[Case], period: Period, body: str) -> QuerySet[Case]:
    referrals = ExternalReferral.objects.filter(body=body, referred_on__gte=period.start, referred_on__lte=period.end)
    return _counted(scope).filter(pk__in=referrals.values("case_id"))


BASES: dict[str, Callable[[QuerySet[Case], Period], QuerySet[Case]]] = {
    "received": received,
    "open": lambda scope, period: open_now(scope),
}


# -- The measure ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One number the office reports. ``base`` says which cases it looks at ("received" in the period,
    "open" now, or "referred:<body>" in the period); ``counted`` which of them it counts; ``among`` (for a
    share) which of them the share is of; ``days`` (for a days measure) the figure column it summarises."""

    key: str
    name: str
    definition: str  # plain words, shown beside the number
    rule: str  # the RULES.md id it serves, or ""
    unit: str  # "count", "percent" or "days"
    base: str = "received"
    counted: Condition | None = None
    among: Condition | None = None
    days: str = ""
    summary: Callable[[list[int]], float | int] | None = None
    period_applies: bool = True

    def cases(self, scope: QuerySet[Case], period: Period) -> QuerySet[Case]:
        if self.base.startswith("referred:"):
            return _referred_in(scope, period, self.base.partition(":")[2])
        return BASES[self.base](scope, period)

    def numerator(self, scope: QuerySet[Case], period: Period, *, now: datetime | None = None) -> QuerySet[Case]:
        """Exactly the cases counted (for a days measure, the cases whose days are summarised)."""
        return self.cases(scope, period).filter(self._counted_q(now or timezone.now()))

    def denominator(
        self, scope: QuerySet[Case], period: Period, *, now: datetime | None = None
    ) -> QuerySet[Case] | None:
        if self.among is None:
            return None
        return self.cases(scope, period).filter(self.among(now or timezone.now()))

    def value(self, scope: QuerySet[Case], period: Period, *, now: datetime | None = None) -> Number:
        return values(scope, period, keys=[self.key], now=now)[self.key]

    def _counted_q(self, now: datetime) -> Q:
        if self.days:
            return Q(**{f"{self.days}__isnull": False})
        q = self.counted(now) if self.counted else Q()
        return q & self.among(now) if self.among else q


def share(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return float((Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def percentile_90(values: Sequence[int]) -> int:
    """Nearest rank: the smallest value with at least 90% of the values at or below it."""
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def median(values: Sequence[int]) -> float | int:
    return statistics.median(values)


def values(
    scope: QuerySet[Case], period: Period, *, keys: Iterable[str] | None = None, now: datetime | None = None
) -> dict[str, Number]:
    """The value of each measure (all of them by default), in one aggregate query per base."""
    token = _ZONES.set({})
    try:
        return _values(scope, period, keys, now or timezone.now())
    finally:
        _ZONES.reset(token)


def _values(scope: QuerySet[Case], period: Period, keys: Iterable[str] | None, now: datetime) -> dict[str, Number]:
    wanted = [MEASURES[key] for key in (keys if keys is not None else MEASURES)]
    result: dict[str, Number] = {}
    by_base: dict[str, list[Measure]] = {}
    referred = [m for m in wanted if m.base.startswith("referred:")]
    if referred:
        result.update(_referral_counts(scope, period, referred))
    for measure in wanted:
        if not measure.days and not measure.base.startswith("referred:"):
            by_base.setdefault(measure.base, []).append(measure)
    for base, measures in by_base.items():
        aggregates: dict[str, Any] = {}
        for m in measures:
            aggregates[f"n_{m.key}"] = Count("pk", filter=m._counted_q(now))
            if m.among is not None:
                aggregates[f"d_{m.key}"] = Count("pk", filter=m.among(now))
        counts = BASES[base](scope, period).aggregate(**aggregates)
        for m in measures:
            part = counts[f"n_{m.key}"]
            result[m.key] = share(part, counts[f"d_{m.key}"]) if m.among is not None else part
    day_measures = [m for m in wanted if m.days]
    if day_measures and connection.vendor == "postgresql":
        result.update(_days_in_sql(scope, period, day_measures))
    elif day_measures:
        columns = sorted({m.days for m in day_measures})
        rows = received(scope, period).filter(_any_not_null(columns)).values_list(*columns)
        taken: dict[str, list[int]] = {column: [] for column in columns}
        for row in rows.iterator(chunk_size=5000):
            for column, value in zip(columns, row, strict=True):
                if value is not None:
                    taken[column].append(value)
        for m in day_measures:
            assert m.summary is not None
            result[m.key] = m.summary(taken[m.days]) if taken[m.days] else None
    return {m.key: result[m.key] for m in wanted}


class _Percentile(Aggregate):
    """PostgreSQL's ordered-set aggregates: ``percentile_cont(0.5)`` is the median (the mean of the two middle
    values for an even count, as ``statistics.median``); ``percentile_disc(0.9)`` the nearest-rank 90th
    percentile, as :func:`percentile_90`."""

    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, column: str, *, function: str, fraction: float, **extra: Any) -> None:
        super().__init__(column, function=function, fraction=fraction, **extra)


_SQL_SUMMARY = {median: ("percentile_cont", 0.5), percentile_90: ("percentile_disc", 0.9)}


def _days_in_sql(scope: QuerySet[Case], period: Period, wanted: list[Measure]) -> dict[str, Number]:
    """Medians and percentiles of days taken, worked out by PostgreSQL in one query."""
    aggregates = {}
    for m in wanted:
        function, fraction = _SQL_SUMMARY[m.summary]  # type: ignore[index]
        aggregates[m.key] = _Percentile(m.days, function=function, fraction=fraction)
    found = received(scope, period).aggregate(**aggregates)
    return {
        key: None if value is None else (int(value) if float(value).is_integer() else float(value))
        for key, value in found.items()
    }


def _referral_counts(scope: QuerySet[Case], period: Period, wanted: list[Measure]) -> dict[str, int]:
    """Cases referred to each body in the period, in one query over the period's referrals."""
    rows = (
        ExternalReferral.objects.filter(
            case__in=_counted(scope), referred_on__gte=period.start, referred_on__lte=period.end
        )
        .values("body")
        .annotate(n=Count("case_id", distinct=True))
        .order_by()
    )
    by_body = {row["body"]: row["n"] for row in rows}
    return {m.key: by_body.get(m.base.partition(":")[2], 0) for m in wanted}


def _any_not_null(columns: Iterable[str]) -> Q:
    q = Q(pk__in=[])
    for column in columns:
        q |= Q(**{f"{column}__isnull": False})
    return q


def trend(
    scope: QuerySet[Case], months: Sequence[date], *, keys: Iterable[str], now: datetime | None = None
) -> dict[date, dict[str, Number]]:
    """Count and share measures of cases received, month by month, in one grouped query.

    ``months`` are the first days of consecutive calendar months; measures on other bases are refused.
    """
    now = now or timezone.now()
    measures = [MEASURES[key] for key in keys]
    for m in measures:
        if m.base != "received" or m.days:
            raise ApplicationError(f"{m.name} has no monthly trend.")
    if not months:
        return {}
    period = Period(months[0], Period.month(months[-1].year, months[-1].month).end)
    aggregates: dict[str, Any] = {}
    for m in measures:
        aggregates[f"n_{m.key}"] = Count("pk", filter=m._counted_q(now))
        if m.among is not None:
            aggregates[f"d_{m.key}"] = Count("pk", filter=m.among(now))
    rows = (
        received(scope, period)
        .annotate(month=TruncMonth("received_on"))
        .values("month")
        .order_by("month")
        .annotate(**aggregates)
    )
    by_month = {_as_date(row["month"]): row for row in rows}
    result: dict[date, dict[str, Number]] = {}
    for month in months:
        row = by_month.get(month, {})
        result[month] = {
            m.key: (
                share(row.get(f"n_{m.key}", 0), row.get(f"d_{m.key}", 0))
                if m.among is not None
                else row.get(f"n_{m.key}", 0)
            )
            for m in measures
        }
    return result


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


# -- Breakdowns ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    """Cases received in the period counted by one of their facts. Facts of the coded issues (HCAT domain and
    category, stage of care, staff group, department) count a case once under each value its issues carry,
    so the parts may add up to more than the cases; a case none of whose issues carries a value counts under
    "Not recorded"."""

    key: str
    name: str
    path: str  # the Case lookup path of the value
    labels: Callable[[], dict[Any, str]] = field(default=dict)
    # For a fact derived from an issue column (the HCAT domain of a category): each value and the column
    # values it stands for.
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def _issue_column(self) -> str:
        """The Issue column of a fact of the coded issues; "" for a fact of the case itself."""
        return self.path.removeprefix("issues__") if self.path.startswith("issues__") else ""

    def _recorded(self) -> Q:
        column = self._issue_column
        if self.groups:
            return Q(**{f"{column}__in": [v for values in self.groups.values() for v in values]})
        q = Q(**{f"{column}__isnull": False})
        return q & ~Q(**{column: ""}) if self.path in _TEXT_PATHS else q

    def _is(self, value: Any) -> Q:
        """The issues that carry ``value``."""
        column = self._issue_column
        return Q(**{f"{column}__in": self.groups[value]}) if self.groups else Q(**{column: value})

    def fact(self, value: Any) -> Any:
        """What a coded issue's column value counts as here (its group, for a grouped fact); None when it
        carries nothing this breakdown counts (the same test as ``_recorded``, in Python)."""
        if self.groups:
            for key, values in self.groups.items():
                if value in values:
                    return key
            return None
        if value is None or (value == "" and self.path in _TEXT_PATHS):
            return None
        return value

    def counts(self, scope: QuerySet[Case], period: Period, *, total: int | None = None) -> list[tuple[Any, str, int]]:
        """(value, label, number of cases), largest first; ``None`` is "Not recorded". ``total``, the cases
        received in the period when the caller knows it already, saves counting them again."""
        if self._issue_column:
            return issue_fact_counts(scope, period, [self.key], total=total)[self.key]
        rows = received(scope, period).values(self.path).annotate(n=Count("pk")).order_by()
        found = {row[self.path]: row["n"] for row in rows if row[self.path] not in ("", None)}
        missing = sum(row["n"] for row in rows if row[self.path] in ("", None))
        return self._items(found, missing)

    def _items(self, found: dict[Any, int], missing: int) -> list[tuple[Any, str, int]]:
        labels = self.labels()
        items = [(value, labels.get(value, str(value)), n) for value, n in found.items()]
        if missing:
            items.append((None, "Not recorded", missing))
        return sorted(items, key=lambda item: (-item[2], item[1]))

    def cases(self, scope: QuerySet[Case], period: Period, value: Any) -> QuerySet[Case]:
        """Exactly the cases counted under ``value`` (``None``: "Not recorded")."""
        base = received(scope, period)
        column = self._issue_column
        if not column:
            if value is None:
                return base.filter(Q(**{f"{self.path}__isnull": True}) | Q(**{self.path: ""}))
            return base.filter(**{self.path: value})
        if value is None:
            return base.exclude(Exists(Issue.objects.filter(self._recorded(), case_id=OuterRef("pk"))))
        if self.groups and value not in self.groups:
            return base.none()
        return base.filter(Exists(Issue.objects.filter(self._is(value), case_id=OuterRef("pk"))))


def _site_labels() -> dict[Any, str]:
    from liaison.org.models import Site

    return dict(Site.objects.values_list("pk", "name"))


def _department_labels() -> dict[Any, str]:
    from liaison.org.models import Department

    return dict(Department.objects.values_list("pk", "name"))


# The three domains of the Healthcare Complaints Analysis Tool and the categories in each.
HCAT_DOMAINS: dict[str, tuple[str, ...]] = {
    "clinical": (HcatCategory.QUALITY, HcatCategory.SAFETY),
    "management": (HcatCategory.ENVIRONMENT, HcatCategory.INSTITUTIONAL_PROCESSES),
    "relationships": (HcatCategory.LISTENING, HcatCategory.COMMUNICATION, HcatCategory.RESPECT_RIGHTS),
}


def _domain_labels() -> dict[Any, str]:
    return {"clinical": "Clinical", "management": "Management", "relationships": "Relationships"}


def _choices(choices: Any) -> Callable[[], dict[Any, str]]:
    return lambda: dict(choices.choices)


_TEXT_PATHS = {"case_type", "channel", "issues__category", "issues__stage_of_care", "issues__staff_group"}

BREAKDOWNS: dict[str, Breakdown] = {
    b.key: b
    for b in (
        Breakdown("case_type", "Type", "case_type", _choices(CaseType)),
        Breakdown("channel", "Channel", "channel", _choices(Channel)),
        Breakdown("site", "Site", "site_id", _site_labels),
        Breakdown("department", "Department", "issues__department_id", _department_labels),
        Breakdown("hcat_domain", "HCAT domain", "issues__category", _domain_labels, groups=HCAT_DOMAINS),
        Breakdown("hcat_category", "HCAT category", "issues__category", _choices(HcatCategory)),
        Breakdown("stage_of_care", "Stage of care", "issues__stage_of_care", _choices(StageOfCare)),
        Breakdown(
            "staff_group",
            "Staff group",
            "issues__staff_group",
            _choices(StaffGroup),
        ),
    )
}


def issue_fact_counts(
    scope: QuerySet[Case], period: Period, keys: Sequence[str], *, total: int | None = None
) -> dict[str, list[tuple[Any, str, int]]]:
    """Several breakdowns by facts of the coded issues (department, HCAT category and domain, stage of care,
    staff group), from one read of the issues of the cases received in the period.

    A case counts once under each value its issues carry (two issues in one department: once), and under
    "Not recorded" when none of its issues carries one. Each breakdown used to be two queries that each
    read the whole issues table; the dashboard shows five of them.
    """
    wanted = [BREAKDOWNS[key] for key in keys]
    if any(not b._issue_column for b in wanted):
        raise ApplicationError("Only breakdowns by a fact of the coded issues are counted from the issues.")
    cases = received(scope, period)
    columns = sorted({b._issue_column for b in wanted})
    rows = list(Issue.objects.filter(case__in=cases).order_by().values_list("case_id", *columns))
    if total is None:
        total = cases.count()
    result: dict[str, list[tuple[Any, str, int]]] = {}
    for b in wanted:
        at = columns.index(b._issue_column) + 1
        fact_of = {v: key for key, values in b.groups.items() for v in values}.get if b.groups else b.fact
        pairs = {(fact, row[0]) for row in rows if (fact := fact_of(row[at])) is not None}
        found: dict[Any, int] = {}
        for fact, _case in pairs:
            found[fact] = found.get(fact, 0) + 1
        recorded = len({case_id for _fact, case_id in pairs})
        result[b.key] = b._items(found, total - recorded)
    return result


def breakdown(scope: QuerySet[Case], period: Period, *, by: str) -> dict[str, int]:
    """Cases received in the period counted by one fact (see ``BREAKDOWNS``), largest first, keyed by value."""
    if by not in BREAKDOWNS:
        raise ApplicationError(f"Cases can be broken down by {', '.join(BREAKDOWNS)}; not by {by!r}.")
    return {str(value) if value is not None else "": n for value, _label, n in BREAKDOWNS[by].counts(scope, period)}


def first_response_at(case: Case) -> datetime | None:
    """When the first response went out (reopening a case clears ``responded_at``; this stays)."""
    return case.first_responded_at


def days_between(case: Case, done: datetime) -> int:
    """Days from the day received to the day done at the case's site (see cases.figures)."""
    return _days_between(case.received_at, done, policy_pack=case.site.policy_pack, zone=case.site.zone)


# -- Conditions ------------------------------------------------------------------------------------------------


def _met(due: str, done: str) -> Condition:
    return lambda now: Q(**{f"{due}__isnull": False, f"{done}__isnull": False, f"{done}__lte": F(due)})


def _missed(due: str, done: str) -> Condition:
    """Done after the due moment; or not done, the due moment passed, and the case still open then."""

    def condition(now: datetime) -> Q:
        late = Q(**{f"{done}__gt": F(due)})
        still_open_then = Q(status__in=OPEN_STATUSES) | Q(stopped_at__isnull=True) | Q(stopped_at__gt=F(due))
        undone = Q(**{f"{done}__isnull": True, f"{due}__lt": now}) & still_open_then
        return Q(**{f"{due}__isnull": False}) & (late | undone)

    return condition


def _decided(due: str, done: str) -> Condition:
    met, missed = _met(due, done), _missed(due, done)
    return lambda now: met(now) | missed(now)


def _where(**lookups: Any) -> Condition:
    return lambda now: Q(**lookups)


def _age(low: int, high: int | None) -> Condition:
    """Received between ``low`` and ``high`` days before today (each site's today, in its time zone)."""

    def condition(now: datetime) -> Q:
        q = Q()
        for site_id, zone in _site_zones():
            today = timezone.localdate(now, zone)
            band = Q(received_on__lte=today - timedelta(days=low))
            if high is not None:
                band &= Q(received_on__gte=today - timedelta(days=high))
            q |= Q(site_id=site_id) & band
        return q if q else Q(pk__in=[])

    return condition


# Inside one values() call, each site's time zone is read once however many measures need it; outside one
# (a single measure's numerator, a drill-down), it is read afresh.
_ZONES: ContextVar[dict[str, list[tuple[int, ZoneInfo]]] | None] = ContextVar("site_zones", default=None)


def _site_zones() -> list[tuple[int, ZoneInfo]]:
    from liaison.org.models import Site

    cache = _ZONES.get()
    if cache is not None and "zones" in cache:
        return cache["zones"]
    zones = [(pk, ZoneInfo(name)) for pk, name in Site.objects.values_list("pk", "time_zone")]
    if cache is not None:
        cache["zones"] = zones
    return zones


def _always(now: datetime) -> Q:
    return Q()


_JUDGED = (Outcome.UPHELD, Outcome.PARTLY_UPHELD, Outcome.NOT_UPHELD)

_DAYS_WORDS = (
    "Days are counted from the day received (day 0) to the day done, at the site: working days at UK sites, "
    "skipping weekends and the nation's bank holidays, calendar days at US sites."
)
_FIRST_RESPONSE_WORDS = (
    "A reopened case counts once, with its first response: reopening clears the response date, but the case "
    "keeps the moment of its first response."
)


def _count(key: str, name: str, definition: str, rule: str, counted: Condition, base: str = "received") -> Measure:
    return Measure(key, name, definition, rule, "count", base=base, counted=counted, period_applies=base != "open")


def _percent(key: str, name: str, definition: str, rule: str, counted: Condition, among: Condition) -> Measure:
    return Measure(key, name, definition, rule, "percent", counted=counted, among=among)


def _days(
    key: str, name: str, definition: str, rule: str, column: str, summary: Callable[[list[int]], float | int]
) -> Measure:
    return Measure(key, name, definition, rule, "days", days=column, summary=summary)


MEASURES_LIST: tuple[Measure, ...] = (
    _count(
        "received",
        "Cases received",
        "Every case received in the period, of any type and channel (a breakdown by type and by channel goes "
        "with it). A converted case counts once, as its current type; a duplicate merged into another case is "
        "not counted.",
        "UK-9",
        _always,
    ),
    _percent(
        "acknowledged_on_time",
        "Acknowledged within the target",
        "Of the cases received in the period that have an acknowledgement clock under the site's rules "
        "(complaints at UK sites; US grievances have none), the share acknowledged by the end of the due day. "
        "Cases not yet acknowledged count as late once the due day has passed; cases still within their time, "
        "or closed before the due day without an acknowledgement, are left out.",
        "UK-3",
        _met("ack_due_at", "acknowledged_at"),
        _decided("ack_due_at", "acknowledged_at"),
    ),
    _percent(
        "responded_on_time",
        "Responded within the target or the agreed extension",
        "Of the cases received in the period that have a response clock (complaints at UK sites, grievances at "
        "US sites), the share whose first response went out by the end of the due day. The due day is the one "
        "the rules give today: the agreed response date or agreed extension at UK sites, and at US sites 7 days "
        "or the follow-up date the interim notice promised. Unanswered cases count as late once that day has "
        "passed. " + _FIRST_RESPONSE_WORDS,
        "UK-8",
        _met("response_due_at", "first_responded_at"),
        _decided("response_due_at", "first_responded_at"),
    ),
    _days(
        "days_to_acknowledge_median",
        "Days to acknowledge (median)",
        "The middle of the days taken to acknowledge the cases received in the period that have been "
        "acknowledged (the mean of the two middle values when there is an even number). " + _DAYS_WORDS,
        "UK-3",
        "days_to_acknowledge",
        median,
    ),
    _days(
        "days_to_acknowledge_p90",
        "Days to acknowledge (90th percentile)",
        "Of the cases received in the period that have been acknowledged, the smallest number of days within "
        "which at least 9 in 10 of them were acknowledged. " + _DAYS_WORDS,
        "UK-3",
        "days_to_acknowledge",
        percentile_90,
    ),
    _days(
        "days_to_respond_median",
        "Days to respond (median)",
        "The middle of the days taken to send the first response, over the cases received in the period that "
        "have had one. " + _DAYS_WORDS + " " + _FIRST_RESPONSE_WORDS,
        "UK-8",
        "days_to_respond",
        median,
    ),
    _days(
        "days_to_respond_p90",
        "Days to respond (90th percentile)",
        "Of the cases received in the period that have had a response, the smallest number of days within "
        "which at least 9 in 10 had their first response. " + _DAYS_WORDS + " " + _FIRST_RESPONSE_WORDS,
        "UK-8",
        "days_to_respond",
        percentile_90,
    ),
    _percent(
        "interim_notice_on_time",
        "Grievances answered or given an interim notice within 7 days",
        "Of the grievances received in the period at US sites, the share that had the written response or an "
        "interim notice by the end of the 7th calendar day after the day received. Grievances with neither "
        "count as late once that day has passed; those still within the 7 days are left out.",
        "US-14",
        _met("interim_due_at", "interim_done_at"),
        _decided("interim_due_at", "interim_done_at"),
    ),
    _count(
        "upheld",
        "Upheld",
        "Cases received in the period whose recorded overall outcome is upheld.",
        "UK-9",
        _where(outcome=Outcome.UPHELD),
    ),
    _count(
        "partly_upheld",
        "Partly upheld",
        "Cases received in the period whose recorded overall outcome is partly upheld.",
        "UK-9",
        _where(outcome=Outcome.PARTLY_UPHELD),
    ),
    _count(
        "not_upheld",
        "Not upheld",
        "Cases received in the period whose recorded overall outcome is not upheld.",
        "UK-9",
        _where(outcome=Outcome.NOT_UPHELD),
    ),
    _percent(
        "well_founded_rate",
        "Well-founded rate",
        "Of the cases received in the period with an outcome of upheld, partly upheld or not upheld, the share "
        "upheld or partly upheld. Cases the office was unable to investigate, and cases with no outcome yet, "
        "are left out.",
        "UK-9",
        _where(outcome__in=(Outcome.UPHELD, Outcome.PARTLY_UPHELD)),
        _where(outcome__in=_JUDGED),
    ),
    _percent(
        "reopened",
        "Reopened",
        "Of the cases received in the period that were responded to, closed or withdrawn at least once, the "
        "share reopened afterwards. A case reopened twice counts once.",
        "",
        _where(reopened=True),
        _where(finished_once=True),
    ),
    *(
        Measure(
            f"referred_{body}",
            f"Referred to the {label}",
            f"Cases referred to the {label} on a day within the period (the referral date, not the received "
            "date). A case referred more than once in the period counts once.",
            rule,
            "count",
            base=f"referred:{body}",
            counted=_always,
        )
        for body, label, rule in (
            (ExternalBody.OMBUDSMAN, "ombudsman", "UK-9"),
            (ExternalBody.QIO, "Quality Improvement Organization", "US-11"),
            (ExternalBody.STATE_AGENCY, "State survey agency", "US-18"),
        )
    ),
    _count(
        "open_now",
        "Open now",
        "Cases open at this moment (new, acknowledged, under investigation, response drafted or responded and "
        "not yet closed), whenever they were received. The period does not apply.",
        "",
        _always,
        base="open",
    ),
    _count(
        "overdue_now",
        "Overdue now",
        "Open cases whose next deadline under the site's rules (acknowledgement, response, interim notice or "
        "statutory limit, extensions included) has passed at this moment. The period does not apply.",
        "",
        lambda now: Q(next_due_at__lt=now),
        base="open",
    ),
    *(
        _count(
            f"open_{name}",
            f"Open now, received {words}",
            f"Cases open at this moment that were received {words} (by the calendar, at the site). Together the "
            "four add up to the cases open now. The period does not apply.",
            "",
            _age(low, high),
            base="open",
        )
        for name, words, low, high in (
            ("0_7", "up to 7 days ago", 0, 7),
            ("8_30", "8 to 30 days ago", 8, 30),
            ("31_90", "31 to 90 days ago", 31, 90),
            ("over_90", "more than 90 days ago", 91, None),
        )
    ),
    _count(
        "compliments",
        "Compliments",
        "Cases received in the period recorded as compliments.",
        "",
        _where(case_type=CaseType.COMPLIMENT),
    ),
    _count(
        "concerns_resolved_informally",
        "Concerns resolved informally",
        "Concerns received in the period that were closed informally: resolved at first contact, or the person "
        "declined a formal complaint. A concern later converted into a complaint counts as a complaint, not here.",
        "UK-13",
        lambda now: Q(case_type=CaseType.CONCERN) & ~Q(informal_outcome=""),
    ),
)

MEASURES: dict[str, Measure] = {measure.key: measure for measure in MEASURES_LIST}
