from __future__ import annotations

import secrets
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.audit.services import audit_record, audit_view
from liaison.cases import forms as case_forms
from liaison.cases import patient_lookup, rules, selectors, services
from liaison.cases.actions import ACTIONS, offered
from liaison.cases.models import CaseType, Issue, TimelineKind
from liaison.cases.panels import case_panels
from liaison.lib.downloads import stored_file_response
from liaison.lib.errors import ApplicationError
from liaison.lib.pagination import CappedPaginator
from liaison.lib.uploads import content_disposition, safe_filename, served_content_type
from liaison.org.fhir import lookup_offered
from liaison.org.models import Site
from liaison.policies.base import CaseFacts
from liaison.policies.registry import get_pack


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _worker_or_404(user: User) -> None:
    if not selectors.can_see_identity(user):
        raise Http404


def _rows(cases: Any, now: Any) -> list[dict[str, Any]]:
    return [{"case": case, "due_state": selectors.due_state(case, now)} for case in cases]


_SEARCHES = "worklist_searches"
_SEARCH_MINUTES = 30


def _remember_search(request: HttpRequest, text: str) -> str:
    """Keep the search words in the session under a random id, so they never reach a URL or a log."""
    now = int(time.time())
    searches = {
        key: value
        for key, value in request.session.get(_SEARCHES, {}).items()
        if now - value["at"] < _SEARCH_MINUTES * 60
    }
    search_id = secrets.token_urlsafe(6)
    searches[search_id] = {"q": text, "at": now}
    request.session[_SEARCHES] = dict(sorted(searches.items(), key=lambda kv: kv[1]["at"])[-10:])
    return search_id


def recall_search(request: HttpRequest, search_id: str) -> str | None:
    found = request.session.get(_SEARCHES, {}).get(search_id)
    if not found or time.time() - found["at"] >= _SEARCH_MINUTES * 60:
        return None
    return str(found["q"])


def worklist(request: HttpRequest) -> HttpResponse:
    """The officers' worklist. Filters are GET parameters, so a view ("overdue ED cases") can be bookmarked and
    shared; search words are posted and kept in the session behind a short-lived id, so patient names never
    appear in URLs or logs."""
    user = _user(request)
    if not can(user, Cap.CASE_READ):
        raise Http404
    if request.method == "POST":
        params = QueryDict(mutable=True)
        for name in case_forms.WorklistForm.FILTERS:
            if name in request.POST:
                params[name] = request.POST[name][:50]
        words = " ".join(request.POST.get("q", "").split())[:100]
        if words:
            params["search"] = _remember_search(request, words)
        return redirect(f"{reverse('cases:worklist')}?{params.urlencode()}")
    data = request.GET
    form = case_forms.WorklistForm(data, user=user)
    search_id = (data.get("search") or "")[:20]
    text: str | None = recall_search(request, search_id) if search_id else None
    if search_id and text is None:
        messages.info(request, "That search has expired, so all cases are shown. Search again to narrow them.")
        search_id = ""
    filters = form.filters(text)
    page = CappedPaginator(selectors.worklist(user=user, filters=filters), 25).get_page(data.get("page"))
    query = QueryDict(mutable=True)
    for name in case_forms.WorklistForm.FILTERS:
        if name in data:
            query[name] = data[name]
    query["view"] = filters.view
    filter_values = list(query.items())
    query_without_search = query.urlencode()
    if search_id:
        query["search"] = search_id
    rows = _rows(page.object_list, timezone.now())
    audit_record(
        action="case.list_view",
        actor=user,
        object_type="cases.case",
        details={"page": page.number, "view": filters.view, "cases": [row["case"].pk for row in rows]},
    )
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "filters": filters,
        "query": query.urlencode(),
        "filter_values": filter_values,
        "query_without_search": query_without_search,
        "search_text": text or "",
        "search_id": search_id,
        "show_identity": selectors.can_see_identity(user),
        "due_labels": selectors.DueState.LABELS,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "cases/worklist.html#results", context)
    return render(request, "cases/worklist.html", context)


def _site_local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """The form reads a typed date-time in the server's zone; the officer meant the site's."""
    if value is None:
        return None
    wall = timezone.make_naive(value) if timezone.is_aware(value) else value
    return wall.replace(tzinfo=zone)


