"""Improvement actions over the API: what the hospital has said it will change, and how far it has got."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from liaison.accounts.api_auth import answers, caller, scoped
from liaison.accounts.models import ApiScope
from liaison.accounts.permissions import Cap, can
from liaison.improvement.models import ActionStatus, ImprovementAction
from liaison.lib.keyset import DEFAULT_LIMIT, MAX_LIMIT, keyset_page

router = Router(tags=["improvement"])


class ActionOut(Schema):
    id: int
    site: str
    department_id: int | None
    what: str
    why: str
    theme: str
    case_reference: str | None
    owner_id: int
    due_date: date
    status: str
    completed_at: datetime | None
    completion_evidence: str
    public: bool
    you_said: str
    we_did: str


class ActionPageOut(Schema):
    items: list[ActionOut]
    next: str | None


@router.get("/actions", auth=scoped(ApiScope.READ_MEASURES), response=answers(ActionPageOut))
def list_actions(
    request: HttpRequest,
    status: ActionStatus | None = None,
    site: str | None = Query(None, max_length=20, description="A site's code"),
    after: str | None = Query(None, max_length=200),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
) -> dict[str, Any]:
    """The improvement actions of the caller's sites, oldest first, a page at a time."""
    user = caller(request)
    actions = ImprovementAction.objects.none()
    if can(user, Cap.IMPROVEMENT_READ):
        actions = ImprovementAction.objects.filter(site_id__in=user.site_ids)
    if status is not None:
        actions = actions.filter(status=status)
    if site:
        actions = actions.filter(site__code=site)
    page = keyset_page(actions.select_related("site", "case"), order=("pk",), cursor=after, limit=limit)
    items = [
        {
            "id": action.pk,
            "site": action.site.code,
            "department_id": action.department_id,
            "what": action.what,
            "why": action.why,
            "theme": action.theme,
            "case_reference": action.case.reference if action.case else None,
            "owner_id": action.owner_id,
            "due_date": action.due_date,
            "status": action.status,
            "completed_at": action.completed_at,
            "completion_evidence": action.completion_evidence,
            "public": action.public,
            "you_said": action.you_said,
            "we_did": action.we_did,
        }
        for action in page.items
    ]
    return {"items": items, "next": page.next_cursor}
