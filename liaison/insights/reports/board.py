"""The monthly board report: how the office did against its targets, what people raised, what was learned.

It is written for wide circulation (a board pack is often published), so it never names a patient, a
complainant or a member of staff: notable cases are shown by reference with their learning de-identified,
restricted cases are never chosen as notable, and counts from 1 to 4 are shown as "<5". Percentages and days
are shown as they are; each measure's definition is printed beside it.

Every number is one of the office's measures (``liaison.insights.measures``), read for the month, the month
before and the same month a year earlier. The targets are the office's defaults, below; a site that has agreed
others with its board changes them here.
"""

from __future__ import annotations

from django.db.models import Q

from liaison.accounts.permissions import Cap
from liaison.cases.models import Case, Outcome, Priority
from liaison.insights.measures import MEASURES, trend, values
from liaison.insights.reports.base import (
    NOT_APPLICABLE,
    Cell,
    Headline,
    Report,
    ReportInput,
    ReportKind,
    Section,
    Table,
    category_label,
    months_up_to,
    period_words,
    suppress,
    unit_words,
)
from liaison.insights.reports.parts import (
    actions_completed,
    actions_due,
    category_counts,
    deidentify,
    feedback_themes,
)

# The office's default targets, in percent: acknowledgements within the pack's target (UK-3), responses within
# the target or the agreed extension (UK-8, US-14), and US grievances answered or given an interim notice
# within 7 days (US-14).
TARGETS: dict[str, float] = {
    "acknowledged_on_time": 95.0,
    "responded_on_time": 90.0,
    "interim_notice_on_time": 95.0,
}

_COMMON_HEAD = ("received",)
_COMMON_TAIL = (
    "upheld",
    "partly_upheld",
    "not_upheld",
    "well_founded_rate",
    "reopened",
    "compliments",
    "concerns_resolved_informally",
    "open_now",
    "overdue_now",
)
HEADLINE_MEASURES: dict[str, tuple[str, ...]] = {
    "uk": (
        *_COMMON_HEAD,
        "acknowledged_on_time",
        "responded_on_time",
        "days_to_acknowledge_median",
        "days_to_respond_median",
        *_COMMON_TAIL,
        "referred_ombudsman",
    ),
    "us": (
        *_COMMON_HEAD,
        "interim_notice_on_time",
        "responded_on_time",
        "days_to_respond_median",
        *_COMMON_TAIL,
        "referred_qio",
        "referred_state_agency",
    ),
}
TREND_MONTHS = 12
TOP = 5
NOTABLE_LIMIT = 10

AUDIENCE = (
    "For wide circulation. No patient, complainant or member of staff is named; counts from 1 to 4 are shown "
    'as "<5" so that nobody can be recognised from them.'
)


def _region(source: ReportInput) -> str:
    return "us" if source.site.policy_pack == "us_cms" else "uk"


def _shown(key: str, value: float | int | None) -> Cell:
    """A measure's value as printed here: counts suppressed below 5; no value is a dash."""
    if value is None:
        return None
    if MEASURES[key].unit == "count":
        return suppress(int(value))
    return value


def _against_target(key: str, value: float | int | None) -> str:
    target = TARGETS.get(key)
    if target is None:
        return ""
    if value is None:
        return "No cases to judge"
    return "Met" if value >= target else "Not met"


def _headline_section(source: ReportInput) -> Section:
    period, cases, now = source.period, source.cases, source.now
    before, last_year = period.previous(), period.year_before()
    keys = [key for key in HEADLINE_MEASURES[_region(source)] if key in MEASURES]
    over_time = [key for key in keys if MEASURES[key].period_applies]
    current = values(cases, period, keys=keys, now=now)
    earlier = values(cases, before, keys=over_time, now=now)
    a_year_ago = values(cases, last_year, keys=over_time, now=now)
    rows: list[list[Cell]] = []
    headlines = []
    for key in keys:
        measure, value, target = MEASURES[key], current[key], TARGETS.get(key)
        compared: list[Cell] = (
            [_shown(key, earlier[key]), _shown(key, a_year_ago[key])]
            if measure.period_applies
            else [NOT_APPLICABLE, NOT_APPLICABLE]
        )
        verdict = _against_target(key, value)
        rows.append([measure.name, unit_words(key), _shown(key, value), *compared, target, verdict, measure.definition])
        if target is not None or key == "received":
            note = f"Target {target:g}%: {verdict.lower()}." if target is not None else ""
            headlines.append(Headline(measure.name, _shown(key, value), note))
    return Section(
        key="measures",
        title="Headline measures",
        text=[
            f"Compared with {period_words(before)} and with {period_words(last_year)}. Measures of cases open "
            "now are counted when the report is produced, whatever the period."
        ],
        headlines=headlines,
        tables=[
            Table(
                key="measures",
                title="Measures against target",
                header=[
                    "Measure",
                    "Unit",
                    "This period",
                    "Period before",
                    "Same period last year",
                    "Target (%)",
                    "Against target",
                    "Definition",
                ],
                rows=rows,
                sheet="Measures",
            )
        ],
    )


