"""The retention pages: each site's periods and what would be purged today, and the legal holds."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap
from liaison.cases.selectors import get_case_for_user
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site
from liaison.retention import selectors, services
from liaison.retention.forms import AutomaticPurgeForm, HoldForm, ReleaseForm, RuleForm
from liaison.retention.models import COUNTING_POINTS, CountedFrom, RecordType


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _sites(user: User, cap: Cap) -> list[Site]:
    sites = selectors.sites_for(user, cap)
    if not sites:
        raise Http404
    return sites


def _site(sites: list[Site], code: object) -> Site:
    site = next((s for s in sites if s.code == code), None)
    if site is None:
        raise Http404
    return site


def _overview(request: HttpRequest, sites: list[Site], *, form: Any = None, status: int = 200) -> HttpResponse:
    user = _user(request)
    sections = []
    for site in sites:
        rules = selectors.rules_for(site)
        sections.append(
            {
                "site": site,
                "rules": [
                    {
                        "rule": rule,
                        "points": [(point, CountedFrom(point).label) for point in COUNTING_POINTS[record_type]],
                        "key": f"{site.code}-{record_type}",
                    }
                    for record_type, rule in rules.items()
                ],
                "automatic": selectors.automatic_purge_on(site),
                "plan": selectors.site_plan(site, label_limit=50),
                "holds": selectors.holds_for(user, [site]).count(),
                "runs": selectors.recent_runs(site),
            }
        )
    return render(request, "retention/index.html", {"sections": sections, "form": form}, status=status)


def index(request: HttpRequest) -> HttpResponse:
    """Each site's periods (editable), the automatic purge switch, the holds, and what would be purged today."""
    return _overview(request, _sites(_user(request), Cap.RETENTION_MANAGE))


@require_POST
def rule_save(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    sites = _sites(user, Cap.RETENTION_MANAGE)
    site = _site(sites, request.POST.get("site"))
    if request.POST.get("reset"):
        try:
            services.rule_reset(acting_user=user, site=site, record_type=str(request.POST.get("record_type", "")))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{site.name}: back to the default period.")
        return redirect(reverse("retention:index") + f"#site-{site.code}")
    form = RuleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.rule_set(
                acting_user=user,
                site=site,
                record_type=data["record_type"],
                years=data["years"],
                counted_from=data["counted_from"],
                source=data["source"],
                verified=data["verified"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            label = RecordType(data["record_type"]).label
            messages.success(request, f"{site.name}: {label.lower()} are now kept {data['years']} years.")
            return redirect(reverse("retention:index") + f"#site-{site.code}")
    return _overview(request, sites, form=form, status=400)


@require_POST
def automatic_save(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    sites = _sites(user, Cap.RETENTION_MANAGE)
    form = AutomaticPurgeForm(request.POST)
    if not form.is_valid():
        return _overview(request, sites, form=form, status=400)
    site = _site(sites, form.cleaned_data["site"])
    automatic = form.cleaned_data["automatic"]
    services.automatic_purge_set(acting_user=user, site=site, automatic=automatic)
    messages.success(
        request,
        f"{site.name}: due records are now purged automatically once a day."
        if automatic
        else f"{site.name}: automatic purging is off; nothing is purged unless someone runs the purge command.",
    )
    return redirect(reverse("retention:index") + f"#site-{site.code}")


def _holds_page(request: HttpRequest, sites: list[Site], form: HoldForm, status: int = 200) -> HttpResponse:
    holds = [
        {
            "reference": case.reference,
            "site": case.site.name,
            "status": case.get_status_display(),
            "reason": case.legal_hold_reason,
            "held_by": case.legal_hold_by.full_name if case.legal_hold_by else "",
            "held_at": case.legal_hold_at,
        }
        for case in selectors.holds_for(_user(request), sites)
    ]
    return render(request, "retention/holds.html", {"holds": holds, "form": form}, status=status)


def holds(request: HttpRequest) -> HttpResponse:
    """The cases on legal hold at the manager's sites, and the form to place one by case reference."""
    user = _user(request)
    sites = _sites(user, Cap.RETENTION_HOLD)
    if request.method != "POST":
        return _holds_page(request, sites, HoldForm(initial={"reference": request.GET.get("reference", "")}))
    form = HoldForm(request.POST)
    if form.is_valid():
        try:
            case = get_case_for_user(user=user, reference=form.cleaned_data["reference"])
        except Http404:
            form.add_error("reference", "No case with this reference at your sites.")
        else:
            try:
                services.legal_hold_place(acting_user=user, case=case, reason=form.cleaned_data["reason"])
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"{case.reference} is on legal hold: it will not be purged until released.")
                return redirect("retention:holds")
    return _holds_page(request, sites, form, status=400)


@require_POST
def hold_release(request: HttpRequest) -> HttpResponse:
    """The release button (a POST naming the case, so no reference travels in the address)."""
    user = _user(request)
    _sites(user, Cap.RETENTION_HOLD)
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        raise Http404
    case = get_case_for_user(user=user, reference=form.cleaned_data["reference"])
    try:
        services.legal_hold_release(acting_user=user, case=case)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Legal hold on {case.reference} released: its retention period applies again.")
    if form.cleaned_data["back"] == "case":
        return redirect("cases:detail", reference=case.reference)
    return redirect("retention:holds")
