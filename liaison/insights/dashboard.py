"""What the managers' and executives' dashboard shows, built from the measures: every number with its
definition, the previous period, the same period a year before, and a link to exactly the cases behind it.

A dashboard is a handful of aggregate queries whatever the number of cases: ``measures.values`` once per
period compared, one grouped query for the monthly trend, one per breakdown by a fact of the case and one
read of the period's issues for all the breakdowns by a fact of the coded issues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from liaison.advocacy import selectors as advocacy_selectors
from liaison.advocacy.models import AppealOutcome
from liaison.cases.models import Case, CaseType, Issue
from liaison.feedback.handling import handling_satisfaction
from liaison.feedback.models import FeedbackResponse
from liaison.insights import measures
from liaison.insights.measures import BREAKDOWNS, MEASURES, Measure, Number, Period
from liaison.lib import charts
from liaison.meetings import selectors as meeting_selectors
from liaison.org.models import Department, Site

SMALL = 5  # counts from 1 to SMALL - 1 are shown as "<5" on views meant for wide circulation

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Cases received", ("received", "compliments", "concerns_resolved_informally")),
    (
        "On time",
        (
            "acknowledged_on_time",
            "responded_on_time",
            "interim_notice_on_time",
            "days_to_acknowledge_median",
            "days_to_acknowledge_p90",
            "days_to_respond_median",
            "days_to_respond_p90",
        ),
    ),
    (
        "Outcomes",
        (
            "upheld",
            "partly_upheld",
            "not_upheld",
            "well_founded_rate",
            "reopened",
            "referred_ombudsman",
            "referred_qio",
            "referred_state_agency",
        ),
    ),
    ("Open now", ("open_now", "overdue_now", "open_0_7", "open_8_30", "open_31_90", "open_over_90")),
)
DASHBOARD_MEASURES = tuple(key for _, keys in SECTIONS for key in keys)
TREND_MONTHS = 12
TREND_KEYS = ("received", "acknowledged_on_time", "responded_on_time")
BREAKDOWN_KEYS = (
    "case_type",
    "channel",
    "site",
    "department",
    "hcat_domain",
    "hcat_category",
    "stage_of_care",
    "staff_group",
)
AGE_KEYS = ("open_0_7", "open_8_30", "open_31_90", "open_over_90")


@dataclass(frozen=True)
class Filters:
    sites: Sequence[Site]
    period: Period
    department: Department | None = None
    case_type: str = ""
    circulate: bool = False

    @property
    def type_label(self) -> str:
        return dict(CaseType.choices).get(self.case_type, "")

    def site_cases(self) -> QuerySet[Case]:
        """Every case of the chosen sites, whatever department or type is chosen (the survey counts by site)."""
        return Case.objects.filter(site_id__in=[s.pk for s in self.sites])

    def scope(self) -> QuerySet[Case]:
        """The cases these filters look at. Restricted cases are counted like any other: the office's numbers
        are the same whoever reads them (the drill-down says which cases a reader may open)."""
        cases = self.site_cases()
        if self.department is not None:
            concerned = Issue.objects.filter(department=self.department).values("case_id")
            cases = cases.filter(Q(reported_department=self.department) | Q(pk__in=concerned))
        if self.case_type:
            cases = cases.filter(case_type=self.case_type)
        return cases

    def query(self, period: Period | None = None, **extra: str) -> str:
        """The filters as GET parameters (for links to the drill-down and the exports)."""
        period = period or self.period
        params = QueryDict(mutable=True)
        if len(self.sites) == 1:
            params["site"] = self.sites[0].code
        if self.department is not None:
            params["department"] = str(self.department.pk)
        if self.case_type:
            params["case_type"] = self.case_type
        params["date_from"], params["date_to"] = period.start.isoformat(), period.end.isoformat()
        if self.circulate:
            params["circulate"] = "on"
        for name, value in extra.items():
            params[name] = value
        return params.urlencode()


def shown(measure: Measure | None, value: Number, *, circulate: bool, unit: str = "") -> str:
    """A value as printed: "–" when there is nothing to show, "<5" for small counts on wide-circulation views."""
    unit = unit or (measure.unit if measure else "count")
    if value is None:
        return "\u2013"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "days":
        return f"{value:g}"
    if circulate and 0 < value < SMALL:
        return f"<{SMALL}"
    return f"{value:,}"


def drill_url(filters: Filters, period: Period | None = None, **what: str) -> str:
    return f"{reverse('insights:drilldown')}?{filters.query(period, **what)}"


@dataclass
class Comparison:
    label: str
    period: Period
    shown: str
    href: str


@dataclass
class Tile:
    measure: Measure
    value: Number
    shown: str
    href: str
    out_of: str = ""  # for a share: "of 42"
    out_of_href: str = ""
    comparisons: list[Comparison] = field(default_factory=list)


@dataclass
class FeedbackFigures:
    answers: int
    positive: float | None
    recommend: int | None
    recommend_answers: int
    href: str


@dataclass
class Dashboard:
    filters: Filters
    sections: list[tuple[str, list[Tile]]]
    trend_received: charts.Chart
    trend_on_time: charts.Chart
    trend_ack: charts.Chart
    breakdowns: list[tuple[str, str, charts.Chart]]
    open_by_age: charts.Chart
    feedback: FeedbackFigures
    handling: dict[str, Any]
    handling_href: str
    appeals: dict[str, Any]
    appeal_links: dict[str, str]
    meetings_held: int
    resolved_by_meeting: int
    resolved_by_meeting_href: str
    as_at: datetime


def build(filters: Filters, *, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    scope = filters.scope()
    period = filters.period
    previous, year_before = period.previous(), period.year_before()
    current = measures.values(scope, period, keys=DASHBOARD_MEASURES, now=now)
    # Measures of "now" have no previous period: each comparison reads only the measures of a period.
    compared = [key for key in DASHBOARD_MEASURES if MEASURES[key].period_applies]
    before = measures.values(scope, previous, keys=compared, now=now)
    last_year = measures.values(scope, year_before, keys=compared, now=now)
    denominators = _denominators(scope, period, now)
    sections = []
    for title, keys in SECTIONS:
        tiles = []
        for key in keys:
            measure = MEASURES[key]
            tile = Tile(
                measure,
                current[key],
                shown(measure, current[key], circulate=filters.circulate),
                drill_url(filters, measure=key),
            )
            if key in denominators:
                tile.out_of = shown(None, denominators[key], circulate=filters.circulate)
                tile.out_of_href = drill_url(filters, measure=key, part="denominator")
            if measure.period_applies:
                tile.comparisons = [
                    Comparison(
                        "Previous period",
                        previous,
                        shown(measure, before[key], circulate=filters.circulate),
                        drill_url(filters, previous, measure=key),
                    ),
                    Comparison(
                        "A year before",
                        year_before,
                        shown(measure, last_year[key], circulate=filters.circulate),
                        drill_url(filters, year_before, measure=key),
                    ),
                ]
            tiles.append(tile)
        sections.append((title, tiles))
    months = _trend_months(period.end)
    trend = measures.trend(scope, months, keys=TREND_KEYS, now=now)
    return Dashboard(
        filters=filters,
        sections=sections,
        trend_received=charts.columns(
            f"Cases received each month, {months[0]:%B %Y} to {months[-1]:%B %Y}",
            [
                (
                    f"{m:%b %y}",
                    trend[m]["received"],
                    shown(None, trend[m]["received"], circulate=filters.circulate),
                    drill_url(filters, Period.month(m.year, m.month), measure="received"),
                )
                for m in months
            ],
        ),
        trend_on_time=_line(trend, months, "responded_on_time"),
        trend_ack=_line(trend, months, "acknowledged_on_time"),
        breakdowns=_breakdown_charts(filters, scope, total=current["received"]),
        open_by_age=charts.horizontal_bars(
            "Open cases by how long ago they were received",
            [
                (
                    MEASURES[key].name.removeprefix("Open now, received "),
                    current[key],
                    shown(MEASURES[key], current[key], circulate=filters.circulate),
                    drill_url(filters, measure=key),
                )
                for key in AGE_KEYS
            ],
        ),
        feedback=feedback_figures(filters),
        handling=handling_satisfaction([site.pk for site in filters.sites], period.start, period.end),
        handling_href=drill_url(filters, handling="invited"),
        appeals=advocacy_selectors.outcomes(scope, period.start, period.end),
        appeal_links={key: drill_url(filters, appeals=key) for key in ("decided", *AppealOutcome.values)},
        meetings_held=sum(
            meeting_selectors.meetings_held(scope.filter(site=site), *period.bounds(site.zone)).count()
            for site in filters.sites
        ),
        resolved_by_meeting=resolved_by_meeting(filters).count(),
        resolved_by_meeting_href=drill_url(filters, meetings="resolved"),
        as_at=now,
    )


def resolved_by_meeting(filters: Filters) -> QuerySet[Case]:
    """Cases of the filters closed in the period (each site's calendar) after a meeting was held on them."""
    scope = filters.scope()
    wanted = Q(pk__in=[])
    for site in filters.sites:
        resolved = meeting_selectors.cases_resolved_by_meeting(
            scope.filter(site=site), *filters.period.bounds(site.zone)
        )
        wanted |= Q(pk__in=resolved.values("pk"))
    return scope.filter(wanted)


def _denominators(scope: QuerySet[Case], period: Period, now: datetime) -> dict[str, int]:
    """How many cases each share on the dashboard is of, in one query."""
    shares = [MEASURES[k] for k in DASHBOARD_MEASURES if MEASURES[k].among is not None]
    counts = measures.received(scope, period).aggregate(
        **{m.key: Count("pk", filter=m.among(now)) for m in shares if m.among is not None}
    )
    return {key: int(value) for key, value in counts.items()}


def _trend_months(end: date) -> list[date]:
    last = end.year * 12 + end.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(last - TREND_MONTHS + 1, last + 1)]


