"""Investigators' API: their requests, with only what they need to answer (no complainant contact)."""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from liaison.accounts.api_auth import answers, caller, scoped
from liaison.accounts.models import ApiScope
from liaison.audit.services import audit_view
from liaison.cases.selectors import can_see_identity, get_case_for_user
from liaison.investigations import selectors, services
from liaison.investigations.models import InvestigationRequest, RequestStatus
from liaison.lib.keyset import DEFAULT_LIMIT, MAX_LIMIT, keyset_page

router = Router(tags=["investigations"])


class IssueOut(Schema):
    id: int
    category: str
    summary: str


class RequestSummaryOut(Schema):
    id: int
    case_reference: str
    department: str
    due_date: date
    status: str


class RequestOut(RequestSummaryOut):
    questions: str
    received_date: date
    event_date: date | None
    # False on a restricted case whose officer did not share the patient's identity: the three below are null.
    identity_shared: bool
    patient_name: str | None
    patient_mrn: str | None
    account: str | None
    issues: list[IssueOut]


def _summary(item: InvestigationRequest) -> dict[str, object]:
    return {
        "id": item.pk,
        "case_reference": item.case.reference,
        "department": item.department.name,
        "due_date": item.due_date,
        "status": item.status,
    }


class RequestPageOut(Schema):
    items: list[RequestSummaryOut]
    # Pass as ``after`` for the next page; null on the last one.
    next: str | None


@router.get("/requests", auth=scoped(ApiScope.READ_CASES), response=answers(RequestPageOut))
def list_requests(
    request: HttpRequest,
    status: RequestStatus | None = None,
    after: str | None = Query(None, max_length=200),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> dict[str, object]:
    """The department's requests, soonest due first, a page at a time.

    Keyset pages: pass the last page's ``next`` as ``after``; each page costs the same however deep.
    """
    items = selectors.requests_for_investigator(user=request.user)  # type: ignore[arg-type]
    if status is not None:
        items = items.filter(status=status)
    page = keyset_page(items, order=("due_date", "pk"), cursor=after, limit=limit)
    return {"items": [_summary(item) for item in page.items], "next": page.next_cursor}


@router.get("/requests/{request_id}", auth=scoped(ApiScope.READ_CASES), response=answers(RequestOut))
def get_request(request: HttpRequest, request_id: int) -> dict[str, object]:
    item = selectors.get_request_for_investigator(user=request.user, pk=request_id)  # type: ignore[arg-type]
    return _request_detail(request, item)


def _request_detail(request: HttpRequest, item: InvestigationRequest) -> dict[str, object]:
    case = item.case
    shown = selectors.case_for_investigator(item=item)
    audit_view(request=request, obj=case, site=case.site, what=selectors.view_label(shown=shown, api=True))
    return {
        **_summary(item),
        "questions": item.questions,
        "received_date": shown.received_date,
        "event_date": shown.event_date,
        "identity_shared": shown.identity_shared,
        "patient_name": shown.patient_name,
        "patient_mrn": shown.patient_mrn,
        "account": shown.account,
        "issues": [
            {"id": i.pk, "category": i.get_category_display(), "summary": i.summary} for i in case.issues.order_by("pk")
        ],
    }


class FindingIn(Schema):
    issue_id: int  # one of the request's issues
    finding: str = Field(..., max_length=100000)


class AnswerIn(Schema):
    statement: str = Field(..., min_length=1, max_length=100000)
    findings: list[FindingIn] = Field(default_factory=list, max_length=100)  # a finding per issue


@router.post("/requests/{request_id}/answer", auth=scoped(ApiScope.WRITE_CASES), response=answers(RequestOut))
def answer_request(request: HttpRequest, request_id: int, data: AnswerIn) -> dict[str, object]:
    """The department's statement and a finding per issue. Evidence files are added on the request's page."""
    item = selectors.get_request_for_investigator(user=caller(request), pk=request_id)
    services.investigation_answer(
        acting_user=caller(request),
        request=item,
        statement=data.statement,
        findings={finding.issue_id: finding.finding for finding in data.findings},
    )
    return _request_detail(request, item)


class CaseRequestOut(RequestSummaryOut):
    questions: str
    requested_at: datetime
    statement: str
    answered_at: datetime | None
    findings: dict[int, str]


@router.get("/cases/{reference}/requests", auth=scoped(ApiScope.READ_CASES), response=answers(list[CaseRequestOut]))
def case_requests(request: HttpRequest, reference: str) -> list[dict[str, object]]:
    """For the case's officer: every request sent about the case, with the answers that came back."""
    if not can_see_identity(caller(request)):
        raise Http404  # the answers speak of the patient: for the office only, as on the case's page
    case = get_case_for_user(user=caller(request), reference=reference)
    audit_view(request=request, obj=case, site=case.site, what="investigation requests (API)")
    items = case.investigation_requests.select_related("department").prefetch_related("findings").order_by("pk")
    return [
        {
            "id": item.pk,
            "case_reference": case.reference,
            "department": item.department.name,
            "due_date": item.due_date,
            "status": item.status,
            "questions": item.questions,
            "requested_at": item.requested_at,
            "statement": item.statement,
            "answered_at": item.answered_at,
            "findings": {finding.issue_id: finding.finding for finding in item.findings.all()},
        }
        for item in items[:200]
    ]
