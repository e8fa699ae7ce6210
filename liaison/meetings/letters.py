"""The ``meeting`` variable of letters: the case's latest held meeting, as plain values (letters/README.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from liaison.cases.models import Case
from liaison.meetings.models import Meeting, MeetingStatus

SAMPLE: dict[str, Any] = {
    "meeting": {
        "kind": "Mediation",
        "date": date(2026, 1, 15),
        "held": True,
        "attended": "Alex Sample, Sam Sample",
        "points_agreed": "Sample text",
        "actions": [{"description": "Sample action", "due_date": date(2026, 2, 15)}],
    }
}


def meeting_letter_values(case: Case, kind: str, *, language: str) -> dict[str, Any]:
    meeting = (
        Meeting.objects.filter(case=case, status=MeetingStatus.HELD).order_by("-held_at", "-pk").first()
        if case.pk
        else None
    )
    if meeting is None:
        return {
            "meeting": {"held": False, "kind": "", "date": None, "attended": "", "points_agreed": "", "actions": []}
        }
    from liaison.improvement.models import ImprovementAction

    actions = ImprovementAction.objects.filter(case=case, created_at__gte=meeting.held_at).order_by("due_date", "pk")
    return {
        "meeting": {
            "kind": meeting.get_kind_display(),
            "date": timezone.localdate(meeting.starts_at, case.site.zone),
            "held": True,
            "attended": ", ".join(p.name for p in meeting.participants.filter(attended=True)),
            "points_agreed": meeting.points_agreed,
            "actions": [{"description": a.what, "due_date": a.due_date} for a in actions],
        }
    }
