from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from liaison.accounts.models import User
from liaison.audit.services import audit_record, audit_view
from liaison.cases import forms as case_forms
from liaison.cases import rules, selectors, services
from liaison.cases.models import Case, CaseType, Issue, TimelineKind
from liaison.correspondence.models import Letter
from liaison.investigations.models import InvestigationRequest
from liaison.lib.errors import ApplicationError
from liaison.policies.base import CaseFacts
from liaison.policies.registry import get_pack


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _worker_or_404(user: User) -> None:
    if not selectors.can_see_identity(user):
        raise Http404


def _rows(cases: Any, now: Any) -> list[dict[str, Any]]:
    return [{"case": case, "due_state": selectors.due_state(case, now)} for case in cases]


def worklist(request: HttpRequest) -> HttpResponse:
    """The officers' worklist. Searches are posted, so patient names never appear in URLs or logs."""
    user = _user(request)
    if not user.has_role(*selectors.CASE_READERS):
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    form = case_forms.WorklistForm(data or None, user=user)
    cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
    default_view = "mine" if selectors.can_see_identity(user) else "site"
    filters = selectors.WorklistFilters(
        view=cleaned.get("view") or default_view,
        case_type=cleaned.get("case_type") or "",
        status=cleaned.get("status", "open") if "status" in data else "open",
        priority=cleaned.get("priority") or "",
        department=cleaned["department"].pk if cleaned.get("department") else None,
        due=cleaned.get("due") or "",
        q=cleaned.get("q") or "",
    )
    if not form.is_bound or "status" not in data:
        form = case_forms.WorklistForm(initial={**cleaned, "view": filters.view, "status": "open"}, user=user)
    page = Paginator(selectors.worklist(user=user, filters=filters), 25).get_page(data.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": _rows(page.object_list, timezone.now()),
        "filters": filters,
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


def intake(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _worker_or_404(user)
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
            if data.get("issue_category"):
                issues.append(
                    {
                        "category": data["issue_category"],
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
    return render(request, "cases/intake.html", {"form": form, "preview": preview})


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
            "clocks": rules.clocks(case),
            "running": {c.key for c in rules.running_clocks(case)},
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
            "requests": InvestigationRequest.objects.filter(case=case)
            .select_related("department", "answered_by")
            .prefetch_related("findings__issue", "evidence"),
            "promised_actions": case.promised_actions.all(),
            "letters": Letter.objects.filter(case=case).order_by("-pk") if show_identity else [],
            "restricted_to": case.restricted_to.all(),
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
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Case details saved.")
                return redirect("cases:detail", reference=case.reference)
    else:
        form = case_forms.CaseEditForm(initial=case_forms.CaseEditForm.initial_for(case))
        audit_view(request=request, obj=case, site=case.site, what="case edit")
    return render(request, "cases/edit.html", {"case": case, "form": form})


# -- Actions: one small form each, one service each ---------------------------------------------------


def _act_acknowledge(user: User, case: Case, data: dict[str, Any]) -> str:
    services.case_acknowledge(acting_user=user, case=case, how=data["how"])
    return "Acknowledgement recorded."


def _act_respond(user: User, case: Case, data: dict[str, Any]) -> str:
    services.case_record_response(acting_user=user, case=case, written_notice=data["written_notice"])
    return "Response recorded."


def _act_note(user: User, case: Case, data: dict[str, Any]) -> str:
    services.case_add_note(
        acting_user=user,
        case=case,
        kind=data["kind"],
        summary=data["summary"],
        body=data["body"],
        duration_minutes=data["duration_minutes"],
    )
    return "Added to the timeline."


def _act_link(user: User, case: Case, data: dict[str, Any]) -> str:
    other = selectors.cases_for_user(user=user).filter(reference=data["other_reference"].strip().upper()).first()
    if other is None:
        raise ApplicationError("No case with that reference that you can see.")
    if data["merge"]:
        services.case_merge(acting_user=user, duplicate=case, into=other)
        return f"Merged into {other.reference}."
    services.case_link(acting_user=user, case=case, other=other)
    return f"Linked to {other.reference}."


ACTIONS: dict[str, tuple[str, type[forms.Form], Callable[[User, Case, dict[str, Any]], str]]] = {
    "acknowledge": ("Record the acknowledgement", case_forms.AcknowledgeForm, _act_acknowledge),
    "start": (
        "Start the investigation",
        forms.Form,
        lambda u, c, d: (services.case_start_investigation(acting_user=u, case=c), "Investigation started.")[1],
    ),
    "drafted": (
        "Mark the response drafted",
        forms.Form,
        lambda u, c, d: (services.case_mark_response_drafted(acting_user=u, case=c), "Marked as drafted.")[1],
    ),
    "respond": ("Record the response sent", case_forms.RespondForm, _act_respond),
    "close": (
        "Close the case",
        case_forms.CloseForm,
        lambda u, c, d: (services.case_close(acting_user=u, case=c, note=d["note"]), "Case closed.")[1],
    ),
    "reopen": (
        "Reopen the case",
        case_forms.ReasonForm,
        lambda u, c, d: (services.case_reopen(acting_user=u, case=c, reason=d["reason"]), "Case reopened.")[1],
    ),
    "withdraw": (
        "Record a withdrawal",
        case_forms.ReasonForm,
        lambda u, c, d: (services.case_withdraw(acting_user=u, case=c, reason=d["reason"]), "Withdrawal recorded.")[1],
    ),
    "refer": (
        "Refer externally",
        case_forms.ReferForm,
        lambda u, c, d: (services.case_refer_externally(acting_user=u, case=c, **d), "Referral recorded.")[1],
    ),
    "assign": (
        "Assign",
        case_forms.AssignForm,
        lambda u, c, d: (services.case_assign(acting_user=u, case=c, owner=d["owner"]), "Owner changed.")[1],
    ),
    "convert": (
        "Convert to another type",
        case_forms.ConvertForm,
        lambda u, c, d: (
            services.case_convert(acting_user=u, case=c, new_type=d["new_type"]),
            "Type changed; the received date is kept.",
        )[1],
    ),
    "time-limit": (
        "Decide on the time limit",
        case_forms.TimeLimitForm,
        lambda u, c, d: (services.case_record_time_limit_decision(acting_user=u, case=c, **d), "Decision recorded.")[1],
    ),
    "extension": (
        "Record an agreed extension",
        case_forms.ExtensionForm,
        lambda u, c, d: (services.case_record_extension(acting_user=u, case=c, **d), "Extension recorded.")[1],
    ),
    "interim": (
        "Record the interim notice",
        case_forms.InterimForm,
        lambda u, c, d: (
            services.case_record_interim_notice(acting_user=u, case=c, sent_at=timezone.now(), **d),
            "Interim notice recorded.",
        )[1],
    ),
    "informal": (
        "Resolve informally",
        case_forms.InformalForm,
        lambda u, c, d: (services.case_resolve_informally(acting_user=u, case=c, **d), "Resolved and closed.")[1],
    ),
    "phso-stage": (
        "Choose how it is handled",
        case_forms.PhsoStageForm,
        lambda u, c, d: (services.case_set_phso_stage(acting_user=u, case=c, stage=d["stage"]), "Handling recorded.")[
            1
        ],
    ),
    "findings": (
        "Record findings and outcome",
        case_forms.FindingsForm,
        lambda u, c, d: "Findings recorded.",
    ),
    "promise": (
        "Add a promised action",
        case_forms.PromisedActionForm,
        lambda u, c, d: (services.case_add_promised_action(acting_user=u, case=c, **d), "Action added.")[1],
    ),
    "note": ("Add to the timeline", case_forms.NoteForm, _act_note),
    "attach": (
        "Attach a file",
        case_forms.AttachForm,
        lambda u, c, d: (services.case_add_attachment(acting_user=u, case=c, upload=d["file"]), "File attached.")[1],
    ),
    "link": ("Link or merge", case_forms.LinkForm, _act_link),
    "restrict": (
        "Restrict access",
        case_forms.RestrictForm,
        lambda u, c, d: (
            services.case_set_restriction(
                acting_user=u, case=c, restricted=d["restricted"], reason=d["reason"], users=d["users"]
            ),
            "Access updated.",
        )[1],
    ),
    "issue": (
        "Add an issue",
        case_forms.IssueForm,
        lambda u, c, d: (services.issue_add(acting_user=u, case=c, **d), "Issue added.")[1],
    ),
}
_CASE_AWARE_FORMS = (case_forms.AssignForm, case_forms.RestrictForm, case_forms.IssueForm, case_forms.FindingsForm)


def action(request: HttpRequest, reference: str, name: str) -> HttpResponse:
    user = _user(request)
    _worker_or_404(user)
    case = selectors.get_case_for_user(user=user, reference=reference)
    if name not in ACTIONS:
        raise Http404
    title, form_class, handler = ACTIONS[name]
    kwargs: dict[str, Any] = {"case": case} if form_class in _CASE_AWARE_FORMS else {}
    form = form_class(request.POST or None, request.FILES or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            if isinstance(form, case_forms.FindingsForm):
                services.case_record_findings(acting_user=user, case=case, **form.service_arguments())
            message = handler(user, case, form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, message)
            if name == "restrict" and not selectors.cases_for_user(user=user).filter(pk=case.pk).exists():
                return redirect("cases:worklist")
            return redirect("cases:detail", reference=case.reference)
    return render(request, "cases/action.html", {"case": case, "form": form, "title": title, "name": name})


@require_POST
def issue_remove(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    user = _user(request)
    _worker_or_404(user)
    case = selectors.get_case_for_user(user=user, reference=reference)
    services.issue_remove(acting_user=user, issue=get_object_or_404(Issue, pk=pk, case=case))
    messages.success(request, "Issue removed.")
    return redirect("cases:detail", reference=case.reference)


def attachment_download(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    user = _user(request)
    _worker_or_404(user)
    case = selectors.get_case_for_user(user=user, reference=reference)
    attachment = get_object_or_404(case.attachments, pk=pk)
    audit_record(
        action="case.attachment_download", actor=user, obj=case, site=case.site, details={"attachment": attachment.pk}
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
