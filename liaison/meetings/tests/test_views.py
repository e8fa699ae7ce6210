"""The meeting page, its calendar download, cancelling and drafting the letter, for who may and who may not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.meetings.models import Meeting, MeetingStatus
from liaison.meetings.tests.helpers import london, open_case, schedule

NOW = datetime(2026, 3, 20, 9, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_the_meeting_page_shows_participants_and_is_audited(cast: Cast, as_user: Any) -> None:
    meeting = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    page = as_user(cast.officer).get(reverse("meetings:detail", args=[meeting.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bea Daughter" in html and "Monday 30 March 2026, 10:00 to 11:00" in page.content.decode()
    assert AuditEvent.objects.filter(action="view", object_type="meetings.meeting", object_id=str(meeting.pk)).exists()
    download = as_user(cast.manager).get(reverse("meetings:ics", args=[meeting.pk]))
    assert str(Calendar.from_ical(download.content).walk("VEVENT")[0]["UID"]) == meeting.uid


@pytest.mark.parametrize("who", ["investigator", "executive", "auditor", "outsider"])
@time_machine.travel(NOW, tick=False)
def test_others_cannot_see_or_cancel_a_meeting(cast: Cast, as_user: Any, who: str) -> None:
    meeting = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    client = as_user(getattr(cast, who))
    assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("meetings:ics", args=[meeting.pk])).status_code == 404
    assert client.post(reverse("meetings:cancel", args=[meeting.pk]), {"reason": "x"}).status_code == 404
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.SCHEDULED


@time_machine.travel(NOW, tick=False)
def test_cancelling_from_the_page_records_why(cast: Cast, as_user: Any) -> None:
    meeting = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    response = as_user(cast.officer).post(reverse("meetings:cancel", args=[meeting.pk]), {"reason": "Family unwell"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.status, meeting.cancel_reason, meeting.sequence) == (MeetingStatus.CANCELLED, "Family unwell", 1)
    page = as_user(cast.officer).get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert "Family unwell" in page and "Cancel the meeting and tell everyone" not in page