def _preview(user: User, form: case_forms.IntakeForm) -> dict[str, Any]:
    """Classification, clocks and possible duplicates for the intake form as it stands."""
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    site = data.get("site")
    if site is None:
        return {}
    received = _site_local(data.get("received_at"), site.zone)
    facts = CaseFacts(
        case_type=data.get("case_type") or CaseType.COMPLAINT,
        channel=data.get("channel") or "phone",
        received_at=received or timezone.now(),
        event_date=data.get("event_date"),
        awareness_date=data.get("awareness_date"),
        topics=frozenset(data.get("topics") or [])
        | frozenset(f for f in data.get("red_flags") or [] if f in ("abuse", "neglect")),
        resolved_at_time_by_staff_present=bool(data.get("resolved_at_time_by_staff_present")),
        postponed=bool(data.get("postponed")),
        referred=bool(data.get("referred")),
        requires_investigation=bool(data.get("requires_investigation")),
        requires_further_action=bool(data.get("requires_further_action")),
        requested_formal_or_response=bool(data.get("requested_formal_or_response")),
        medicare_beneficiary=bool(data.get("medicare_beneficiary")),
    )
    pack = get_pack(site.policy_pack)
    classification = pack.classify(facts)
    effective = facts
    if facts.case_type in (CaseType.CONCERN, CaseType.COMPLAINT) and classification.is_grievance:
        effective = CaseFacts(**{**facts.__dict__, "case_type": CaseType.GRIEVANCE})
    priority = rules.rate_priority(
        data.get("risk_consequence") or 1, data.get("risk_likelihood") or 1, data.get("red_flags") or []
    )
    return {
        "site": site,
        "pack": pack,
        "classification": classification,
        "effective_type": CaseType(effective.case_type).label,
        "clocks": pack.clocks(effective, site.zone),
        "time_limit": pack.time_limit(effective, site.zone),
        "priority": priority,
        "duplicates": selectors.possible_duplicates(
            user=user,
            site_id=site.pk,
            patient_name=data.get("patient_name") or "",
            patient_mrn=data.get("patient_mrn") or "",
        ),
    }


def _lookup_sites(form: case_forms.IntakeForm) -> list[Site]:
    """The sites in the form's choice that have a patient record system: none, and the page offers no lookup."""
    return [site for site in form.fields["site"].queryset if lookup_offered(site)]  # type: ignore[attr-defined]


def _intake_lookup(request: HttpRequest, user: User) -> HttpResponse:
    """Find the patient, or use a found one: the intake form comes back as the officer left it, unsaved and
    without complaints about what is not filled in yet, with the patient's details filled in on a choice."""
    posted = case_forms.IntakeForm(request.POST, user=user)
    typed = {name: posted[name].data for name in posted.fields}
    lookup_form = case_forms.PatientLookupForm(request.POST)
    lookup: dict[str, Any] = {"form": lookup_form}
    try:
        site = posted.fields["site"].clean(request.POST.get("site"))
    except forms.ValidationError:
        site = None
    if site is None:
        lookup["error"] = "Choose the site first."
    elif "use_patient" in request.POST:
        try:
            typed |= patient_lookup.patient_choose(acting_user=user, site=site, choice=request.POST["use_patient"])
        except ApplicationError as exc:
            lookup["error"] = exc.message
        else:
            lookup["filled"] = True
        lookup_form = lookup["form"] = case_forms.PatientLookupForm()
    elif lookup_form.is_valid():
        data = lookup_form.cleaned_data
        try:
            lookup["result"] = patient_lookup.patient_search(
                acting_user=user,
                site=site,
                mrn=data["mrn"],
                family=data["family"],
                given=data["given"],
                birth_date=data["birth_date"],
            )
        except ApplicationError as exc:
            lookup["error"] = exc.message
    form = case_forms.IntakeForm(user=user, initial=typed)
    # The page opens on what the search said, not on the first field.
    form.fields["site"].widget.attrs.pop("autofocus", None)
    lookup["sites"] = _lookup_sites(form)
    return render(request, "cases/intake.html", {"form": form, "preview": {}, "lookup": lookup})


