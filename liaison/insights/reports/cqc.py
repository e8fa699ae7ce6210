"""England: the summary of complaints the CQC may ask for under regulation 16 (RULES.md UK-11).

When the CQC asks, the provider has 28 days to send a summary of its complaints, the responses and the related
correspondence. This gives, for the period asked about: how many complaints were received; how quickly they
were acknowledged and answered; their outcomes; their subjects (HCAT categories); and a list of the complaints
received, each with its dates, subject, outcome and the number of letters sent, by reference only. Every number
is one of the office's measures, read on the site's complaints (cases whose type is complaint now).
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q

from liaison.accounts.permissions import Cap
from liaison.cases.models import Case, CaseType, Issue
from liaison.insights.measures import MEASURES, Number, first_response_at, received, values
from liaison.insights.reports.base import (
    Cell,
    Headline,
    Report,
    ReportInput,
    ReportKind,
    Section,
    Table,
    category_label,
    local_date,
    unit_words,
)
from liaison.insights.reports.parts import category_counts

COUNTS = ("received", "open_now", "referred_ombudsman")
TIMELINESS = (
    "acknowledged_on_time",
    "responded_on_time",
    "days_to_acknowledge_median",
    "days_to_respond_median",
    "days_to_respond_p90",
)
OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "well_founded_rate", "reopened")


def _measure_rows(keys: tuple[str, ...], figures: dict[str, Number]) -> list[list[Cell]]:
    return [
        [MEASURES[key].name, unit_words(key), figures[key], MEASURES[key].definition] for key in keys if key in figures
    ]


def _complaint_row(case: Case) -> list[Cell]:
    categories = sorted({category_label(issue.category) for issue in case.issues.all()})
    return [
        case.reference,
        local_date(case.received_at, case.site),
        local_date(case.acknowledged_at, case.site),
        local_date(first_response_at(case), case.site),
        "; ".join(categories) or "No issue recorded",
        case.get_outcome_display() if case.outcome else "Not decided yet",
        case.get_status_display(),
        case.letters_sent,  # type: ignore[attr-defined]
    ]


def build(source: ReportInput) -> Report:
    complaints = source.cases.filter(case_type=CaseType.COMPLAINT)
    keys = [key for key in (*COUNTS, *TIMELINESS, *OUTCOMES) if key in MEASURES]
    figures = values(complaints, source.period, keys=keys, now=source.now)
    listed = (
        received(complaints, source.period)
        .select_related("site")
        .prefetch_related(Prefetch("issues", queryset=Issue.objects.order_by("pk")))
        .annotate(letters_sent=Count("letters", filter=Q(letters__sent_at__isnull=False)))
        .order_by("received_at", "pk")
    )
    rows = [_complaint_row(case) for case in listed]
    header = ["Measure", "Unit", "Value", "Definition"]
    return Report(
        kind=KIND.key,
        title=KIND.title,
        site_name=source.site.name,
        site_code=source.site.code,
        period=source.period,
        generated_at=source.local_now,
        audience="For the Care Quality Commission. Complaints are listed by reference only; nobody is named.",
        sections=[
            Section(
                key="counts",
                title="Complaints received",
                headlines=[
                    Headline(MEASURES["received"].name, figures["received"], MEASURES["received"].definition),
                ],
                tables=[Table("counts", "Counts", header, _measure_rows(COUNTS, figures), sheet="Counts")],
            ),
            Section(
                key="timeliness",
                title="Responses and timeliness",
                tables=[
                    Table("timeliness", "Timeliness", header, _measure_rows(TIMELINESS, figures), sheet="Timeliness")
                ],
            ),
            Section(
                key="outcomes",
                title="Outcomes",
                tables=[Table("outcomes", "Outcomes", header, _measure_rows(OUTCOMES, figures), sheet="Outcomes")],
            ),
            Section(
                key="themes",
                title="Themes",
                text=[
                    "HCAT categories of the issues raised (a complaint with issues in two categories counts in both)."
                ],
                tables=[
                    Table(
                        "themes",
                        "Themes",
                        ["HCAT category", "Complaints"],
                        [[category_label(code), n] for code, n in category_counts(complaints, source.period).items()],
                        sheet="Themes",
                    )
                ],
            ),
            Section(
                key="complaints",
                title="Complaints received in the period",
                text=["Each complaint by reference, with its dates, subject, outcome and the letters sent about it."],
                tables=[
                    Table(
                        "complaints",
                        "Complaints",
                        [
                            "Reference",
                            "Received",
                            "Acknowledged",
                            "First response",
                            "Subject (HCAT categories)",
                            "Outcome",
                            "Status now",
                            "Letters sent",
                        ],
                        rows,
                        sheet="Complaints",
                    )
                ],
            ),
        ],
    )


KIND = ReportKind(
    key="cqc",
    title="CQC regulation 16 summary",
    description="A summary of complaints, responses, outcomes, themes and timeliness for a period, with the "
    "complaints listed by reference, for the CQC (28 days to send it once asked).",
    capability=Cap.RETURNS_FILE,
    packs=frozenset({"england_nhs"}),
    default_period="month",
    build=build,
)
