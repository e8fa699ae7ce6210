"""Building blocks more than one report uses: subjects, feedback themes, improvement actions, de-identified text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from liaison.cases.models import Case
from liaison.feedback.selectors import DashboardScope, dashboard
from liaison.improvement.models import ActionStatus, ImprovementAction
from liaison.insights.measures import Period, breakdown
from liaison.insights.reports.base import ReportInput, local_date
from liaison.lib.redact import redact_comment, redact_identifiers

NO_THEME = "Not assigned"


def category_counts(cases: QuerySet[Case], period: Period) -> dict[str, int]:
    """Cases received in the period under each HCAT category their issues carry (``measures.breakdown``), largest
    first; "" for cases whose issues are not coded yet."""
    return breakdown(cases, period, by="hcat_category")


def feedback_themes(source: ReportInput, period: Period, *, top: int) -> list[tuple[str, int]]:
    """The most common themes of the site's feedback answers received in the period, from the feedback
    dashboard's own tallies (one count per answer per theme); answers the model could not place are left
    out. A reader who may not count feedback (their answers are none) gets no themes."""
    if source.feedback.query.is_empty():
        return []
    scope = DashboardScope(site_ids=(source.site.pk,), date_from=period.start, date_to=period.end)
    counted = dashboard(scope=scope, examples_per_theme=0).themes
    return [(theme, count) for theme, count in counted if theme != NO_THEME][:top]


@dataclass(frozen=True)
class ActionRow:
    what: str  # de-identified
    theme: str
    department: str
    status: str
    due: date
    completed: date | None


def _action_row(action: ImprovementAction, source: ReportInput) -> ActionRow:
    return ActionRow(
        what=deidentify(action.what),
        theme=action.theme,
        department=action.department.name if action.department else "",
        status=action.get_status_display(),
        due=action.due_date,
        completed=local_date(action.completed_at, source.site),
    )


def _actions(source: ReportInput) -> QuerySet[ImprovementAction]:
    return ImprovementAction.objects.filter(site=source.site).select_related("department").order_by("due_date", "pk")


def actions_completed(source: ReportInput, period: Period) -> list[ActionRow]:
    """Improvement actions done within the period, by the site's calendar."""
    start, after = period.bounds(source.site.zone)
    done = _actions(source).filter(status=ActionStatus.DONE, completed_at__gte=start, completed_at__lt=after)
    return [_action_row(a, source) for a in done]


def actions_due(source: ReportInput, period: Period) -> list[ActionRow]:
    """Improvement actions due by the end of the period and not done by then (not cancelled)."""
    _, after = period.bounds(source.site.zone)
    open_then = Q(completed_at__isnull=True) | Q(completed_at__gte=after)
    due = _actions(source).filter(due_date__lte=period.end).exclude(status=ActionStatus.CANCELLED).filter(open_then)
    return [_action_row(a, source) for a in due]


def actions_of_year(source: ReportInput, period: Period) -> list[ActionRow]:
    """Actions taken or planned in the period: created, due or done within it (cancelled ones left out)."""
    start, after = period.bounds(source.site.zone)
    within = (
        Q(created_at__gte=start, created_at__lt=after)
        | Q(completed_at__gte=start, completed_at__lt=after)
        | Q(due_date__gte=period.start, due_date__lte=period.end)
    )
    rows = _actions(source).filter(within).exclude(status=ActionStatus.CANCELLED)
    return [_action_row(a, source) for a in rows]


def deidentify(text: str, *, case: Case | None = None) -> str:
    """Free text with nobody in it: the case's own people, numbers and addresses first, then anything shaped
    like an identifier and any name that follows a title ("Mrs Okafor", "Dr Patel")."""
    if not text:
        return ""
    names: list[str] = []
    if case is not None:
        text = redact_identifiers(
            text,
            emails=[case.patient_email, case.complainant_email],
            addresses=[case.patient_address, case.complainant_address],
            mrns=[case.patient_mrn],
        )
        names = [case.patient_name, case.complainant_name]
        names += [issue.staff_member.full_name for issue in case.issues.all() if issue.staff_member is not None]
    return redact_comment(text, names=[n for n in names if n])