def _trend_section(source: ReportInput) -> Section:
    second = "interim_notice_on_time" if _region(source) == "us" else "acknowledged_on_time"
    months = months_up_to(source.period, TREND_MONTHS)
    by_month = trend(source.cases, months, keys=("received", second, "responded_on_time"), now=source.now)
    rows: list[list[Cell]] = [
        [
            f"{month:%b %Y}",
            suppress(int(by_month[month]["received"] or 0)),
            by_month[month][second],
            by_month[month]["responded_on_time"],
        ]
        for month in months
    ]
    return Section(
        key="trend",
        title=f"The last {TREND_MONTHS} months",
        text=["Each month counts the cases received in it; a dash means no case in that month had the clock."],
        tables=[
            Table(
                key="trend",
                title="Received and on time, by month",
                header=["Month", "Cases received", f"{MEASURES[second].name} (%)", "Responded on time (%)"],
                rows=rows,
                sheet="Trend",
            )
        ],
    )


def _themes_section(source: ReportInput) -> Section:
    categories = [(code, n) for code, n in category_counts(source.cases, source.period).items() if code][:TOP]
    themes = feedback_themes(source, source.period, top=TOP)
    return Section(
        key="themes",
        title="What people raised",
        text=[
            "HCAT categories of the issues in the cases received this period (a case with issues in two "
            "categories counts in both), and the most common themes in feedback answers received this period."
        ],
        tables=[
            Table(
                key="categories",
                title="Top HCAT categories",
                header=["HCAT category", "Cases"],
                rows=[[category_label(code), suppress(count)] for code, count in categories],
                sheet="Categories",
            ),
            Table(
                key="feedback-themes",
                title="Top feedback themes",
                header=["Theme", "Answers"],
                rows=[[theme, suppress(count)] for theme, count in themes],
                sheet="Feedback themes",
            ),
        ],
    )


def notable_cases(source: ReportInput) -> list[Case]:
    """Cases answered this period and found upheld or partly upheld, and cases received this period rated high
    or extreme priority; never a restricted case. Most serious first."""
    start, after = source.period.bounds(source.site.zone)
    answered = Q(responded_at__gte=start, responded_at__lt=after, outcome__in=[Outcome.UPHELD, Outcome.PARTLY_UPHELD])
    serious = Q(received_at__gte=start, received_at__lt=after, priority__in=[Priority.HIGH, Priority.EXTREME])
    chosen = (
        source.cases.filter(answered | serious, restricted=False, merged_into__isnull=True)
        .prefetch_related("issues__staff_member")
        .order_by("priority_rank", "received_at", "pk")
    )
    return list(chosen[:NOTABLE_LIMIT])


def _notable_section(source: ReportInput) -> Section:
    rows: list[list[Cell]] = []
    for case in notable_cases(source):
        categories = sorted({category_label(issue.category) for issue in case.issues.all()})
        rows.append(
            [
                case.reference,
                case.get_case_type_display(),
                "; ".join(categories),
                case.get_outcome_display() if case.outcome else "Not decided yet",
                deidentify(case.learning, case=case),
            ]
        )
    return Section(
        key="notable",
        title="Notable cases and learning",
        text=[
            "Cases answered this period and upheld or partly upheld, and new cases rated high or extreme "
            "priority. The learning is as recorded, with names, numbers, addresses and dates taken out."
        ],
        tables=[
            Table(
                key="notable",
                title="Notable cases",
                header=["Reference", "Type", "HCAT categories", "Outcome", "Learning"],
                rows=rows,
                sheet="Notable cases",
            )
        ],
    )


def _actions_section(source: ReportInput) -> Section:
    completed = actions_completed(source, source.period)
    due = actions_due(source, source.period)
    return Section(
        key="actions",
        title="Improvement actions",
        headlines=[
            Headline("Completed this period", suppress(len(completed))),
            Headline("Due by the end of the period and not done then", suppress(len(due))),
        ],
        tables=[
            Table(
                key="actions-completed",
                title="Improvement actions completed",
                header=["Action", "Theme", "Department", "Completed on"],
                rows=[[a.what, a.theme, a.department, a.completed] for a in completed],
                sheet="Actions completed",
            ),
            Table(
                key="actions-due",
                title="Improvement actions due and not done",
                header=["Action", "Theme", "Department", "Due on", "Status now"],
                rows=[[a.what, a.theme, a.department, a.due, a.status] for a in due],
                sheet="Actions due",
            ),
        ],
    )


def build(source: ReportInput) -> Report:
    return Report(
        kind=KIND.key,
        title=KIND.title,
        site_name=source.site.name,
        site_code=source.site.code,
        period=source.period,
        generated_at=source.local_now,
        audience=AUDIENCE,
        sections=[
            _headline_section(source),
            _trend_section(source),
            _themes_section(source),
            _notable_section(source),
            _actions_section(source),
        ],
    )


KIND = ReportKind(
    key="board",
    title="Board report",
    description="The month's measures against target, a 12-month trend, top themes, notable cases "
    "(de-identified) and improvement actions. Fit for wide circulation.",
    capability=Cap.INSIGHTS_READ,
    packs=None,
    default_period="month",
    build=build,
)
