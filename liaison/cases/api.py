"""Cases over the API: the list, one case, logging and editing a case, every step of its workflow, its issues
and its timeline. The same selectors and services as the pages, so the same rules, capabilities and audit.

Identity (who the patient and the complainant are) is returned only to those the pages show it to; for anyone
else those fields are null, as for an executive on the pages.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from liaison.accounts.api_auth import answers, caller, scoped
from liaison.accounts.models import ApiScope, User
from liaison.accounts.permissions import Cap, users_with
from liaison.audit.services import audit_record, audit_view
from liaison.cases import selectors, services
from liaison.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseType,
    Channel,
    ConsentMethod,
    ExternalBody,
    HcatCategory,
    InformalOutcome,
    Issue,
    Priority,
    StageOfCare,
    TimelineKind,
)
from liaison.cases.models import (
    Status as CaseStatus,
)
from liaison.lib.errors import ApplicationError
from liaison.lib.keyset import DEFAULT_LIMIT, MAX_LIMIT, keyset_page
from liaison.org.models import Department, Site, StaffGroup

router = Router(tags=["cases"])


# -- What the API returns -------------------------------------------------------------------------------------


class IssueOut(Schema):
    id: int
    category: str  # an HCAT category, or "" while the issue waits to be coded
    severity: int
    stage_of_care: str
    department_id: int | None
    staff_group: str
    summary: str
    finding: str
    outcome: str


class CaseSummaryOut(Schema):
    reference: str
    site: str  # the site's code
    case_type: str
    channel: str
    status: str
    priority: str
    received_at: datetime
    next_due_at: datetime | None
    next_due_name: str
    owner_id: int | None
    restricted: bool
    version: int  # send it back with an edit: an edit from an older version is refused (409)


class CaseOut(CaseSummaryOut):
    event_date: date | None
    awareness_date: date | None
    acknowledged_at: datetime | None
    agreed_response_date: date | None
    extension_agreed_until: date | None
    responded_at: datetime | None
    closed_at: datetime | None
    outcome: str
    preferred_language: str
    interpreter_needed: bool
    # Identity: null unless the caller may see who the patient and complainant are.
    identity_shown: bool
    patient_known: bool
    patient_name: str | None
    patient_mrn: str | None
    patient_dob: date | None
    patient_phone: str | None
    patient_email: str | None
    patient_address: str | None
    complainant_is_patient: bool
    complainant_name: str | None
    complainant_relationship: str | None
    complainant_phone: str | None
    complainant_email: str | None
    complainant_address: str | None
    desired_outcome: str | None
    account: str | None
    issues: list[IssueOut]


class CasePageOut(Schema):
    items: list[CaseSummaryOut]
    next: str | None  # pass as ``after`` for the next page; null on the last one


class TimelineEventOut(Schema):
    id: int
    kind: str
    occurred_at: datetime
    actor_id: int | None
    summary: str
    body: str
    duration_minutes: int | None


class TimelinePageOut(Schema):
    items: list[TimelineEventOut]
    next: str | None


_IDENTITY = (
    "patient_name",
    "patient_mrn",
    "patient_dob",
    "patient_phone",
    "patient_email",
    "patient_address",
    "complainant_name",
    "complainant_relationship",
    "complainant_phone",
    "complainant_email",
    "complainant_address",
    "desired_outcome",
    "account",
)


def _summary(case: Case) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "site": case.site.code,
        "case_type": case.case_type,
        "channel": case.channel,
        "status": case.status,
        "priority": case.priority,
        "received_at": case.received_at,
        "next_due_at": case.next_due_at,
        "next_due_name": case.next_due_name,
        "owner_id": case.owner_id,
        "restricted": case.restricted,
        "version": case.version,
    }


def _issue(issue: Issue) -> dict[str, Any]:
    return {
        "id": issue.pk,
        "category": issue.category,
        "severity": issue.severity,
        "stage_of_care": issue.stage_of_care,
        "department_id": issue.department_id,
        "staff_group": issue.staff_group,
        "summary": issue.summary,
        "finding": issue.finding,
        "outcome": issue.outcome,
    }


def _detail(case: Case, user: User) -> dict[str, Any]:
    shown = selectors.can_see_identity(user)
    values: dict[str, Any] = {
        **_summary(case),
        "event_date": case.event_date,
        "awareness_date": case.awareness_date,
        "acknowledged_at": case.acknowledged_at,
        "agreed_response_date": case.agreed_response_date,
        "extension_agreed_until": case.extension_agreed_until,
        "responded_at": case.responded_at,
        "closed_at": case.closed_at,
        "outcome": case.outcome,
        "preferred_language": case.preferred_language,
        "interpreter_needed": case.interpreter_needed,
        "identity_shown": shown,
        "patient_known": case.patient_known,
        "complainant_is_patient": case.complainant_is_patient,
        "issues": [_issue(issue) for issue in case.issues.order_by("pk")],
    }
    for name in _IDENTITY:
        values[name] = getattr(case, name) if shown else None
    return values


def _case(request: HttpRequest, reference: str) -> Case:
    """The case, if the caller may see it (404 otherwise, as on the pages)."""
    return selectors.get_case_for_user(user=caller(request), reference=reference)


def _answer(case: Case, user: User) -> dict[str, Any]:
    case.refresh_from_db()
    return _detail(case, user)


# -- Reading --------------------------------------------------------------------------------------------------


@router.get("", auth=scoped(ApiScope.READ_CASES), response=answers(CasePageOut))
def list_cases(
    request: HttpRequest,
    status: Literal["open", "any"] | CaseStatus = "open",
    case_type: CaseType | None = None,
    priority: Priority | None = None,
    site: str | None = Query(None, max_length=20, description="A site's code"),
    owner: Literal["me", "unassigned", "any"] = "any",
    after: str | None = Query(None, max_length=200),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> dict[str, Any]:
    """The cases the caller may see, oldest first, a page at a time.

    Keyset pages: pass the last page's ``next`` as ``after``; each page costs the same however deep.
    """
    user = caller(request)
    cases = selectors.cases_for_user(user=user)
    if status == "open":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif status != "any":
        cases = cases.filter(status=status)
    if case_type is not None:
        cases = cases.filter(case_type=case_type)
    if priority is not None:
        cases = cases.filter(priority=priority)
    if site:
        cases = cases.filter(site__code=site)
    if owner == "me":
        cases = cases.filter(owner=user)
    elif owner == "unassigned":
        cases = cases.filter(owner__isnull=True)
    page = keyset_page(cases.select_related("site"), order=("pk",), cursor=after, limit=limit)
    # As the worklist does: one audit row per page, naming the cases it showed.
    audit_record(
        action="case.list_view",
        actor=user,
        object_type="cases.case",
        details={"page": "api", "cases": [case.pk for case in page.items]},
    )
    return {"items": [_summary(case) for case in page.items], "next": page.next_cursor}


@router.get("/{reference}", auth=scoped(ApiScope.READ_CASES), response=answers(CaseOut))
def get_case(request: HttpRequest, reference: str) -> dict[str, Any]:
    """One case with its issues. Reading it is audited, as opening it on the pages is."""
    case = _case(request, reference)
    user = caller(request)
    audit_view(request=request, obj=case, site=case.site, what="case (API)")
    return _detail(case, user)


@router.get("/{reference}/timeline", auth=scoped(ApiScope.READ_CASES), response=answers(TimelinePageOut))
def get_timeline(
    request: HttpRequest,
    reference: str,
    after: str | None = Query(None, max_length=200),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> dict[str, Any]:
    """The case's timeline, oldest first, a page at a time."""
    case = _case(request, reference)
    audit_view(request=request, obj=case, site=case.site, what="case timeline (API)")
    page = keyset_page(case.timeline.all(), order=("pk",), cursor=after, limit=limit)
    items = [
        {
            "id": event.pk,
            "kind": event.kind,
            "occurred_at": event.occurred_at,
            "actor_id": event.actor_id,
            "summary": event.summary,
            "body": event.body,
            "duration_minutes": event.duration_minutes,
        }
        for event in page.items
    ]
    return {"items": items, "next": page.next_cursor}


