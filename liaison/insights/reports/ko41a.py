"""England: the KO41a return (NHS hospital and community health services written complaints), filed yearly.

What it counts
    Complaints: cases whose type is complaint now (a concern converted into one counts; a duplicate merged into
    another case does not). Every complaint Liaison holds is recorded in writing, which is what the return
    means by a written complaint. Restricted cases count like any other, within the reader's scope.

    - *Brought forward*: complaints received before the first day and still open at its start.
    - *New*: complaints received in the period (the ``received`` measure, on complaints).
    - *Resolved*: complaints whose first written response was sent in the period, by their recorded outcome
      (upheld, partly upheld, not upheld). The return knows no other resolution, so a complaint withdrawn,
      referred elsewhere or found unable to be investigated is shown on a line of its own, outside the form,
      and leaves the count; that keeps *carried forward* = brought forward + new − resolved − ended otherwise.
    - *Carried forward*: of those, the ones still open at the end of the last day.
    All by the calendar of the site's time zone.

    Age of patient and status of complainant are given for the new complaints, once each. Service area,
    subject area (with the clinical-treatment sub-categories) and profession come from the complaint's coded
    issues: a complaint counts once in the totals and once under each *different* value its issues give in a
    section, as NHS Digital's guidance asks (two issues in different subject areas count twice there; two in the
    same count once).

Mapping
    The tables below map our codes to the return's categories: HCAT category (and stage of care) to subject
    area; department code to service area and clinical-treatment sub-category (our departments carry no
    specialty code, so the department's short code stands in for one; a hospital whose codes differ adds its
    own here); staff group to profession. Any value with no mapping, an issue not yet coded, a new complaint
    without issues, and a complaint answered with no outcome recorded are listed, case by case, and the return
    is refused until the officer fixes them.

Where we were unsure
    NHS Digital's guidance was checked for the sections, the multiple-aspect rule and the summary arithmetic.
    The category *names* below are as we remember them from the published form and may differ in wording:
    the age bands (we use 0-17, 18-64, 65 and over, unknown), the status-of-complainant list (we use patient,
    relative or carer, other), the service areas, the clinical-treatment sub-categories and the professions.
    Check them against the current form before filing, and correct them here; no other code depends on them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from liaison.accounts.permissions import Cap
from liaison.cases.models import (
    Case,
    CaseType,
    Issue,
    Outcome,
    StageOfCare,
)
from liaison.insights.measures import received, values
from liaison.insights.reports.base import (
    Cell,
    Headline,
    Report,
    ReportInput,
    ReportKind,
    ReportRefused,
    Section,
    Table,
    long_date,
)

# -- The return's categories, in the form's order -----------------------------------------------------------

AGE_UNKNOWN = "Age unknown"
AGE_BANDS: list[tuple[int, int | None, str]] = [
    (0, 17, "Age 0-17"),
    (18, 64, "Age 18-64"),
    (65, None, "Age 65 and over"),
]

PATIENT, RELATIVE, OTHER = "Patient", "Relative or carer", "Other"
COMPLAINANT_STATUSES = [PATIENT, RELATIVE, OTHER]
# Words in the recorded relationship that make the complainant a relative or carer; anything else is "other"
# (a friend, an advocate, an MP), and so is a representative whose relationship was not recorded.
_RELATIVES = """mother father mum mom dad parent parents son daughter child children wife husband partner spouse
    sister brother sibling grandmother grandfather grandma grandad granddad grandparent grandson granddaughter
    grandchild aunt uncle niece nephew cousin stepmother stepfather stepson stepdaughter guardian carer
    caregiver family relative relation widow widower fiance fiancee in-law"""
RELATIVE_WORDS = frozenset(_RELATIVES.split())

SERVICE_AREAS = [
    "Inpatients",
    "Outpatients",
    "A&E",
    "Maternity",
    "Mental health",
    "Learning disabilities",
    "Community hospitals",
    "Community services",
    "Ambulance services",
    "Dental",
    "Other",
]
# By department code. A hospital whose department codes differ adds them here.
SERVICE_AREA_BY_DEPARTMENT: dict[str, str] = {
    "ED": "A&E",
    "EM": "A&E",
    "AE": "A&E",
    "AMU": "Inpatients",
    "IM": "Inpatients",
    "CARD": "Inpatients",
    "GSURG": "Inpatients",
    "SURG": "Inpatients",
    "T&O": "Inpatients",
    "ORTHO": "Inpatients",
    "PAED": "Inpatients",
    "PEDS": "Inpatients",
    "COOP": "Inpatients",
    "ICU": "Inpatients",
    "ONC": "Outpatients",
    "OPD": "Outpatients",
    "RAD": "Outpatients",
    "IMG": "Outpatients",
    "PHARM": "Outpatients",
    "MAT": "Maternity",
    "L&D": "Maternity",
    "BH": "Mental health",
    "MH": "Mental health",
    "PTS": "Ambulance services",
    "PFS": "Other",
}
# For an issue with no department: the stages of a hospital stay say it was an inpatient's.
SERVICE_AREA_BY_STAGE: dict[str, str] = {
    StageOfCare.ADMISSIONS: "Inpatients",
    StageOfCare.WARD_CARE: "Inpatients",
    StageOfCare.OPERATION_PROCEDURE: "Inpatients",
    StageOfCare.DISCHARGE_TRANSFER: "Inpatients",
}

CLINICAL_TREATMENT = "Clinical treatment"
ADMISSIONS_DISCHARGE = (
    "Admissions, discharge and transfers (excluding delayed discharge due to absence of care package)"
)
PATIENT_CARE = "Patient care including nutrition/hydration"
SUBJECT_AREAS = [
    "Access to treatment or drugs",
    ADMISSIONS_DISCHARGE,
    "Appointments including delays and cancellations",
    CLINICAL_TREATMENT,
    "Commissioning",
    "Communications",
    "Consent to treatment",
    "End of life care",
    "Facilities",
    "Integrated care including delayed discharge due to absence of care package",
    "Mortuary",
    PATIENT_CARE,
    "Prescribing",
    "Privacy, dignity and wellbeing",
    "Restraint",
    "Staff numbers",
    "Test results",
    "Transport (ambulances and other)",
    "Trust admin/policies/procedures including patient record management",
    "Values and behaviours (staff)",
    "Waiting times",
    "Other",
]
SUBJECT_BY_CATEGORY: dict[str, str] = {
    "quality": CLINICAL_TREATMENT,
    "safety": CLINICAL_TREATMENT,
    "environment": "Facilities",
    "institutional_processes": "Trust admin/policies/procedures including patient record management",
    "listening": "Communications",
    "communication": "Communications",
    "respect_rights": "Values and behaviours (staff)",
}
# Where the stage of care says more than the HCAT category alone.
SUBJECT_BY_CATEGORY_AND_STAGE: dict[tuple[str, str], str] = {
    **{
        (category, stage): ADMISSIONS_DISCHARGE
        for category in ("quality", "safety", "institutional_processes")
        for stage in (StageOfCare.ADMISSIONS, StageOfCare.DISCHARGE_TRANSFER)
    },
    ("quality", StageOfCare.WARD_CARE): PATIENT_CARE,
    ("safety", StageOfCare.WARD_CARE): PATIENT_CARE,
}

CLINICAL_SUBCATEGORIES = [
    "Accident & Emergency",
    "Ambulance Services",
    "Cancer Group",
    "Care of the Elderly Group",
    "Community Hospital Group",
    "Critical Care",
    "Diagnosis Group",
    "Gynaecology & Obstetrics Group",
    "Medical Group",
    "Mental Health Group",
    "Paediatric Group",
    "Surgical Group",
    "Other",
]
CLINICAL_SUBCATEGORY_BY_DEPARTMENT: dict[str, str] = {
    "ED": "Accident & Emergency",
    "EM": "Accident & Emergency",
    "AE": "Accident & Emergency",
    "PTS": "Ambulance Services",
    "ONC": "Cancer Group",
    "COOP": "Care of the Elderly Group",
    "ICU": "Critical Care",
    "RAD": "Diagnosis Group",
    "IMG": "Diagnosis Group",
    "MAT": "Gynaecology & Obstetrics Group",
    "L&D": "Gynaecology & Obstetrics Group",
    "AMU": "Medical Group",
    "IM": "Medical Group",
    "CARD": "Medical Group",
    "OPD": "Medical Group",
    "BH": "Mental Health Group",
    "MH": "Mental Health Group",
    "PAED": "Paediatric Group",
    "PEDS": "Paediatric Group",
    "GSURG": "Surgical Group",
    "SURG": "Surgical Group",
    "T&O": "Surgical Group",
    "ORTHO": "Surgical Group",
    "PHARM": "Other",
}

PROFESSIONS = [
    "Medical (including surgical)",
    "Dental (including surgical)",
    "Nursing, midwifery and health visiting",
    "Allied health professionals",
    "Scientific, therapeutic and technical",
    "Ambulance staff",
    "Trust administrative staff / members of the Trust Board",
    "Other",
]
PROFESSION_BY_STAFF_GROUP: dict[str, str] = {
    "medical": "Medical (including surgical)",
    "nursing": "Nursing, midwifery and health visiting",
    "allied_health": "Allied health professionals",
    "administrative": "Trust administrative staff / members of the Trust Board",
    "other": "Other",
}


# -- Coding one complaint ------------------------------------------------------------------------------------


@dataclass
class Coding:
    """One new complaint as the return sees it, with what stops it being counted."""

    reference: str
    age: str
    status: str
    services: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    clinical: set[str] = field(default_factory=set)
    professions: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def age_band(case: Case) -> str:
    if case.patient_dob is None:
        return AGE_UNKNOWN
    on = timezone.localdate(case.received_at, case.site.zone)
    years = on.year - case.patient_dob.year - ((on.month, on.day) < (case.patient_dob.month, case.patient_dob.day))
    for low, high, label in AGE_BANDS:
        if years >= low and (high is None or years <= high):
            return label
    return AGE_UNKNOWN  # a date of birth after the day received


def complainant_status(case: Case) -> str:
    if case.complainant_is_patient:
        return PATIENT
    words = set(re.split(r"[^a-z\-]+", case.complainant_relationship.lower()))
    words |= {part for word in words for part in word.split("-")}
    return RELATIVE if words & RELATIVE_WORDS else OTHER


def _department_words(issue: Issue) -> str:
    department = issue.department
    assert department is not None
    return f'department "{department.name}" ({department.code or "no code"})'


def code_issue(issue: Issue, number: int, coding: Coding) -> None:
    """Add one issue's service area, subject, clinical sub-category and profession to the complaint's coding."""
    label = f"issue {number}"
    department_code = issue.department.code if issue.department is not None else ""

    if issue.department is not None:
        service = SERVICE_AREA_BY_DEPARTMENT.get(department_code)
        if service is None:
            coding.problems.append(f"{label}: {_department_words(issue)} has no KO41a service area")
    else:
        service = SERVICE_AREA_BY_STAGE.get(issue.stage_of_care)
        if service is None:
            coding.problems.append(
                f"{label} has no department, and its stage of care ({issue.get_stage_of_care_display()}) "
                "gives no KO41a service area"
            )
    if service is not None:
        coding.services.add(service)

    if not issue.category:
        coding.problems.append(f"{label} has no HCAT category yet")
    else:
        subject = SUBJECT_BY_CATEGORY_AND_STAGE.get(
            (issue.category, issue.stage_of_care), SUBJECT_BY_CATEGORY.get(issue.category)
        )
        if subject is None:
            coding.problems.append(f"{label}: HCAT category {issue.category!r} has no KO41a subject area")
        else:
            coding.subjects.add(subject)
            if subject == CLINICAL_TREATMENT:
                clinical = CLINICAL_SUBCATEGORY_BY_DEPARTMENT.get(department_code) if department_code else None
                if issue.department is None:
                    coding.problems.append(
                        f"{label} is about clinical treatment but names no department, which gives its "
                        "KO41a clinical sub-category"
                    )
                elif clinical is None:
                    coding.problems.append(
                        f"{label}: {_department_words(issue)} has no KO41a clinical-treatment sub-category"
                    )
                else:
                    coding.clinical.add(clinical)

    if not issue.staff_group:
        coding.problems.append(f"{label} has no staff group, which gives its KO41a profession")
    else:
        profession = PROFESSION_BY_STAFF_GROUP.get(issue.staff_group)
        if profession is None:
            coding.problems.append(f"{label}: staff group {issue.staff_group!r} has no KO41a profession")
        else:
            coding.professions.add(profession)


def code_complaint(case: Case) -> Coding:
    coding = Coding(reference=case.reference, age=age_band(case), status=complainant_status(case))
    issues = list(case.issues.all())
    if not issues:
        coding.problems.append("no issues are recorded, so it has no service area, subject or profession")
    for number, issue in enumerate(issues, start=1):
        code_issue(issue, number, coding)
    return coding


# -- Where each complaint stood ------------------------------------------------------------------------------


def ended_before(moment: datetime) -> Q:
    """Complaints that had left the process before ``moment``: by their first written response, or, never
    answered, by when they last left the open statuses (withdrawn, referred, closed). Figures kept on each case
    (``cases.figures``): ``first_responded_at`` survives a reopening; ``stopped_at`` is empty while open."""
    return Q(first_responded_at__lt=moment) | Q(first_responded_at__isnull=True, stopped_at__lt=moment)


def still_in_at(moment: datetime) -> Q:
    """The opposite of :func:`ended_before`, written out so that empty columns read as "not yet"."""
    unanswered = Q(first_responded_at__isnull=True) & (Q(stopped_at__isnull=True) | Q(stopped_at__gte=moment))
    return Q(first_responded_at__gte=moment) | unanswered


@dataclass
class Summary:
    brought_forward: int = 0
    new: int = 0
    upheld: int = 0
    partly: int = 0
    not_upheld: int = 0
    ended_otherwise: int = 0
    carried_forward: int = 0

    @property
    def resolved(self) -> int:
        return self.upheld + self.partly + self.not_upheld


def gather(source: ReportInput) -> tuple[Summary, list[Coding], list[tuple[str, str]]]:
    """The return's numbers, the coding of each new complaint, and what stops the return being filed."""
    period = source.period
    complaints = source.cases.filter(case_type=CaseType.COMPLAINT, merged_into__isnull=True)
    start, after = period.bounds(source.site.zone)
    # Open at the start: received before the first day and not ended before it; with the new ones, the pool.
    pool = complaints.filter(Q(received_on__lte=period.end) & still_in_at(start))
    answered = Q(first_responded_at__gte=start, first_responded_at__lt=after)
    ended_now = ended_before(after)
    counts = pool.aggregate(
        brought_forward=Count("pk", filter=Q(received_on__lt=period.start)),
        upheld=Count("pk", filter=answered & Q(outcome=Outcome.UPHELD)),
        partly=Count("pk", filter=answered & Q(outcome=Outcome.PARTLY_UPHELD)),
        not_upheld=Count("pk", filter=answered & Q(outcome=Outcome.NOT_UPHELD)),
        ended_otherwise=Count(
            "pk", filter=ended_now & (Q(first_responded_at__isnull=True) | answered & Q(outcome=Outcome.UNABLE))
        ),
        carried_forward=Count("pk", filter=still_in_at(after)),
    )
    summary = Summary(new=int(values(complaints, period, keys=["received"], now=source.now)["received"] or 0), **counts)
    unjudged = pool.filter(answered, outcome="").order_by("received_on", "pk")
    problems = [
        (
            case.reference,
            f"answered on {long_date(timezone.localdate(case.first_responded_at, source.site.zone))} but no "
            "outcome is recorded (upheld, partly upheld or not upheld)",
        )
        for case in unjudged.only("reference", "first_responded_at")
        if case.first_responded_at is not None
    ]
    issues = Prefetch("issues", queryset=Issue.objects.select_related("department").order_by("pk"))
    new = received(complaints, period).select_related("site").prefetch_related(issues).order_by("received_on", "pk")
    codings = [code_complaint(case) for case in new]
    problems += [(c.reference, "; ".join(c.problems)) for c in codings if c.problems]
    return summary, codings, problems


