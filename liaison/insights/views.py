"""The dashboard and the drill-down from any of its numbers to exactly the cases counted."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.advocacy.models import AppealOutcome
from liaison.advocacy.selectors import cases_with_appeals_decided
from liaison.audit.services import audit_record
from liaison.cases.models import Case
from liaison.cases.selectors import can_see_identity, cases_for_user
from liaison.feedback.handling import DEFINITION as HANDLING_DEFINITION
from liaison.feedback.handling import handling_invited_cases
from liaison.insights import dashboard as board
from liaison.insights import exports
from liaison.insights.forms import DrillForm, InsightsFilterForm, last_full_month
from liaison.insights.measures import BREAKDOWNS, MEASURES
from liaison.lib.dbrouter import reads_from_replica
from liaison.lib.errors import ApplicationError
from liaison.lib.tables import FORMATS

PAGE_SIZE = 50
MEETINGS_DEFINITION = (
    "Cases closed in the period (by each site's calendar) that had a local resolution meeting, mediation, "
    "family or best-interests meeting held before they closed."
)
APPEALS_DEFINITION = (
    "Advocacy cases with an appeal to a payer or agency whose decision was recorded on a day within the period "
    "(the decision date, not the day the case was received)."
)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _reader(request: HttpRequest) -> User:
    user = _user(request)
    if not can(user, Cap.INSIGHTS_READ):
        raise Http404
    return user


def _filters(form: InsightsFilterForm) -> board.Filters:
    cleaned = form.cleaned_data
    return board.Filters(
        sites=cleaned["chosen_sites"],
        period=cleaned["period"],
        department=cleaned.get("department"),
        case_type=cleaned.get("case_type") or "",
        circulate=bool(cleaned.get("circulate")),
    )


@reads_from_replica
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    form = InsightsFilterForm(request.GET, user=user)
    # With errors, they are shown beside the filters, and last month's numbers for all the reader's sites meanwhile.
    valid = form.is_valid()
    filters = _filters(form) if valid else board.Filters(sites=form.sites, period=last_full_month())
    data = board.build(filters)
    audit_record(
        action="insights.dashboard_view",
        actor=user,
        details={"filters": filters.query(), "sites": [s.code for s in filters.sites]},
    )
    return render(
        request,
        "insights/dashboard.html",
        {"form": form, "data": data, "filters": filters, "can_export": can(user, Cap.INSIGHTS_EXPORT)},
    )


def _drilled(form: DrillForm, filters: board.Filters) -> tuple[str, str, Any]:
    """(title, definition, cases) for what was clicked."""
    cleaned = form.cleaned_data
    scope = filters.scope()
    if cleaned.get("measure"):
        measure = MEASURES[cleaned["measure"]]
        if cleaned.get("part") == "denominator" and measure.among is not None:
            cases = measure.denominator(scope, filters.period)
            return f"{measure.name}: all the cases the share is of", measure.definition, cases
        return measure.name, measure.definition, measure.numerator(scope, filters.period)
    if cleaned.get("meetings"):
        return "Cases resolved after a meeting", MEETINGS_DEFINITION, board.resolved_by_meeting(filters)
    if cleaned.get("appeals"):
        outcome = "" if cleaned["appeals"] == "decided" else cleaned["appeals"]
        label = dict(AppealOutcome.choices).get(outcome, "decided")
        cases = cases_with_appeals_decided(scope, filters.period.start, filters.period.end, outcome)
        return f"Cases with an appeal decided in the period: {label.lower()}", APPEALS_DEFINITION, cases
    if cleaned.get("handling"):
        # The survey counts by site, whatever the department or type chosen, and only who was invited can be
        # listed: who answered, and how, is never shown with the case.
        invited = handling_invited_cases(filters.site_cases(), filters.period.start, filters.period.end)
        return "Complainants invited to say how their complaint was handled", HANDLING_DEFINITION, invited
    breakdown = BREAKDOWNS[cleaned["breakdown"]]
    raw = cleaned.get("value") or ""
    value: Any = raw or None
    if raw and breakdown.path.endswith("_id"):
        if not raw.isdigit():
            raise ApplicationError(f"That is not a {breakdown.name.lower()} on the dashboard.")
        value = int(raw)
    label = dict((v, lbl) for v, lbl, _ in breakdown.counts(scope, filters.period)).get(value, raw or "Not recorded")
    return (
        f"Cases received by {breakdown.name.lower()}: {label}",
        breakdown.__doc__ or "",
        breakdown.cases(scope, filters.period, value),
    )


@reads_from_replica
def drilldown(request: HttpRequest) -> HttpResponse:
    """Exactly the cases behind one number of the dashboard, a page at a time, with their references; patient
    names only for readers allowed to see them, and only on the cases they may open."""
    user = _reader(request)
    form = DrillForm(request.GET, user=user)
    if not form.is_valid():
        return render(request, "insights/drilldown.html", {"form": form, "errors": True}, status=400)
    filters = _filters(form)
    try:
        title, definition, cases = _drilled(form, filters)
    except ApplicationError as exc:
        return render(request, "insights/drilldown.html", {"form": form, "message": str(exc)}, status=400)
    cases = cases.select_related("site", "owner").order_by("received_on", "reference")
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    shown: list[Case] = list(page.object_list)
    openable = set(cases_for_user(user=user).filter(pk__in=[c.pk for c in shown]).values_list("pk", flat=True))
    identity = can_see_identity(user)
    rows = [{"case": c, "openable": c.pk in openable, "identity": identity and c.pk in openable} for c in shown]
    audit_record(
        action="case.list_view",
        actor=user,
        object_type="cases.case",
        details={"page": page.number, "drilldown": filters.query(), "cases": [c.pk for c in shown]},
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "insights/drilldown.html",
        {
            "form": form,
            "filters": filters,
            "title": title,
            "definition": definition,
            "page": page,
            "rows": rows,
            "show_identity": identity,
            "query": params.urlencode(),
            "dashboard_query": filters.query(),
            "can_export": can(user, Cap.INSIGHTS_EXPORT),
        },
    )


@reads_from_replica
def drilldown_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse | FileResponse:
    """The drill-down's cases, all of them, as CSV or XLSX. Never with patient identities: the drill-down is
    for checking a number; an officer who needs names exports the worklist, which shows them only the cases
    they may open."""
    user = _reader(request)
    if fmt not in FORMATS or not can(user, Cap.INSIGHTS_EXPORT):
        raise Http404
    form = DrillForm(request.GET, user=user)
    if not form.is_valid():
        return render(request, "insights/drilldown.html", {"form": form, "errors": True}, status=400)
    filters = _filters(form)
    try:
        title, _definition, cases = _drilled(form, filters)
    except ApplicationError as exc:
        return render(request, "insights/drilldown.html", {"form": form, "message": str(exc)}, status=400)
    cases = cases.select_related(None).order_by("received_on", "reference")
    count = cases.count()
    return exports.download_response(
        request,
        filename="liaison-cases-behind-a-number",
        fmt=fmt,
        header=exports.case_header(identity=False),
        rows=exports.case_rows(cases, identity=False),
        audit_action="export.cases",
        audit_details={"drilldown": filters.query(), "what": title, "rows": count},
        audit_object_type="cases.case",
        sheet_title="Cases",
        rows_expected=count,
    )
