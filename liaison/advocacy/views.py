"""Pages of the advocacy app: the appeals of an advocacy case, and the site's deadline rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.advocacy import rules, selectors, services
from liaison.advocacy.forms import (
    AppealForm,
    ContactForm,
    DocumentForm,
    ExtensionForm,
    LetterForm,
    OutcomeForm,
    RefusalForm,
    RuleForm,
)
from liaison.advocacy.models import Appeal, DeadlineRule
from liaison.audit.services import audit_record
from liaison.cases.models import Case
from liaison.lib.downloads import stored_file_response
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _appeals(case: Case) -> QuerySet[Appeal]:
    return Appeal.objects.filter(case=case).prefetch_related("contacts__logged_by", "documents__added_by")


def _page(
    request: HttpRequest, case: Case, forms: dict[int, dict[str, Any]] | None = None, status: int = 200
) -> HttpResponse:
    overrides = selectors.overrides_for(case.site_id)
    rows = []
    for appeal in _appeals(case):
        given = (forms or {}).get(appeal.pk, {})
        rows.append(
            {
                "appeal": appeal,
                "deadlines": selectors.deadlines_for(appeal, overrides),
                "edit_form": given.get("edit") or AppealForm(instance=appeal, prefix=f"a{appeal.pk}"),
                "contact_form": given.get("contact") or ContactForm(prefix=f"c{appeal.pk}"),
                "document_form": given.get("document") or DocumentForm(prefix=f"d{appeal.pk}"),
                "letter_form": given.get("letter") or LetterForm(prefix=f"l{appeal.pk}"),
                "outcome_form": given.get("outcome") or OutcomeForm(prefix=f"o{appeal.pk}"),
                "extension_form": given.get("extension") or ExtensionForm(prefix=f"x{appeal.pk}"),
                "refusal_form": given.get("refusal") or RefusalForm(prefix=f"r{appeal.pk}"),
                "may_extend": appeal.status == "filed"
                and not appeal.extension_days
                and appeal.plan_type in rules.EXTENSION_PLANS,
                "may_refuse": appeal.status == "filed"
                and appeal.urgency == "expedited"
                and not appeal.expedited_refused_on
                and appeal.plan_type in rules.REFUSAL_PLANS,
            }
        )
    return render(
        request,
        "advocacy/appeal.html",
        {"case": case, "rows": rows, "new_form": (forms or {}).get(0, {}).get("new") or AppealForm(prefix="new")},
        status=status,
    )


def appeal_page(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    case = selectors.get_advocacy_case_for_user(user=user, reference=reference)
    audit_record(action="advocacy.appeal_view", actor=user, obj=case, site=case.site)
    return _page(request, case)


@require_POST
def appeal_new(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    case = selectors.get_advocacy_case_for_user(user=user, reference=reference)
    form = AppealForm(request.POST, prefix="new")
    if form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.APPEAL_FIELDS}
        try:
            services.appeal_record(acting_user=user, case=case, **fields)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Appeal recorded.")
            return redirect("advocacy:appeal", case.reference)
    return _page(request, case, {0: {"new": form}}, status=400)


def _do_edit(user: User, appeal: Appeal, data: dict[str, Any]) -> str:
    services.appeal_update(acting_user=user, appeal=appeal, **{n: data[n] for n in services.APPEAL_FIELDS})
    return "Appeal changed."


def _do_contact(user: User, appeal: Appeal, data: dict[str, Any]) -> str:
    services.contact_log(acting_user=user, appeal=appeal, **data)
    return "Contact logged."


def _do_document(user: User, appeal: Appeal, data: dict[str, Any]) -> str:
    services.document_add(acting_user=user, appeal=appeal, kind=data["kind"], upload=data["file"])
    return "Document added."


def _do_letter(user: User, appeal: Appeal, data: dict[str, Any]) -> str:
    services.appeal_letter_draft(acting_user=user, appeal=appeal, argument=data["argument"])
    return "Appeal letter drafted: it is listed under Documents."


def _do_outcome(user: User, appeal: Appeal, data: dict[str, Any]) -> str:
    services.outcome_record(acting_user=user, appeal=appeal, **data)
    return "Outcome recorded."


def _do_extension(user: User, appeal: Appeal, data: dict[str, Any]) -> str:
    services.extension_record(acting_user=user, appeal=appeal, **data)
    return "Extension recorded: the decision-due date has moved."


def _do_refusal(user: User, appeal: Appeal, data: dict[str, Any]) -> str:
    services.expedited_refusal_record(acting_user=user, appeal=appeal, **data)
    return "Refusal recorded: the appeal is on the standard timeframe."


# Each step: its form, the prefix its fields carry on the page, and the service call.
STEPS: dict[
    str, tuple[type[forms.Form] | type[forms.ModelForm], str, Callable[[User, Appeal, dict[str, Any]], str]]
] = {
    "edit": (AppealForm, "a", _do_edit),
    "contact": (ContactForm, "c", _do_contact),
    "document": (DocumentForm, "d", _do_document),
    "letter": (LetterForm, "l", _do_letter),
    "outcome": (OutcomeForm, "o", _do_outcome),
    "extension": (ExtensionForm, "x", _do_extension),
    "refusal": (RefusalForm, "r", _do_refusal),
}


@require_POST
def appeal_step(request: HttpRequest, reference: str, pk: int, step: str) -> HttpResponse:
    user = _user(request)
    case = selectors.get_advocacy_case_for_user(user=user, reference=reference)
    appeal = get_object_or_404(Appeal.objects.filter(case=case).select_related("case", "case__site"), pk=pk)
    if step not in STEPS:
        raise Http404("No such step")
    form_class, prefix, do = STEPS[step]
    kwargs: dict[str, Any] = {"prefix": f"{prefix}{appeal.pk}"}
    if form_class is AppealForm:
        kwargs["instance"] = Appeal.objects.get(pk=appeal.pk)
    form = form_class(request.POST, request.FILES, **kwargs)
    if form.is_valid():
        try:
            done = do(user, appeal, form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect("advocacy:appeal", case.reference)
    return _page(request, case, {appeal.pk: {step: form}}, status=400)


def document_download(request: HttpRequest, reference: str, pk: int) -> HttpResponseBase:
    user = _user(request)
    case = selectors.get_advocacy_case_for_user(user=user, reference=reference)
    document = get_object_or_404(selectors.documents_of(case), pk=pk)
    audit_record(
        action="advocacy.document_download", actor=user, obj=case, site=case.site, details={"document": document.pk}
    )
    return stored_file_response(
        request,
        document.file,
        filename=document.original_name,
        content_type=document.content_type,
        what=f"document {document.pk} of case {case.reference}",
    )


def rules_settings(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    sites = [
        site
        for site in Site.objects.filter(pk__in=user.site_ids).order_by("name")
        if can(user, Cap.ADVOCACY_WORK, site.pk)
    ]
    if not sites:
        raise Http404
    code = request.POST.get("site") or request.GET.get("site") or sites[0].code
    site = next((s for s in sites if s.code == code), None)
    if site is None:
        raise Http404
    may_edit = services.can_set_rules(user, site.pk)
    form = None
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise Http404
        if request.POST.get("reset"):
            try:
                services.rule_reset(acting_user=user, site=site, key=str(request.POST.get("key", "")))
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, "Rule back to its default.")
            return redirect(f"{request.path}?site={site.code}")
        form = RuleForm(request.POST)
        if form.is_valid():
            try:
                services.rule_set(acting_user=user, site=site, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Rule saved: new deadlines use it.")
                return redirect(f"{request.path}?site={site.code}")
        status = 400
    overrides = {row.key: row for row in DeadlineRule.objects.filter(site=site).select_related("set_by")}
    rows = []
    for spec in rules.all_rules():
        row = overrides.get(spec.key)
        rows.append(
            {
                "spec": spec,
                "default": f"{spec.amount} {rules.UNITS[spec.unit]}" if spec.amount else "none in the rules",
                "override": row,
                "form": form if form is not None and form.data.get("key") == spec.key else None,
            }
        )
    return render(
        request,
        "advocacy/rules.html",
        {"site": site, "sites": sites, "rows": rows, "may_edit": may_edit, "units": rules.UNITS, "form": form},
        status=status,
    )
