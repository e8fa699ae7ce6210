"""Invitation emails: one per participant with an address, each carrying the calendar part and an .ics file.

The calendar travels twice: as a ``text/calendar; method=...`` alternative, which mail programs show as an
invitation with accept and decline buttons, and as an attachment, for those that only offer to open a file.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from liaison.lib.emails import site_url
from liaison.meetings.calendar import build_ics, participants_with_email
from liaison.meetings.models import Meeting, Participant, ParticipantKind

TEMPLATES = {"REQUEST": "meeting_invitation", "CANCEL": "meeting_cancelled"}


def meeting_values(meeting: Meeting, participant: Participant | None = None) -> dict[str, object]:
    """What an email about the meeting may say: no patient name and nothing clinical."""
    zone = meeting.case.site.zone
    staff = participant is not None and participant.kind == ParticipantKind.STAFF and participant.user_id is not None
    return {
        "kind": meeting.get_kind_display(),
        "reference": meeting.case.reference,
        "site": meeting.case.site.name,
        "starts": timezone.localtime(meeting.starts_at, zone).replace(tzinfo=None),
        "ends": timezone.localtime(meeting.ends_at, zone).replace(tzinfo=None),
        "zone": meeting.case.site.time_zone,
        "place": meeting.place,
        "video_link": meeting.video_link,
        "organiser": meeting.organiser.full_name,
        "updated": meeting.sequence > 0,
        "cancel_reason": meeting.cancel_reason,
        "name": participant.name if participant else "",
        # Only staff with an account get a link: it leads to a permission-checked page.
        "url": site_url(reverse("meetings:detail", args=[meeting.pk])) if staff else "",
    }


def send_calendar(meeting_pk: int, method: str) -> int:
    """Send the meeting as it now stands to every participant with an email address; returns how many."""
    meeting = Meeting.objects.select_related("case__site", "organiser").get(pk=meeting_pk)
    ics = build_ics(meeting, method)
    template = TEMPLATES[method]
    sent = 0
    for participant in participants_with_email(meeting):
        context = meeting_values(meeting, participant)
        subject = " ".join(render_to_string(f"email/{template}_subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject,
            render_to_string(f"email/{template}_body.txt", context),
            to=[participant.email],
            reply_to=[meeting.organiser.email] if meeting.organiser.email else None,
        )
        message.attach_alternative(render_to_string(f"email/{template}_body.html", context), "text/html")
        message.attach_alternative(ics.decode("utf-8"), f"text/calendar; method={method}")
        message.attach("meeting.ics" if method == "REQUEST" else "cancelled.ics", ics, "application/ics")
        sent += message.send()
    return sent


def from_address() -> str:
    return settings.DEFAULT_FROM_EMAIL