# -- The return ----------------------------------------------------------------------------------------------


def _count_table(key: str, title: str, first: str, labels: list[str], values: list[set[str] | str]) -> Table:
    counts = dict.fromkeys(labels, 0)
    for value in values:
        for label in [value] if isinstance(value, str) else value:
            counts[label] = counts.get(label, 0) + 1
    return Table(
        key=key,
        title=title,
        header=[first, "Complaints"],
        rows=[[label, count] for label, count in counts.items()],
        sheet=title[:31],
    )


def refusal(problems: list[tuple[str, str]]) -> ReportRefused:
    listed = "; ".join(f"{reference}: {what}" for reference, what in problems)
    return ReportRefused(
        f"The KO41a return cannot be exported until {len(problems)} complaint"
        f"{'s are' if len(problems) != 1 else ' is'} coded in a way the return can count. Fix these "
        f"and try again: {listed}.",
        problems,
    )


def build(source: ReportInput) -> Report:
    summary, codings, problems = gather(source)
    if problems:
        raise refusal(problems)
    period = source.period
    rows: list[list[Cell]] = [
        [f"Brought forward (open at the start of {long_date(period.start)})", summary.brought_forward],
        ["New complaints received", summary.new],
        ["Upheld", summary.upheld],
        ["Partly upheld", summary.partly],
        ["Not upheld", summary.not_upheld],
        ["Total resolved", summary.resolved],
        [
            "Not on the form: ended without an outcome (withdrawn, referred elsewhere or unable to investigate)",
            summary.ended_otherwise,
        ],
        [f"Carried forward (open at the end of {long_date(period.end)})", summary.carried_forward],
    ]
    return Report(
        kind=KIND.key,
        title=KIND.title,
        site_name=source.site.name,
        site_code=source.site.code,
        period=period,
        generated_at=source.local_now,
        audience="For filing with NHS England. Counts only; no patient is identified.",
        sections=[
            Section(
                key="summary",
                title="Summary of overall numbers",
                text=[
                    "Resolved means the first written response was sent in the period, counted by the outcome "
                    "recorded. Carried forward = brought forward + new − resolved − ended without an outcome."
                ],
                headlines=[
                    Headline("New complaints", summary.new),
                    Headline("Resolved", summary.resolved),
                    Headline("Carried forward", summary.carried_forward),
                ],
                tables=[Table("summary", "Summary of overall numbers", ["Item", "Complaints"], rows, sheet="Summary")],
            ),
            Section(
                key="age",
                title="Age of patient",
                text=["New complaints, by the patient's age on the day the complaint was received."],
                tables=[
                    _count_table(
                        "age",
                        "Age of patient",
                        "Age",
                        [label for _, _, label in AGE_BANDS] + [AGE_UNKNOWN],
                        [c.age for c in codings],
                    )
                ],
            ),
            Section(
                key="status",
                title="Status of complainant",
                tables=[
                    _count_table(
                        "status",
                        "Status of complainant",
                        "Complainant",
                        COMPLAINANT_STATUSES,
                        [c.status for c in codings],
                    )
                ],
            ),
            Section(
                key="service",
                title="Service area",
                text=["A complaint counts once under each different service area its issues name."],
                tables=[
                    _count_table(
                        "service", "Service area", "Service area", SERVICE_AREAS, [c.services for c in codings]
                    )
                ],
            ),
            Section(
                key="clinical",
                title="Subject area of clinical treatment",
                text=["The clinical-treatment subject area broken down further, for complaints with a clinical issue."],
                tables=[
                    _count_table(
                        "clinical",
                        "Clinical treatment sub-categories",
                        "Sub-category",
                        CLINICAL_SUBCATEGORIES,
                        [c.clinical for c in codings],
                    )
                ],
            ),
            Section(
                key="subject",
                title="Subject area",
                text=["A complaint counts once under each different subject area its issues give."],
                tables=[
                    _count_table(
                        "subject", "Subject area", "Subject area", SUBJECT_AREAS, [c.subjects for c in codings]
                    )
                ],
            ),
            Section(
                key="profession",
                title="Profession",
                text=["A complaint counts once under each different profession its issues name."],
                tables=[
                    _count_table(
                        "profession", "Profession", "Profession", PROFESSIONS, [c.professions for c in codings]
                    )
                ],
            ),
        ],
    )


KIND = ReportKind(
    key="ko41a",
    title="KO41a return",
    description="England's yearly return of written complaints to NHS England: overall numbers, age, "
    "complainant, service area, subject area and profession. Refused while any complaint is not coded.",
    capability=Cap.RETURNS_FILE,
    packs=frozenset({"england_nhs"}),
    default_period="financial_year",
    build=build,
)
