"""The meetings' part of the reminders sweep: every participant with an address is reminded the day before."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from liaison.meetings.invitations import meeting_values
from liaison.meetings.models import Meeting, MeetingStatus
from liaison.reminders.services import SweepReport, send_once


def remind_meetings_tomorrow(now: datetime, report: SweepReport) -> None:
    meetings = Meeting.objects.filter(
        status=MeetingStatus.SCHEDULED, starts_at__gt=now, starts_at__lte=now + timedelta(days=2)
    ).select_related("case__site", "organiser")
    for meeting in meetings:
        zone = meeting.case.site.zone
        if timezone.localdate(meeting.starts_at, zone) != timezone.localdate(now, zone) + timedelta(days=1):
            continue
        for participant in meeting.participants.exclude(email=""):
            send_once(
                kind="meeting_tomorrow",
                obj_type="meetings.participant",
                obj_id=participant.pk,
                # A meeting moved to another day is a new occurrence, so it is reminded again.
                occurrence=meeting.starts_at.isoformat(),
                template="meeting_reminder",
                context=meeting_values(meeting, participant),
                to=[participant.email],
                report=report,
            )
