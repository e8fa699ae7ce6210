"""Investigation requests: ask a department, answer, ask for more time, chase, reassign, close."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can, require_site_worker, users_with
from liaison.audit.services import audit_record
from liaison.cases.models import Case, TimelineEvent, TimelineKind
from liaison.cases.selectors import calendar_for
from liaison.investigations.models import Evidence, ExtensionStatus, InvestigationRequest, RequestFinding, RequestStatus
from liaison.lib.emails import send_templated, site_url
from liaison.lib.errors import ApplicationError
from liaison.lib.uploads import check_upload
from liaison.lib.workdays import add_working_days
from liaison.org.models import Department


def _require_case_worker(user: User, case: Case) -> None:
    require_site_worker(user, case.site_id)


def _require_investigator(user: User, request: InvestigationRequest) -> None:
    if not (can(user, Cap.REQUEST_ANSWER) and user.departments.filter(pk=request.department_id).exists()):
        raise ApplicationError("Only an investigator of this department can answer this request.")


def _case_event(request: InvestigationRequest, summary: str, actor: User, body: str = "") -> None:
    TimelineEvent.objects.create(
        case=request.case,
        kind=TimelineKind.NOTE,
        summary=summary[:300],
        body=body,
        actor=actor,
        occurred_at=timezone.now(),
        data={"investigation_request": request.pk},
    )


def _department_contacts(department: Department) -> list[str]:
    leads = {user.email for user in department.leads.filter(is_active=True)}
    investigators = {user.email for user in users_with(Cap.REQUEST_ANSWER).filter(departments=department)}
    return sorted(leads | investigators)


def _notify_department(request: InvestigationRequest, template: str) -> None:
    contacts = _department_contacts(request.department)
    context = {"request": request, "url": site_url(reverse("investigations:detail", args=[request.pk]))}
    transaction.on_commit(lambda: send_templated(template, context, to=contacts))


def _notify_owner(request: InvestigationRequest, template: str) -> None:
    case = request.case
    to = [case.owner.email] if case.owner else [request.requested_by.email]
    context = {"request": request, "url": site_url(reverse("cases:detail", args=[case.reference]))}
    transaction.on_commit(lambda: send_templated(template, context, to=to))


def default_due_date(case: Case) -> date:
    site = case.site
    return add_working_days(
        timezone.localdate(timezone.now(), site.zone), site.investigation_days, calendar_for(site.policy_pack)
    )


def investigation_request(
    *,
    acting_user: User,
    case: Case,
    department: Department,
    questions: str,
    due_date: date | None = None,
    share_identity: bool = False,
) -> InvestigationRequest:
    """Ask a department what happened. Its leads and investigators are told by email.

    On a restricted case the department sees the patient's name, MRN and account only when the officer
    chooses ``share_identity``; on any other case it sees them as it always has.
    """
    _require_case_worker(acting_user, case)
    if department.site_id != case.site_id:
        raise ApplicationError("Ask a department of the case's own site.")
    if not questions.strip():
        raise ApplicationError("Write the questions the department should answer.")
    due_date = due_date or default_due_date(case)
    if due_date < timezone.localdate(timezone.now(), case.site.zone):
        raise ApplicationError("The answer cannot be due in the past.")
    with transaction.atomic():
        request = InvestigationRequest.objects.create(
            case=case,
            department=department,
            questions=questions.strip(),
            due_date=due_date,
            requested_by=acting_user,
            share_identity=share_identity,
        )
        shared = ""
        if case.restricted:
            shared = ", patient's identity shared" if share_identity else ", patient's identity not shared"
        _case_event(
            request,
            f"Investigation request sent to {department.name}, due {due_date:%d %b %Y}{shared}",
            acting_user,
            body=questions,
        )
        audit_record(
            action="investigation.request",
            actor=acting_user,
            obj=request,
            site=case.site,
            details={
                "case": case.reference,
                "department": department.pk,
                "due": due_date.isoformat(),
                "identity_shared": request.identity_shared,
            },
        )
        _notify_department(request, "investigation_request")
    return request


def investigation_answer(
    *,
    acting_user: User,
    request: InvestigationRequest,
    statement: str,
    findings: dict[int, str],
    evidence: Iterable[UploadedFile] = (),
) -> InvestigationRequest:
    """The department's statement, a finding per issue, and any evidence files."""
    _require_investigator(acting_user, request)
    if not request.is_open:
        raise ApplicationError("This request has already been answered or closed.")
    if not statement.strip():
        raise ApplicationError("Write the department's statement.")
    issue_ids = set(request.case.issues.values_list("pk", flat=True))
    if set(findings) - issue_ids:
        raise ApplicationError("A finding refers to an issue that is not on this case.")
    files = list(evidence)
    checked = [(upload, check_upload(upload)) for upload in files]
    with transaction.atomic():
        locked = InvestigationRequest.objects.select_for_update().get(pk=request.pk)
        if not locked.is_open:
            raise ApplicationError("This request has already been answered or closed.")
        locked.statement, locked.status = statement.strip(), RequestStatus.ANSWERED
        locked.answered_by, locked.answered_at = acting_user, timezone.now()
        locked.save()
        for issue_id, text in findings.items():
            if text.strip():
                RequestFinding.objects.create(request=locked, issue_id=issue_id, finding=text.strip())
        for upload, content_type in checked:
            digest = hashlib.sha256(b"".join(upload.chunks())).hexdigest()
            upload.seek(0)
            item = Evidence(
                request=locked,
                original_name=(upload.name or "file")[:255],
                content_type=content_type,
                size=upload.size or 0,
                sha256=digest,
                uploaded_by=acting_user,
            )
            item.file.save(f"{locked.case.reference}-{digest[:12]}", upload, save=False)
            item.save()
        _case_event(locked, f"{locked.department.name} answered the investigation request", acting_user)
        audit_record(
            action="investigation.answer",
            actor=acting_user,
            obj=locked,
            site=locked.case.site,
            details={"findings": sorted(findings), "evidence": len(checked)},
        )
        _notify_owner(locked, "investigation_answered")
    request.refresh_from_db()
    return request


