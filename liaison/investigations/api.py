"""Investigators' API: their requests, with only what they need to answer (no complainant contact)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema

from liaison.accounts.api_auth import require_scope
from liaison.accounts.models import ApiScope
from liaison.audit.services import audit_view
from liaison.investigations import selectors
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


@router.get("/requests", response=RequestPageOut)
def list_requests(
    request: HttpRequest,
    status: RequestStatus | None = None,
    after: str | None = Query(None, max_length=200),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> dict[str, object]:
    """The department's requests, soonest due first, a page at a time.

    Keyset pages: pass the last page's ``next`` as ``after``; each page costs the same however deep.
    """
    require_scope(request, ApiScope.READ_CASES)
    items = selectors.requests_for_investigator(user=request.user)  # type: ignore[arg-type]
    if status is not None:
        items = items.filter(status=status)
    page = keyset_page(items, order=("due_date", "pk"), cursor=after, limit=limit)
    return {"items": [_summary(item) for item in page.items], "next": page.next_cursor}


@router.get("/requests/{request_id}", response=RequestOut)
def get_request(request: HttpRequest, request_id: int) -> dict[str, object]:
    require_scope(request, ApiScope.READ_CASES)
    item = selectors.get_request_for_investigator(user=request.user, pk=request_id)  # type: ignore[arg-type]
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