def intake(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _worker_or_404(user)
    # htmx's preview requests repeat the last button clicked in the form: only a real submission searches.
    lookup_pressed = "find_patient" in request.POST or "use_patient" in request.POST
    if request.method == "POST" and lookup_pressed and not request.htmx:  # type: ignore[attr-defined]
        return _intake_lookup(request, user)
    form = case_forms.IntakeForm(request.POST or None, user=user)
    preview: dict[str, Any] = {}
    if request.method == "POST":
        valid = form.is_valid()
        preview = _preview(user, form) if hasattr(form, "cleaned_data") else {}
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "cases/intake.html#preview", {"preview": preview, "form": form})
        if valid and "save" in request.POST:
            data = form.cleaned_data
            site = data["site"]
            received = _site_local(data.get("received_at"), site.zone)
            issues = []
            if data.get("issue_category") or (data.get("issue_summary") or "").strip():
                # An issue logged in a line without a category is kept, uncoded, and flagged for coding.
                issues.append(
                    {
                        "category": data.get("issue_category") or "",
                        "severity": data["issue_severity"],
                        "stage_of_care": data["issue_stage"],
                        "department": data.get("issue_department"),
                        "staff_group": data.get("issue_staff_group") or "",
                        "summary": data["issue_summary"],
                    }
                )
            fields = {name: data[name] for name in case_forms.CaseDetailsForm.base_fields if name in data}
            fields = {
                k: ("" if v is None and isinstance(case_forms.CaseDetailsForm.base_fields[k], forms.CharField) else v)
                for k, v in fields.items()
            }
            try:
                case = services.case_open(
                    acting_user=user,
                    site=site,
                    case_type=data["case_type"],
                    channel=data["channel"],
                    received_at=received,
                    owner=user if data.get("assign_to_me") else None,
                    issues=issues,
                    **fields,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Case {case.reference} logged.")
                return redirect("cases:detail", reference=case.reference)
    sites = _lookup_sites(form)
    lookup = {"form": case_forms.PatientLookupForm(), "sites": sites} if sites else None
    return render(request, "cases/intake.html", {"form": form, "preview": preview, "lookup": lookup})


def detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    case = selectors.get_case_for_user(user=user, reference=reference)
    show_identity = selectors.can_see_identity(user)
    audit_view(
        request=request, obj=case, site=case.site, what="case detail" if show_identity else "case detail (no identity)"
    )
    kind = request.GET.get("kind", "")
    timeline = case.timeline.select_related("actor").order_by("-occurred_at", "-pk")
    if kind in TimelineKind.values:
        timeline = timeline.filter(kind=kind)
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "show_identity": show_identity,
            "issues": case.issues.select_related("department", "staff_member"),
            "timeline": timeline
            if show_identity
            else timeline.filter(kind__in=[TimelineKind.STATUS, TimelineKind.CLOCK, TimelineKind.ASSIGNMENT]),
            "timeline_kinds": TimelineKind.choices,
            "kind": kind,
            "clock_states": rules.clock_states(case),
            "classification": rules.classification(case),
            "time_limit": rules.time_limit(case),
            "needs_decision": rules.needs_time_limit_decision(case),
            "priority": rules.rate_priority(case.risk_consequence, case.risk_likelihood, case.red_flags or []),
            "due_state": selectors.due_state(case),
            "due_labels": selectors.DueState.LABELS,
            "attachments": case.attachments.all() if show_identity else [],
            "links": case.links_out.select_related("to_case"),
            "links_in": case.links_in.select_related("from_case"),
            "referrals": case.external_referrals.all(),
            "promised_actions": case.promised_actions.select_related("improvement_action"),
            "restricted_to": case.restricted_to.all(),
            **case_panels(case, show_identity=show_identity),
            "actions": offered(case),
            "can_make_drill": can(user, Cap.HIRING_MANAGE),
            "recipient_email": case.patient_email if case.complainant_is_patient else case.complainant_email,
            "language": dict(case_forms.LANGUAGES).get(case.preferred_language, case.preferred_language),
            "topics": [label for value, label in case_forms.TOPICS if value in (case.topics or [])],
        },
    )


