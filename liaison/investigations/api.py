"""Investigators' API: their requests, with only what they need to answer (no complainant contact)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema

from liaison.audit.services import audit_view
from liaison.investigations import selectors
from liaison.investigations.models import InvestigationRequest

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


@router.get("/requests", response=list[RequestSummaryOut])
def list_requests(request: HttpRequest) -> list[dict[str, object]]:
    items = selectors.requests_for_investigator(user=request.user).order_by("status", "due_date")  # type: ignore[arg-type]
    return [_summary(item) for item in items]


@router.get("/requests/{request_id}", response=RequestOut)
def get_request(request: HttpRequest, request_id: int) -> dict[str, object]:
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