def investigation_ask_more_time(
    *, acting_user: User, request: InvestigationRequest, until: date, reason: str
) -> InvestigationRequest:
    _require_investigator(acting_user, request)
    if not request.is_open:
        raise ApplicationError("Only an open request can be given more time.")
    if until <= request.due_date:
        raise ApplicationError("Ask for a date after the current due date.")
    if not reason.strip():
        raise ApplicationError("Say why more time is needed.")
    with transaction.atomic():
        request.extension_until, request.extension_reason, request.extension_status = (
            until,
            reason.strip(),
            ExtensionStatus.PENDING,
        )
        request.save(update_fields=["extension_until", "extension_reason", "extension_status"])
        _case_event(
            request, f"{request.department.name} asked for more time, until {until:%d %b %Y}", acting_user, body=reason
        )
        audit_record(
            action="investigation.more_time",
            actor=acting_user,
            obj=request,
            site=request.case.site,
            details={"until": until.isoformat()},
        )
        _notify_owner(request, "investigation_more_time")
    return request


def investigation_decide_more_time(
    *, acting_user: User, request: InvestigationRequest, grant: bool
) -> InvestigationRequest:
    _require_case_worker(acting_user, request.case)
    if request.extension_status != ExtensionStatus.PENDING or request.extension_until is None:
        raise ApplicationError("There is no request for more time to decide.")
    with transaction.atomic():
        request.extension_status = ExtensionStatus.GRANTED if grant else ExtensionStatus.REFUSED
        if grant:
            request.due_date = request.extension_until
        request.save(update_fields=["extension_status", "due_date"])
        _case_event(
            request, f"More time {'granted' if grant else 'refused'} for {request.department.name}", acting_user
        )
        audit_record(
            action="investigation.more_time_decision",
            actor=acting_user,
            obj=request,
            site=request.case.site,
            details={"granted": grant},
        )
        _notify_department(request, "investigation_more_time_decided")
    return request


def investigation_chase(*, acting_user: User, request: InvestigationRequest) -> InvestigationRequest:
    _require_case_worker(acting_user, request.case)
    if not request.is_open:
        raise ApplicationError("Only an open request can be chased.")
    with transaction.atomic():
        request.last_chased_at = timezone.now()
        request.save(update_fields=["last_chased_at"])
        _case_event(request, f"Chased {request.department.name} for an answer", acting_user)
        audit_record(action="investigation.chase", actor=acting_user, obj=request, site=request.case.site)
        _notify_department(request, "investigation_chase")
    return request


def investigation_reassign(
    *, acting_user: User, request: InvestigationRequest, department: Department
) -> InvestigationRequest:
    _require_case_worker(acting_user, request.case)
    if department.site_id != request.case.site_id:
        raise ApplicationError("Choose a department of the case's own site.")
    if not request.is_open:
        raise ApplicationError("Only an open request can be sent to another department.")
    with transaction.atomic():
        before = request.department
        request.department = department
        request.save(update_fields=["department"])
        _case_event(request, f"Investigation request moved from {before.name} to {department.name}", acting_user)
        audit_record(
            action="investigation.reassign",
            actor=acting_user,
            obj=request,
            site=request.case.site,
            details={"department": [before.pk, department.pk]},
        )
        _notify_department(request, "investigation_request")
    return request


def investigation_close(*, acting_user: User, request: InvestigationRequest, note: str = "") -> InvestigationRequest:
    _require_case_worker(acting_user, request.case)
    if request.status == RequestStatus.CLOSED:
        raise ApplicationError("This request is already closed.")
    with transaction.atomic():
        request.status, request.closed_at = RequestStatus.CLOSED, timezone.now()
        request.save(update_fields=["status", "closed_at"])
        _case_event(request, f"Investigation request to {request.department.name} closed", acting_user, body=note)
        audit_record(action="investigation.close", actor=acting_user, obj=request, site=request.case.site)
    return request