# -- Logging and editing --------------------------------------------------------------------------------------


class IssueIn(Schema):
    summary: str = Field(..., min_length=1, max_length=300)
    category: HcatCategory | Literal[""] = ""
    severity: int = Field(1, ge=1, le=3)
    stage_of_care: StageOfCare = StageOfCare.OTHER
    department_id: int | None = None
    staff_group: StaffGroup | Literal[""] = ""


class CaseFieldsIn(Schema):
    """The case's editable details; on an edit, send only those that change."""

    channel: Channel | None = None
    event_date: date | None = None
    awareness_date: date | None = None
    patient_known: bool | None = None
    patient_name: str | None = Field(None, max_length=200)
    patient_mrn: str | None = Field(None, max_length=40)
    patient_dob: date | None = None
    patient_phone: str | None = Field(None, max_length=50)
    patient_email: str | None = Field(None, max_length=254)
    patient_address: str | None = Field(None, max_length=2000)
    complainant_is_patient: bool | None = None
    complainant_name: str | None = Field(None, max_length=200)
    complainant_relationship: str | None = Field(None, max_length=100)
    complainant_phone: str | None = Field(None, max_length=50)
    complainant_email: str | None = Field(None, max_length=254)
    complainant_address: str | None = Field(None, max_length=2000)
    consent_method: ConsentMethod | Literal[""] | None = None
    consent_date: date | None = None
    preferred_language: str | None = Field(None, min_length=2, max_length=12)
    interpreter_needed: bool | None = None
    accessibility_needs: str | None = Field(None, max_length=300)
    desired_outcome: str | None = Field(None, max_length=20000)
    account: str | None = Field(None, max_length=100000)
    risk_consequence: int | None = Field(None, ge=1, le=5)
    risk_likelihood: int | None = Field(None, ge=1, le=5)
    agreed_response_date: date | None = None


