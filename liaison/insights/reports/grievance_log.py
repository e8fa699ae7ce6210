"""US: the grievance log a CMS surveyor asks for (42 CFR 482.13(a)(2); RULES.md US-10, US-14, US-15).

One row per grievance received in the period (by the site's calendar; a complaint the rules made a grievance
counts, whatever it was logged as): its reference, the day received, how the rules classified it and why (the
reasons ``cases.rules.classification`` gives, each naming its rule), the day of the interim notice, the day of
the written response (the first one, as the ``days to respond`` measure counts it), the calendar days between
the day received and that response (US-14), and the days it was referred to the QIO and the State survey
agency. The patient's name is added only for readers who may see identities.
"""

from __future__ import annotations

from django.db.models import Prefetch

from liaison.accounts.permissions import Cap
from liaison.cases import rules
from liaison.cases.models import Case, CaseType, ExternalBody, ExternalReferral
from liaison.insights.measures import MEASURES, days_between, first_response_at, received, values
from liaison.insights.reports.base import (
    Cell,
    Headline,
    Report,
    ReportInput,
    ReportKind,
    Section,
    Table,
    local_date,
)

HEADLINES = (
    "received",
    "interim_notice_on_time",
    "responded_on_time",
    "days_to_respond_median",
    "referred_qio",
    "referred_state_agency",
)


def _referred(case: Case, body: str) -> Cell:
    days = sorted(r.referred_on for r in case.external_referrals.all() if r.body == body)
    if not days:
        return None
    return days[0] if len(days) == 1 else "; ".join(f"{d:%Y-%m-%d}" for d in days)


def row(case: Case, *, identity: bool, named: bool = True) -> list[Cell]:
    """One grievance; with ``identity``, a Patient column, filled only when the reader may open the case."""
    facts = rules.classification(case)
    answered = first_response_at(case)
    cells: list[Cell] = [
        case.reference,
        local_date(case.received_at, case.site),
        "Grievance" if facts.is_grievance else CaseType(facts.case_type).label,
        " ".join(facts.reasons),
        local_date(case.interim_notice_sent_at, case.site),
        local_date(answered, case.site),
        days_between(case, answered) if answered is not None else None,
        _referred(case, ExternalBody.QIO),
        _referred(case, ExternalBody.STATE_AGENCY),
    ]
    if identity:
        cells.append((case.patient_name or "Not known") if named else "Not shown (restricted)")
    return cells


def build(source: ReportInput) -> Report:
    grievances = source.cases.filter(case_type=CaseType.GRIEVANCE)
    referrals = Prefetch("external_referrals", queryset=ExternalReferral.objects.order_by("referred_on", "pk"))
    cases = received(grievances, source.period).select_related("site").prefetch_related(referrals)
    header = [
        "Reference",
        "Received",
        "Classification",
        "Why",
        "Interim notice sent",
        "Written response sent",
        "Days taken (calendar)",
        "Referred to the QIO",
        "Referred to the State agency",
    ]
    if source.identity:
        header.append("Patient")
    named = source.named(cases)
    rows = [row(case, identity=source.identity, named=case.pk in named) for case in cases.order_by("received_at", "pk")]
    keys = [key for key in HEADLINES if key in MEASURES]
    figures = values(grievances, source.period, keys=keys, now=source.now)
    headlines = [Headline(MEASURES[key].name, figures[key], MEASURES[key].definition) for key in keys]
    audience = (
        "Names patients: for the grievance committee and CMS surveyors only."
        if source.identity
        else "No patient is identified."
    )
    return Report(
        kind=KIND.key,
        title=KIND.title,
        site_name=source.site.name,
        site_code=source.site.code,
        period=source.period,
        generated_at=source.local_now,
        audience=audience,
        sections=[
            Section(
                key="summary",
                title="Grievances in the period",
                text=[
                    "Grievances received in the period. Days taken are calendar days from the day received to "
                    "the day of the first written response."
                ],
                headlines=headlines,
            ),
            Section(
                key="log", title="Grievance log", tables=[Table("log", "Grievance log", header, rows, sheet="Log")]
            ),
        ],
    )


KIND = ReportKind(
    key="grievance-log",
    title="Grievance log",
    description="Every grievance received in the period, with its classification and why, interim notice, "
    "written response, days taken and QIO and State agency referrals, as CMS surveyors ask for it.",
    capability=Cap.RETURNS_FILE,
    packs=frozenset({"us_cms"}),
    default_period="month",
    build=build,
)
