"""Meetings over the API: a case's meetings, with who takes part and how they answered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from liaison.accounts.api_auth import answers, caller, scoped
from liaison.accounts.models import ApiScope
from liaison.audit.services import audit_view
from liaison.cases.selectors import get_case_for_user
from liaison.meetings.selectors import meetings_for_user

router = Router(tags=["meetings"])

MOST_MEETINGS = 100


class ParticipantOut(Schema):
    kind: str
    name: str
    response: str
    attended: bool | None


class MeetingOut(Schema):
    id: int
    case_reference: str
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime
    place: str
    held_at: datetime | None
    points_agreed: str
    participants: list[ParticipantOut]


@router.get("/cases/{reference}/meetings", auth=scoped(ApiScope.READ_CASES), response=answers(list[MeetingOut]))
def case_meetings(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    """The case's meetings, soonest first (for those who work on meetings at the case's site)."""
    user = caller(request)
    case = get_case_for_user(user=user, reference=reference)
    meetings = (
        meetings_for_user(user=user).filter(case=case).prefetch_related("participants").order_by("starts_at", "pk")
    )
    found = list(meetings[:MOST_MEETINGS])
    if found:
        audit_view(request=request, obj=case, site=case.site, what="meetings (API)")
    return [
        {
            "id": meeting.pk,
            "case_reference": case.reference,
            "kind": meeting.kind,
            "status": meeting.status,
            "starts_at": meeting.starts_at,
            "ends_at": meeting.ends_at,
            "place": meeting.place,
            "held_at": meeting.held_at,
            "points_agreed": meeting.points_agreed,
            "participants": [
                {"kind": p.kind, "name": p.name, "response": p.response, "attended": p.attended}
                for p in meeting.participants.all()
            ],
        }
        for meeting in found
    ]
