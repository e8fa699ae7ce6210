from __future__ import annotations

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.audit.services import audit_record, audit_view
from liaison.cases import selectors as case_selectors
from liaison.cases.models import Case
from liaison.investigations import selectors, services
from liaison.investigations.forms import AnswerForm, DecideForm, MoreTimeForm, ReassignForm, RequestForm
from liaison.investigations.models import InvestigationRequest
from liaison.lib.downloads import stored_file_response
from liaison.lib.errors import ApplicationError


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# -- The investigator's side ------------------------------------------------------------------------------


def request_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can(user, Cap.REQUEST_ANSWER):
        raise Http404
    requests = selectors.requests_for_investigator(user=user).order_by("status", "due_date")
    return render(request, "investigations/list.html", {"requests": requests})


def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    item = selectors.get_request_for_investigator(user=user, pk=pk)
    case = item.case
    issues = list(case.issues.order_by("pk"))
    answer_form = AnswerForm(issues=issues)
    time_form = MoreTimeForm()
    if request.method == "POST":
        try:
            if "answer" in request.POST:
                answer_form = AnswerForm(request.POST, request.FILES, issues=issues)
                if answer_form.is_valid():
                    upload = answer_form.cleaned_data.get("evidence")
                    services.investigation_answer(
                        acting_user=user,
                        request=item,
                        statement=answer_form.cleaned_data["statement"],
                        findings=answer_form.findings(),
                        evidence=[upload] if upload else [],
                    )
                    messages.success(request, "Thank you: your answer has been sent to the patient relations team.")
                    return redirect("investigations:detail", pk=item.pk)
            elif "more_time" in request.POST:
                time_form = MoreTimeForm(request.POST)
                if time_form.is_valid():
                    services.investigation_ask_more_time(acting_user=user, request=item, **time_form.cleaned_data)
                    messages.success(request, "Your request for more time has been sent.")
                    return redirect("investigations:detail", pk=item.pk)
        except ApplicationError as exc:
            (answer_form if "answer" in request.POST else time_form).add_error(None, exc.message)
    # The page is handed the plain values the department may see, never the case itself.
    shown = selectors.case_for_investigator(item=item)
    audit_view(request=request, obj=case, site=case.site, what=selectors.view_label(shown=shown))
    return render(
        request,
        "investigations/detail.html",
        {"item": item, "shown": shown, "issues": issues, "answer_form": answer_form, "time_form": time_form},
    )


def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponseBase:
    user = _user(request)
    item: InvestigationRequest
    if case_selectors.can_see_identity(user):
        item = get_object_or_404(InvestigationRequest, pk=pk, case__in=case_selectors.cases_for_user(user=user))
    else:
        item = selectors.get_request_for_investigator(user=user, pk=pk)
    evidence = get_object_or_404(item.evidence, pk=evidence_pk)
    audit_record(
        action="investigation.evidence_download",
        actor=user,
        obj=item,
        site=item.case.site,
        details={"evidence": evidence.pk},
    )
    return stored_file_response(
        request,
        evidence.file,
        filename=evidence.original_name,
        content_type=evidence.content_type,
        what=f"evidence {evidence.pk} of investigation request {item.pk}",
    )


# -- The officer's side -------------------------------------------------------------------------------


def _case_and_request(
    request: HttpRequest, reference: str, pk: int | None = None
) -> tuple[User, Case, InvestigationRequest | None]:
    user = _user(request)
    if not case_selectors.can_see_identity(user):
        raise Http404
    case = case_selectors.get_case_for_user(user=user, reference=reference)
    item = get_object_or_404(InvestigationRequest, pk=pk, case=case) if pk is not None else None
    return user, case, item


def request_new(request: HttpRequest, reference: str) -> HttpResponse:
    user, case, _ = _case_and_request(request, reference)
    form = RequestForm(request.POST or None, site_id=case.site_id, restricted=case.restricted)
    if request.method == "POST" and form.is_valid():
        try:
            services.investigation_request(acting_user=user, case=case, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, f"Request sent to {form.cleaned_data['department'].name}; its leads have been emailed."
            )
            return redirect("cases:detail", reference=reference)
    return render(
        request, "investigations/officer_form.html", {"case": case, "form": form, "title": "Ask a department"}
    )


_TITLES = {
    "chase": "Chase for an answer",
    "close": "Close the request",
    "reassign": "Send it to another department",
    "more-time": "Decide on more time",
}


def request_manage(request: HttpRequest, reference: str, pk: int, action: str) -> HttpResponse:
    user, case, item = _case_and_request(request, reference, pk)
    if action not in _TITLES or item is None:
        raise Http404
    title = _TITLES[action]
    data = request.POST if request.method == "POST" else None
    form: Form | None = None
    if action == "reassign":
        form = ReassignForm(data, site_id=case.site_id)
    elif action == "more-time":
        form = DecideForm(data)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            if action == "chase":
                services.investigation_chase(acting_user=user, request=item)
            elif action == "close":
                services.investigation_close(acting_user=user, request=item)
            elif action == "reassign" and form is not None:
                services.investigation_reassign(
                    acting_user=user, request=item, department=form.cleaned_data["department"]
                )
            elif form is not None:
                services.investigation_decide_more_time(
                    acting_user=user, request=item, grant=form.cleaned_data["decision"] == "grant"
                )
        except ApplicationError as exc:
            if form is None:
                messages.error(request, exc.message)
                return redirect("cases:detail", reference=reference)
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{title}: done.")
            return redirect("cases:detail", reference=reference)
    return render(
        request, "investigations/officer_form.html", {"case": case, "form": form, "title": title, "item": item}
    )