class CaseIn(CaseFieldsIn):
    site: str = Field(..., max_length=20, description="The site's code")
    case_type: CaseType
    channel: Channel = Channel.OTHER
    received_at: datetime | None = None  # now, if not given; it never changes afterwards
    issues: list[IssueIn] = Field(default_factory=list, max_length=50)


class CaseEditIn(CaseFieldsIn):
    version: int = Field(..., ge=1, description="The version you read; a newer save refuses the edit (409)")


def _site(user: User, code: str) -> Site:
    site = Site.objects.filter(code=code, pk__in=user.site_ids).first()
    if site is None:
        raise ApplicationError(f"There is no site “{code}” among your sites.", extra={"field": "site"})
    return site


def _fields(data: CaseFieldsIn, *, defaults: bool) -> dict[str, Any]:
    """The values sent (an edit) or every value given (a new case), with the model's blanks for nulls."""
    given = data.dict(exclude_unset=True, include=set(CaseFieldsIn.model_fields))
    values: dict[str, Any] = {}
    for name, value in given.items():
        if value is None and not getattr(Case._meta.get_field(name), "null", False):
            if defaults:
                continue  # as if not given: the model's default
            raise ApplicationError(f'{name} cannot be null; send "" to clear it.', extra={"field": name})
        values[name] = value
    return values


def _issue_spec(site: Site, data: IssueIn) -> dict[str, Any]:
    department = None
    if data.department_id is not None:
        department = Department.objects.filter(pk=data.department_id, site=site).first()
        if department is None:
            raise ApplicationError("The issue's department is not one of the case's site.")
    return {
        "summary": data.summary,
        "category": data.category,
        "severity": data.severity,
        "stage_of_care": data.stage_of_care,
        "department": department,
        "staff_group": data.staff_group,
    }


@router.post("", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut, 201))
def create_case(request: HttpRequest, data: CaseIn) -> Status:
    """Log a new case at one of the caller's sites, with its issues. Answers the case as saved (201)."""
    user = caller(request)
    site = _site(user, data.site)
    issues = [_issue_spec(site, issue) for issue in data.issues]
    fields = _fields(data, defaults=True)
    fields.pop("channel", None)  # given below, with its default
    case = services.case_open(
        acting_user=user,
        site=site,
        case_type=data.case_type,
        channel=data.channel,
        received_at=data.received_at,
        issues=issues,
        **fields,
    )
    return Status(201, _answer(case, user))


