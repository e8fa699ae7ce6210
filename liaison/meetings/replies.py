"""Calendar answers (iCalendar METHOD:REPLY) arriving by email, read as inbound mail is filed."""

from __future__ import annotations

from liaison.inbound.hooks import MessageFiled
from liaison.meetings.calendar import parse_replies
from liaison.meetings.services import participant_reply


def read_calendar_replies(event: MessageFiled) -> int:
    """Update each participant whose own reply is in the message; returns how many answers were applied."""
    applied = 0
    for attachment in event.parsed.attachments:
        if attachment.content_type != "text/calendar" and not attachment.filename.lower().endswith(".ics"):
            continue
        for reply in parse_replies(attachment.content):
            if participant_reply(reply=reply, from_address=event.parsed.from_address) is not None:
                applied += 1
    return applied
