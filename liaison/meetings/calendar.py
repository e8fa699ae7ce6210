"""The iCalendar side of a meeting: invitations and cancellations out (RFC 5546 REQUEST/CANCEL), replies in.

Times are written in UTC (``...Z``), which every calendar program reads without a VTIMEZONE and shows in its
user's own zone; the site's zone decides only how people type and read the time in Liaison.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from liaison.meetings.models import Meeting, Participant, ParticipantKind, Response

PRODID = "-//Liaison//Patient relations meetings//EN"

_PARTSTAT = {
    Response.NEEDS_ACTION: "NEEDS-ACTION",
    Response.ACCEPTED: "ACCEPTED",
    Response.DECLINED: "DECLINED",
    Response.TENTATIVE: "TENTATIVE",
}
_FROM_PARTSTAT = {value: key for key, value in _PARTSTAT.items()}


def summary(meeting: Meeting) -> str:
    # The case reference and the kind only: calendars are synced to phones and shared, so no clinical details.
    return f"{meeting.get_kind_display()} – case {meeting.case.reference}"


def description(meeting: Meeting) -> str:
    lines = [f"{meeting.get_kind_display()} arranged by {meeting.case.site.name} patient relations."]
    if meeting.video_link:
        lines.append(f"Video link: {meeting.video_link}")
    lines.append(f"Organiser: {meeting.organiser.full_name}")
    lines.append("If you cannot come, please reply to this invitation or contact the organiser.")
    return "\n".join(lines)


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    return address


def _organiser_email(meeting: Meeting) -> str:
    return meeting.organiser.email or settings.DEFAULT_FROM_EMAIL


def build_ics(meeting: Meeting, method: str) -> bytes:
    """One VCALENDAR with one VEVENT for the meeting as it stands, for ``method`` REQUEST or CANCEL."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(UTC))
    event.add("dtend", meeting.ends_at.astimezone(UTC))
    event.add("summary", summary(meeting))
    event.add("description", description(meeting))
    location = meeting.place or meeting.video_link
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("organizer", _address(_organiser_email(meeting), meeting.organiser.full_name))
    for participant in meeting.participants.all():
        if not participant.email:
            continue
        attendee = _address(participant.email, participant.name)
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["PARTSTAT"] = vText(_PARTSTAT[Response(participant.response)])
        attendee.params["RSVP"] = vText("TRUE" if participant.kind == ParticipantKind.STAFF else "FALSE")
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    return calendar.to_ical()


@dataclass(frozen=True)
class Reply:
    uid: str
    email: str
    response: str  # a Response value


def _email_of(address: object) -> str:
    text = str(address).strip()
    return (text[7:] if text.lower().startswith("mailto:") else text).strip().lower()


def parse_replies(content: bytes) -> list[Reply]:
    """The attendee answers in an iCalendar METHOD:REPLY; anything else (or unreadable) gives none."""
    try:
        calendar = Calendar.from_ical(content)
    except Exception:  # a broken calendar part is ignored: the email is still filed as usual
        return []
    if str(calendar.get("method", "")).upper() != "REPLY":
        return []
    replies = []
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("uid", ""))
        attendees = event.get("attendee")
        if attendees is None:
            continue
        for attendee in attendees if isinstance(attendees, list) else [attendees]:
            partstat = str(getattr(attendee, "params", {}).get("PARTSTAT", "")).upper()
            if uid and partstat in _FROM_PARTSTAT and _FROM_PARTSTAT[partstat] != Response.NEEDS_ACTION:
                replies.append(Reply(uid=uid, email=_email_of(attendee), response=_FROM_PARTSTAT[partstat]))
    return replies


def participants_with_email(meeting: Meeting) -> list[Participant]:
    return [p for p in meeting.participants.all() if p.email]


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