def _line(trend: dict[date, dict[str, Number]], months: list[date], key: str) -> charts.Chart:
    measure = MEASURES[key]
    return charts.percent_line(
        f"{measure.name}, month by month",
        [(f"{m:%b %y}", _float(trend[m][key]), shown(measure, trend[m][key], circulate=False)) for m in months],
    )


def _float(value: Number) -> float | None:
    return None if value is None else float(value)


def _breakdown_charts(filters: Filters, scope: QuerySet[Case], *, total: Number) -> list[tuple[str, str, charts.Chart]]:
    """Every breakdown's chart; those by a fact of the coded issues read the period's issues once, together."""
    known = int(total) if total is not None else None
    by_issue = [key for key in BREAKDOWN_KEYS if BREAKDOWNS[key].path.startswith("issues__")]
    counted = measures.issue_fact_counts(scope, filters.period, by_issue, total=known) if by_issue else {}
    return [
        _breakdown_chart(
            filters, key, counted[key] if key in counted else BREAKDOWNS[key].counts(scope, filters.period, total=known)
        )
        for key in BREAKDOWN_KEYS
    ]


def _breakdown_chart(filters: Filters, key: str, rows: list[tuple[Any, str, int]]) -> tuple[str, str, charts.Chart]:
    breakdown = BREAKDOWNS[key]
    return (
        key,
        breakdown.name,
        charts.horizontal_bars(
            f"Cases received by {breakdown.name.lower()}",
            [
                (
                    label,
                    n,
                    shown(None, n, circulate=filters.circulate),
                    drill_url(filters, breakdown=key, value="" if value is None else str(value)),
                )
                for value, label, n in rows[:12]
            ],
        ),
    )