@router.patch("/{reference}", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def update_case(request: HttpRequest, reference: str, data: CaseEditIn) -> dict[str, Any]:
    """Edit the case's details. Send ``version`` as read: if someone saved the case since, nothing is saved
    and the answer is 409 (read it again, apply the change, send it again)."""
    case = _case(request, reference)
    user = caller(request)
    services.case_update(acting_user=user, case=case, expected_version=data.version, **_fields(data, defaults=False))
    return _answer(case, user)


@router.post("/{reference}/issues", auth=scoped(ApiScope.WRITE_CASES), response=answers(IssueOut, 201))
def add_issue(request: HttpRequest, reference: str, data: IssueIn) -> Status:
    case = _case(request, reference)
    issue = services.issue_add(acting_user=caller(request), case=case, **_issue_spec(case.site, data))
    return Status(201, _issue(issue))


def _issue_of(case: Case, issue_id: int) -> Issue:
    issue = case.issues.filter(pk=issue_id).first()
    if issue is None:
        raise Http404("No such issue on this case")
    return issue


@router.put("/{reference}/issues/{issue_id}", auth=scoped(ApiScope.WRITE_CASES), response=answers(IssueOut))
def update_issue(request: HttpRequest, reference: str, issue_id: int, data: IssueIn) -> dict[str, Any]:
    """Recode or reword an issue (send the whole issue); its finding and outcome stay."""
    case = _case(request, reference)
    issue = services.issue_update(
        acting_user=caller(request), issue=_issue_of(case, issue_id), **_issue_spec(case.site, data)
    )
    return _issue(issue)


@router.delete("/{reference}/issues/{issue_id}", auth=scoped(ApiScope.WRITE_CASES), response=answers(None, 204))
def remove_issue(request: HttpRequest, reference: str, issue_id: int) -> HttpResponse:
    case = _case(request, reference)
    services.issue_remove(acting_user=caller(request), issue=_issue_of(case, issue_id))
    return HttpResponse(status=204)


class NoteIn(Schema):
    kind: Literal["note", "call", "email", "letter"] = "note"
    summary: str = Field(..., min_length=1, max_length=300)
    body: str = Field("", max_length=100000)
    duration_minutes: int | None = Field(None, ge=1, le=1440)


@router.post("/{reference}/notes", auth=scoped(ApiScope.WRITE_CASES), response=answers(TimelineEventOut, 201))
def add_note(request: HttpRequest, reference: str, data: NoteIn) -> Status:
    """A note, a phone call (with its length), or an email or letter logged by hand, on the timeline."""
    case = _case(request, reference)
    event = services.case_add_note(
        acting_user=caller(request),
        case=case,
        kind=TimelineKind(data.kind),
        summary=data.summary,
        body=data.body,
        duration_minutes=data.duration_minutes,
    )
    return Status(
        201,
        {
            "id": event.pk,
            "kind": event.kind,
            "occurred_at": event.occurred_at,
            "actor_id": event.actor_id,
            "summary": event.summary,
            "body": event.body,
            "duration_minutes": event.duration_minutes,
        },
    )


# -- The workflow ---------------------------------------------------------------------------------------------


class AcknowledgeIn(Schema):
    when: datetime | None = None  # now, if not given
    how: str = Field("", max_length=200)


class RespondIn(Schema):
    sent_at: datetime | None = None
    written_notice: bool = False


class NoteOnlyIn(Schema):
    note: str = Field("", max_length=5000)


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=5000)


class AssignIn(Schema):
    owner_id: int | None = Field(..., description="A user who may own cases at the case's site; null to unassign")


class ConvertIn(Schema):
    case_type: CaseType


class ExtensionIn(Schema):
    until: date
    agreement: str = Field(..., min_length=1, max_length=5000)


class ReferIn(Schema):
    body: ExternalBody
    referred_on: date
    reference: str = Field("", max_length=100)
    notes: str = Field("", max_length=5000)


class TimeLimitIn(Schema):
    good_reason: bool
    fair_investigation_possible: bool
    notes: str = Field(..., min_length=1, max_length=5000)


class InformalIn(Schema):
    outcome: InformalOutcome
    note: str = Field("", max_length=5000)
    flag_for_review: bool = False