def edit(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    _worker_or_404(user)
    case = selectors.get_case_for_user(user=user, reference=reference)
    if request.method == "POST":
        form = case_forms.CaseEditForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            data = {
                k: ("" if v is None and isinstance(form.fields[k], forms.CharField) else v) for k, v in data.items()
            }
            try:
                services.case_update(acting_user=user, case=case, expected_version=version, **data)
            except ApplicationError as exc:
                # A refused value is shown at its field where the form has one; anything else above the form.
                refused = exc.extra.get("fields", {})
                for name in set(refused) & set(form.fields):
                    form.add_error(name, refused[name])
                if not refused or set(refused) - set(form.fields):
                    form.add_error(None, exc.message)
            else:
                messages.success(request, "Case details saved.")
                return redirect("cases:detail", reference=case.reference)
    else:
        form = case_forms.CaseEditForm(initial=case_forms.CaseEditForm.initial_for(case))
        audit_view(request=request, obj=case, site=case.site, what="case edit")
    return render(request, "cases/edit.html", {"case": case, "form": form})


# -- Actions: declared in liaison/cases/actions.py ------------------------------------------------------


def action(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    user = _user(request)
    _worker_or_404(user)
    case = selectors.get_case_for_user(user=user, reference=reference)
    declared = ACTIONS.get(name)
    if declared is None:
        raise Http404
    posted = request.method == "POST"
    # A form without fields (start, drafted) posts nothing but the CSRF token: still a submission.
    form = declared.make_form(case, request.POST if posted else None, request.FILES if posted else None)
    applies = declared.applies(case)
    if posted and form.is_valid():
        if not applies:
            form.add_error(
                None, f"“{declared.title}” no longer applies to this case as it stands; nothing was changed."
            )
        else:
            try:
                message = declared.perform(user, case, form)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, message)
                if name == "restrict" and not selectors.cases_for_user(user=user).filter(pk=case.pk).exists():
                    return redirect("cases:worklist")
                return redirect("cases:detail", reference=case.reference)
    return render(
        request,
        "cases/action.html",
        {"case": case, "form": form, "title": declared.title, "name": name, "applies": applies},
    )


def issue_edit(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    user = _user(request)
    _worker_or_404(user)
    case = selectors.get_case_for_user(user=user, reference=reference)
    issue = get_object_or_404(Issue, pk=pk, case=case)
    form = case_forms.IssueForm(request.POST or None, case=case, issue=issue)
    if request.method == "POST" and form.is_valid():
        try:
            services.issue_update(acting_user=user, issue=issue, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Issue saved.")
            return redirect("cases:detail", reference=case.reference)
    return render(
        request,
        "cases/action.html",
        {"case": case, "form": form, "title": "Edit the issue", "name": "issue-edit", "applies": True},
    )


@require_POST
def issue_remove(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    user = _user(request)
    _worker_or_404(user)
    case = selectors.get_case_for_user(user=user, reference=reference)
    services.issue_remove(acting_user=user, issue=get_object_or_404(Issue, pk=pk, case=case))
    messages.success(request, "Issue removed.")
    return redirect("cases:detail", reference=case.reference)


def attachment_download(request: HttpRequest, reference: str, pk: int) -> HttpResponseBase:
    user = _user(request)
    _worker_or_404(user)
    case = selectors.get_case_for_user(user=user, reference=reference)
    attachment = get_object_or_404(case.attachments, pk=pk)
    audit_record(
        action="case.attachment_download", actor=user, obj=case, site=case.site, details={"attachment": attachment.pk}
    )
    # The stored name and type are checked again on the way out: rows from before the content check may name a
    # file ``run.bat``, and only types a browser shows safely keep their own type.
    filename = safe_filename(attachment.original_name, attachment.content_type)
    response = stored_file_response(
        request,
        attachment.file,
        filename=filename,
        content_type=served_content_type(attachment.content_type),
        what=f"attachment {attachment.pk} of case {case.reference}",
    )
    if response.status_code == 200:
        response["Content-Disposition"] = content_disposition(filename)
        response["X-Content-Type-Options"] = "nosniff"
    return response