def feedback_figures(filters: Filters) -> FeedbackFigures:
    """The Friends and Family Test share positive, and likelihood to recommend, where feedback exists; counted
    as the feedback dashboard counts them (its link shows the same answers).

    Positive: answers of "very good" or "good" among all FFT answers, "don't know" included, as NHS England
    reports it. Likelihood to recommend: promoters (9–10) less detractors (0–6), as a share of the 0–10
    answers (a net score from -100 to 100).
    """
    answers = FeedbackResponse.objects.filter(
        site__in=filters.sites, received_on__gte=filters.period.start, received_on__lte=filters.period.end
    )
    if filters.department is not None:
        answers = answers.filter(department=filters.department)
    figures: dict[str, int] = answers.aggregate(
        fft=Count("pk", filter=Q(fft_score__gte=1)),
        good=Count("pk", filter=Q(fft_score__in=(1, 2))),
        ltr=Count("pk", filter=Q(likelihood__isnull=False)),
        promoters=Count("pk", filter=Q(likelihood__gte=9)),
        detractors=Count("pk", filter=Q(likelihood__lte=6)),
    )
    params = QueryDict(mutable=True)
    params["date_from"], params["date_to"] = filters.period.start.isoformat(), filters.period.end.isoformat()
    if filters.department is not None:
        params["department"] = str(filters.department.pk)
    net = None
    if figures["ltr"]:
        net = round(100 * (figures["promoters"] - figures["detractors"]) / figures["ltr"])
    return FeedbackFigures(
        answers=figures["fft"],
        positive=measures.share(figures["good"], figures["fft"]),
        recommend=net,
        recommend_answers=figures["ltr"],
        href=f"{reverse('feedback:dashboard')}?{params.urlencode()}",
    )
