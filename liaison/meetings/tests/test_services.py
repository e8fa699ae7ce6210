"""Scheduling, invitations by real SMTP, replies through the inbound path, clashes, outcomes, reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine
from icalendar import Calendar

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import TimelineEvent
from liaison.correspondence.models import Letter, LetterStatus
from liaison.improvement.models import ImprovementAction
from liaison.inbound.services import inbound_message_ingest
from liaison.lib.errors import ApplicationError
from liaison.meetings.models import MeetingStatus, Participant, ParticipantKind, Response
from liaison.meetings.selectors import upcoming_for_user
from liaison.meetings.services import (
    ActionSpec,
    ParticipantSpec,
    meeting_draft_outcome_letter,
    meeting_record_outcome,
)
from liaison.meetings.tests.helpers import london, open_case, schedule
from liaison.reminders.models import ReminderLog
from liaison.reminders.services import reminders_sweep

NOW = datetime(2026, 3, 20, 9, tzinfo=UTC)


def _calendar_parts(message: Any) -> tuple[Calendar, Calendar]:
    alternative = next(p for p in message.walk() if p.get_content_type() == "text/calendar" and not p.get_filename())
    attached = next(p for p in message.walk() if p.get_filename() == "meeting.ics")
    assert alternative.get_param("method") == "REQUEST"
    return Calendar.from_ical(alternative.get_content()), Calendar.from_ical(attached.get_payload(decode=True))


@time_machine.travel(NOW, tick=False)
def test_invitations_reach_each_participant_with_an_address_and_a_reply_updates_their_status(
    cast: Cast, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = open_case(cast)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = schedule(cast, case, london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    assert sorted(m["To"] for m in smtp_server.messages) == ["bea@family.example", "manager@rgh.example"]
    invitation = smtp_server.to("manager@rgh.example")[0]
    inline, attached = _calendar_parts(invitation)
    assert str(inline.walk("VEVENT")[0]["UID"]) == str(attached.walk("VEVENT")[0]["UID"]) == meeting.uid
    assert "Testpatient" not in invitation.as_string()
    assert "Monday 30 March 2026, 10:00 to 11:00" in invitation.get_body(("plain",)).get_content()

    reply = Calendar()
    reply.add("prodid", "-//Mail//EN")
    reply.add("version", "2.0")
    reply.add("method", "REPLY")
    event = inline.walk("VEVENT")[0]
    event.pop("ATTENDEE")
    event.add("attendee", "mailto:manager@rgh.example", parameters={"PARTSTAT": "ACCEPTED"})
    reply.add_component(event)
    email = EmailMessage()
    email["From"], email["To"] = "Mona Manager <manager@rgh.example>", "officer@rgh.example"
    email["Subject"] = f"Accepted: {event['SUMMARY']}"
    email.set_content("Accepted")
    email.add_attachment(reply.to_ical(), maintype="text", subtype="calendar", params={"method": "REPLY"})
    inbound_message_ingest(raw=email.as_bytes())

    manager = Participant.objects.get(meeting=meeting, user=cast.manager)
    assert manager.response == Response.ACCEPTED and manager.responded_at == NOW
    assert Participant.objects.get(meeting=meeting, name="Bea Daughter").response == Response.NEEDS_ACTION
    assert AuditEvent.objects.filter(action="meeting.reply", object_id=str(manager.pk)).exists()
    assert TimelineEvent.objects.filter(case=case, summary="Mona Manager accepted the mediation").exists()


@time_machine.travel(NOW, tick=False)
def test_a_reply_sent_from_another_address_changes_nothing(cast: Cast) -> None:
    case = open_case(cast)
    meeting = schedule(cast, case, london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        f"UID:{meeting.uid}\r\nDTSTAMP:20260320T090000Z\r\n"
        "ATTENDEE;PARTSTAT=DECLINED:mailto:manager@rgh.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = "spoof@elsewhere.example", "officer@rgh.example", "Declined"
    email.set_content("no")
    email.add_attachment(ics.encode(), maintype="text", subtype="calendar", params={"method": "REPLY"})
    inbound_message_ingest(raw=email.as_bytes())
    assert Participant.objects.get(meeting=meeting, user=cast.manager).response == Response.NEEDS_ACTION


@time_machine.travel(NOW, tick=False)
def test_booking_a_staff_member_twice_warns_with_the_other_meetings_time_only(cast: Cast) -> None:
    first_case, second_case = open_case(cast), open_case(cast)
    first = schedule(cast, first_case, london(2026, 3, 30, 10), london(2026, 3, 30, 11))
    assert first.warnings == []
    second = schedule(
        cast,
        second_case,
        london(2026, 3, 30, 10, 30),
        london(2026, 3, 30, 11, 30),
        participants=[ParticipantSpec(kind=ParticipantKind.STAFF, user=cast.manager)],
    )
    assert second.warnings == [
        "Mona Manager is already booked into another meeting on Monday 30 March 2026, 10:00 to 11:00."
    ]
    assert second.meeting.status == MeetingStatus.SCHEDULED  # a warning, not a refusal
    later = schedule(
        cast,
        second_case,
        london(2026, 3, 30, 11),
        london(2026, 3, 30, 12),
        participants=[ParticipantSpec(kind=ParticipantKind.STAFF, user=cast.manager)],
    )
    assert not any("10:00 to 11:00" in w for w in later.warnings)


def test_recording_the_outcome_raises_actions_and_drafts_the_outcome_letter(cast: Cast) -> None:
    with time_machine.travel(NOW, tick=False):
        case = open_case(cast)
        meeting = schedule(cast, case, london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
        assert [m.pk for m in upcoming_for_user(cast.manager, NOW, 5)] == [meeting.pk]
        with pytest.raises(ApplicationError, match="has not started"):
            meeting_record_outcome(
                acting_user=cast.officer, meeting=meeting, attended=[], notes="x", points_agreed="", actions=[]
            )
    with time_machine.travel(datetime(2026, 3, 30, 12, tzinfo=UTC), tick=False):
        family = Participant.objects.get(meeting=meeting, name="Bea Daughter")
        actions = meeting_record_outcome(
            acting_user=cast.officer,
            meeting=meeting,
            attended=[family.pk],
            notes="A calm conversation.",
            points_agreed="The ward will call the family daily.",
            actions=[ActionSpec(what="Daily call to the family", owner=cast.manager, due_date=date(2026, 4, 30))],
        )
        letter = meeting_draft_outcome_letter(acting_user=cast.officer, meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and meeting.points_agreed == "The ward will call the family daily."
    assert [p.attended for p in meeting.participants.order_by("pk")] == [False, True, False]
    action = ImprovementAction.objects.get(pk=actions[0].pk)
    assert (action.owner, action.due_date, action.case_id) == (cast.manager, date(2026, 4, 30), case.pk)
    stored = Letter.objects.get(pk=letter.pk)
    assert stored.kind == "meeting_outcome" and stored.status == LetterStatus.DRAFT
    assert "The ward will call the family daily." in stored.body_html and "Bea Daughter" in stored.body_html
    assert "Daily call to the family" in stored.body_html
    assert list(
        AuditEvent.objects.filter(object_type="meetings.meeting", object_id=str(meeting.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["meeting.schedule", "meeting.record_outcome"]
    summaries = list(
        TimelineEvent.objects.filter(case=case, data__meeting=meeting.pk).values_list("summary", flat=True)
    )
    assert summaries == [
        "Mediation arranged for Monday 30 March 2026, 10:00 to 11:00",
        "Mediation held: 1 attended, 1 action(s) agreed",
    ]


def test_participants_are_reminded_once_the_day_before(cast: Cast, smtp_server: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        meeting = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    with time_machine.travel(datetime(2026, 3, 28, 12, tzinfo=UTC), tick=False):
        reminders_sweep()
        assert not ReminderLog.objects.filter(kind="meeting_tomorrow").exists()
    with time_machine.travel(datetime(2026, 3, 29, 8, tzinfo=UTC), tick=False):
        reminders_sweep()
        reminders_sweep()
    reminders = [m for m in smtp_server.messages if m["Subject"].startswith("Tomorrow:")]
    assert sorted(m["To"] for m in reminders) == ["bea@family.example", "manager@rgh.example"]
    assert ReminderLog.objects.filter(kind="meeting_tomorrow", object_type="meetings.participant").count() == 2
    assert meeting.pk


@pytest.mark.parametrize("who", ["investigator", "executive", "outsider"])
def test_only_office_staff_of_the_site_may_arrange_meetings(cast: Cast, who: str) -> None:
    case = open_case(cast)
    with pytest.raises(ApplicationError, match="arrange meetings"):
        schedule(cast, case, london(2026, 3, 30, 10), london(2026, 3, 30, 11), acting_user=getattr(cast, who))