@router.post("/{reference}/acknowledge", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def acknowledge(request: HttpRequest, reference: str, data: AcknowledgeIn) -> dict[str, Any]:
    case, user = _case(request, reference), caller(request)
    services.case_acknowledge(acting_user=user, case=case, when=data.when, how=data.how)
    return _answer(case, user)


@router.post("/{reference}/start-investigation", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def start_investigation(request: HttpRequest, reference: str) -> dict[str, Any]:
    case, user = _case(request, reference), caller(request)
    services.case_start_investigation(acting_user=user, case=case)
    return _answer(case, user)


@router.post("/{reference}/response-drafted", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def response_drafted(request: HttpRequest, reference: str) -> dict[str, Any]:
    case, user = _case(request, reference), caller(request)
    services.case_mark_response_drafted(acting_user=user, case=case)
    return _answer(case, user)


@router.post("/{reference}/respond", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def respond(request: HttpRequest, reference: str, data: RespondIn) -> dict[str, Any]:
    """Record that the response was sent (``sent_at``, now if not given)."""
    case, user = _case(request, reference), caller(request)
    services.case_record_response(acting_user=user, case=case, sent_at=data.sent_at, written_notice=data.written_notice)
    return _answer(case, user)


@router.post("/{reference}/close", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def close(request: HttpRequest, reference: str, data: NoteOnlyIn) -> dict[str, Any]:
    case, user = _case(request, reference), caller(request)
    services.case_close(acting_user=user, case=case, note=data.note)
    return _answer(case, user)


@router.post("/{reference}/reopen", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def reopen(request: HttpRequest, reference: str, data: ReasonIn) -> dict[str, Any]:
    case, user = _case(request, reference), caller(request)
    services.case_reopen(acting_user=user, case=case, reason=data.reason)
    return _answer(case, user)


@router.post("/{reference}/withdraw", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def withdraw(request: HttpRequest, reference: str, data: ReasonIn) -> dict[str, Any]:
    case, user = _case(request, reference), caller(request)
    services.case_withdraw(acting_user=user, case=case, reason=data.reason)
    return _answer(case, user)


@router.post("/{reference}/refer", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def refer(request: HttpRequest, reference: str, data: ReferIn) -> dict[str, Any]:
    """Record that the case went to an outside body (an ombudsman, a regulator)."""
    case, user = _case(request, reference), caller(request)
    services.case_refer_externally(
        acting_user=user,
        case=case,
        body=data.body,
        referred_on=data.referred_on,
        reference=data.reference,
        notes=data.notes,
    )
    return _answer(case, user)


@router.post("/{reference}/assign", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def assign(request: HttpRequest, reference: str, data: AssignIn) -> dict[str, Any]:
    case, user = _case(request, reference), caller(request)
    owner = None
    if data.owner_id is not None:
        owner = users_with(Cap.CASE_OWN, case.site).filter(pk=data.owner_id).first()
        if owner is None:
            raise ApplicationError("That user cannot own cases at this case's site.", extra={"field": "owner_id"})
    services.case_assign(acting_user=user, case=case, owner=owner)
    return _answer(case, user)


@router.post("/{reference}/convert", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def convert(request: HttpRequest, reference: str, data: ConvertIn) -> dict[str, Any]:
    """Change the case's type (a concern becomes a complaint); its received date and clocks' start stay."""
    case, user = _case(request, reference), caller(request)
    services.case_convert(acting_user=user, case=case, new_type=data.case_type)
    return _answer(case, user)


@router.post("/{reference}/extension", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def extension(request: HttpRequest, reference: str, data: ExtensionIn) -> dict[str, Any]:
    """Record a new response date agreed with the complainant, and how they agreed."""
    case, user = _case(request, reference), caller(request)
    services.case_record_extension(acting_user=user, case=case, until=data.until, agreement=data.agreement)
    return _answer(case, user)


@router.post("/{reference}/time-limit-decision", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def time_limit_decision(request: HttpRequest, reference: str, data: TimeLimitIn) -> dict[str, Any]:
    """For a complaint made after the time limit: whether it goes ahead, and why."""
    case, user = _case(request, reference), caller(request)
    services.case_record_time_limit_decision(
        acting_user=user,
        case=case,
        good_reason=data.good_reason,
        fair_investigation_possible=data.fair_investigation_possible,
        notes=data.notes,
    )
    return _answer(case, user)


@router.post("/{reference}/resolve-informally", auth=scoped(ApiScope.WRITE_CASES), response=answers(CaseOut))
def resolve_informally(request: HttpRequest, reference: str, data: InformalIn) -> dict[str, Any]:
    """Close a concern resolved informally, with its outcome."""
    case, user = _case(request, reference), caller(request)
    services.case_resolve_informally(
        acting_user=user, case=case, outcome=data.outcome, note=data.note, flag_for_review=data.flag_for_review
    )
    return _answer(case, user)
