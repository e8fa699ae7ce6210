"""The demo meetings: every state present, through the services, and loaded only once."""

from __future__ import annotations

import pytest
from django.core import mail

from liaison.demo.cases import demo_load_cases
from liaison.demo.services import demo_load
from liaison.improvement.models import ImprovementAction
from liaison.meetings.demo import demo_load_meetings
from liaison.meetings.models import Meeting, MeetingStatus, ParticipantKind

pytestmark = pytest.mark.django_db


def test_the_demo_holds_meetings_in_every_state_once(django_capture_on_commit_callbacks: object) -> None:
    demo_load()
    demo_load_cases()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert demo_load_meetings() == 4
    by_status = {s: list(Meeting.objects.filter(status=s)) for s in MeetingStatus.values}
    assert {s: len(m) for s, m in by_status.items()} == {"scheduled": 2, "held": 1, "cancelled": 1}
    upcoming = by_status["scheduled"][0]
    kinds = set(upcoming.participants.values_list("kind", flat=True))
    assert {ParticipantKind.STAFF, ParticipantKind.FAMILY} <= kinds
    held = by_status["held"][0]
    assert held.points_agreed and held.notes
    assert sorted(bool(a) for a in held.participants.values_list("attended", flat=True)) == [False, True, True, True]
    assert ImprovementAction.objects.filter(case=held.case).count() == 1
    assert by_status["cancelled"][0].cancel_reason
    assert {m.case.site.code for m in Meeting.objects.select_related("case__site")} == {"RGH"}
    assert any(m.to == ["grace.holloway@example.net"] for m in mail.outbox)

    assert demo_load_meetings() == 0
    assert Meeting.objects.count() == 4
