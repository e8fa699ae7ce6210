"""Adding and removing participants after a meeting is arranged: the calendar updates by real SMTP (same UID,
next SEQUENCE; a CANCEL for the person removed), the audit trail, the timeline and the pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import TimelineEvent
from liaison.lib.errors import ApplicationError
from liaison.meetings.models import Meeting, Participant, ParticipantKind
from liaison.meetings.services import (
    ParticipantSpec,
    meeting_cancel,
    meeting_record_outcome,
    participant_add,
    participant_remove,
)
from liaison.meetings.tests.helpers import london, open_case, schedule

NOW = datetime(2026, 3, 20, 9, tzinfo=UTC)
ADVOCATE = ParticipantSpec(kind=ParticipantKind.ADVOCATE, name="Alan Advocate", email="alan@advocacy.example")


def _calendar(message: Any) -> tuple[str, Calendar]:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar" and not p.get_filename())
    return str(part.get_param("method")), Calendar.from_ical(part.get_content())


def _event(message: Any) -> tuple[str, str, int, list[str]]:
    method, calendar = _calendar(message)
    assert str(calendar["METHOD"]) == method
    event = calendar.walk("VEVENT")[0]
    attendees = event.get("ATTENDEE", [])
    attendees = attendees if isinstance(attendees, list) else [attendees]
    return method, str(event["UID"]), int(str(event["SEQUENCE"])), sorted(str(a).lower() for a in attendees)


def _arranged(cast: Cast, smtp_server: Any, capture: Any) -> Meeting:
    with capture(execute=True):
        meeting = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    smtp_server.messages.clear()
    return meeting


@time_machine.travel(NOW, tick=False)
def test_adding_someone_invites_them_and_sends_the_others_the_update(
    cast: Cast, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    meeting = _arranged(cast, smtp_server, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        done = participant_add(acting_user=cast.officer, meeting=meeting, spec=ADVOCATE)
    assert done.meeting.sequence == 1 and done.warnings == []
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "alan@advocacy.example",
        "bea@family.example",
        "manager@rgh.example",
    ]
    everyone = ["mailto:alan@advocacy.example", "mailto:bea@family.example", "mailto:manager@rgh.example"]
    for message in smtp_server.messages:
        assert _event(message) == ("REQUEST", meeting.uid, 1, everyone)
    assert smtp_server.to("alan@advocacy.example")[0]["Subject"].startswith("Invitation:")
    assert smtp_server.to("bea@family.example")[0]["Subject"].startswith("Changed:")
    added = Participant.objects.get(meeting=meeting, name="Alan Advocate")
    assert (added.kind, added.email) == (ParticipantKind.ADVOCATE, "alan@advocacy.example")
    audit = AuditEvent.objects.get(action="meeting.participant_add", object_id=str(meeting.pk))
    assert audit.details["participant"] == added.pk and audit.details["sequence"] == 1
    assert audit.actor_id == cast.officer.pk
    assert TimelineEvent.objects.filter(
        case=meeting.case, summary__startswith="Advocate added to the mediation"
    ).exists()


@time_machine.travel(NOW, tick=False)
def test_removing_someone_sends_them_a_cancel_and_the_others_the_update(
    cast: Cast, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    meeting = _arranged(cast, smtp_server, django_capture_on_commit_callbacks)
    bea = Participant.objects.get(meeting=meeting, name="Bea Daughter")
    with django_capture_on_commit_callbacks(execute=True):
        participant_remove(acting_user=cast.officer, meeting=meeting, participant=bea, reason="Prefers a letter")
    assert meeting.sequence == 1
    assert sorted(m["To"] for m in smtp_server.messages) == ["bea@family.example", "manager@rgh.example"]
    cancel = smtp_server.to("bea@family.example")[0]
    assert _event(cancel) == ("CANCEL", meeting.uid, 1, ["mailto:bea@family.example"])
    assert "goes ahead without you" in cancel.get_body(("plain",)).get_content()
    assert "Prefers a letter" not in cancel.as_string()
    update = smtp_server.to("manager@rgh.example")[0]
    assert _event(update) == ("REQUEST", meeting.uid, 1, ["mailto:manager@rgh.example"])
    assert not Participant.objects.filter(pk=bea.pk).exists()
    audit = AuditEvent.objects.get(action="meeting.participant_remove", object_id=str(meeting.pk))
    assert audit.details == {"participant": bea.pk, "kind": "family", "reason": "Prefers a letter", "sequence": 1}
    entry = TimelineEvent.objects.get(case=meeting.case, summary__startswith="Family member no longer taking part")
    assert entry.body == "Prefers a letter"


@time_machine.travel(NOW, tick=False)
def test_someone_without_an_address_is_removed_without_an_email_to_them(
    cast: Cast, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    meeting = _arranged(cast, smtp_server, django_capture_on_commit_callbacks)
    ivan = Participant.objects.get(meeting=meeting, name="Ivan Interpreter")
    with django_capture_on_commit_callbacks(execute=True):
        participant_remove(acting_user=cast.officer, meeting=meeting, participant=ivan, reason="Not needed")
    assert sorted(m["To"] for m in smtp_server.messages) == ["bea@family.example", "manager@rgh.example"]
    assert all(_event(m)[0] == "REQUEST" for m in smtp_server.messages)


@time_machine.travel(NOW, tick=False)
def test_adding_a_member_of_staff_booked_elsewhere_warns(cast: Cast) -> None:
    schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11))
    other = schedule(
        cast,
        open_case(cast),
        london(2026, 3, 30, 10, 30),
        london(2026, 3, 30, 12),
        participants=[ParticipantSpec(kind=ParticipantKind.FAMILY, name="Carl Cousin")],
    ).meeting
    done = participant_add(
        acting_user=cast.officer, meeting=other, spec=ParticipantSpec(kind=ParticipantKind.STAFF, user=cast.manager)
    )
    assert done.warnings == [
        "Mona Manager is already booked into another meeting on Monday 30 March 2026, 10:00 to 11:00."
    ]
    assert other.participants.filter(user=cast.manager).exists()


@time_machine.travel(NOW, tick=False)
def test_it_refuses_the_same_person_twice_and_removing_the_last_one(cast: Cast) -> None:
    meeting = schedule(
        cast,
        open_case(cast),
        london(2026, 3, 30, 10),
        london(2026, 3, 30, 11),
        participants=[ParticipantSpec(kind=ParticipantKind.STAFF, user=cast.manager)],
    ).meeting
    with pytest.raises(ApplicationError, match="already taking part"):
        participant_add(
            acting_user=cast.officer,
            meeting=meeting,
            spec=ParticipantSpec(kind=ParticipantKind.STAFF, user=cast.manager),
        )
    only = meeting.participants.get()
    with pytest.raises(ApplicationError, match="at least one participant"):
        participant_remove(acting_user=cast.officer, meeting=meeting, participant=only, reason="Gone")
    with pytest.raises(ApplicationError, match="Say why"):
        participant_remove(acting_user=cast.officer, meeting=meeting, participant=only, reason="   ")
    meeting.refresh_from_db()
    assert meeting.sequence == 0 and meeting.participants.count() == 1
    assert not AuditEvent.objects.filter(action__startswith="meeting.participant_").exists()


@pytest.mark.parametrize("who", ["investigator", "executive", "outsider"])
@time_machine.travel(NOW, tick=False)
def test_only_office_staff_of_the_site_may_change_who_takes_part(cast: Cast, who: str) -> None:
    meeting = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    bea = meeting.participants.get(name="Bea Daughter")
    with pytest.raises(ApplicationError, match="arrange meetings"):
        participant_add(acting_user=getattr(cast, who), meeting=meeting, spec=ADVOCATE)
    with pytest.raises(ApplicationError, match="arrange meetings"):
        participant_remove(acting_user=getattr(cast, who), meeting=meeting, participant=bea, reason="x")
    assert meeting.participants.count() == 3


def test_nobody_is_added_to_or_removed_from_a_held_or_cancelled_meeting(cast: Cast) -> None:
    with time_machine.travel(NOW, tick=False):
        held = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
        cancelled = schedule(cast, open_case(cast), london(2026, 3, 31, 10), london(2026, 3, 31, 11)).meeting
        meeting_cancel(acting_user=cast.officer, meeting=cancelled, reason="Family unwell")
    with time_machine.travel(datetime(2026, 3, 30, 12, tzinfo=UTC), tick=False):
        meeting_record_outcome(
            acting_user=cast.officer, meeting=held, attended=[], notes="Talked it through", points_agreed="", actions=[]
        )
        for meeting, state in [(held, "held"), (cancelled, "cancelled")]:
            with pytest.raises(ApplicationError, match=f"that is {state} cannot have people added"):
                participant_add(acting_user=cast.officer, meeting=meeting, spec=ADVOCATE)
            bea = meeting.participants.get(name="Bea Daughter")
            with pytest.raises(ApplicationError, match=f"that is {state} cannot have people removed"):
                participant_remove(acting_user=cast.officer, meeting=meeting, participant=bea, reason="x")
            assert meeting.participants.count() == 3


# -- The pages ---------------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_adding_and_removing_from_the_meeting_page(cast: Cast, as_user: Any) -> None:
    meeting = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    client = as_user(cast.officer)
    detail = reverse("meetings:detail", args=[meeting.pk])
    page = client.get(detail).content.decode()
    assert reverse("meetings:participant_add", args=[meeting.pk]) in page and "Add someone" in page
    response = client.post(
        reverse("meetings:participant_add", args=[meeting.pk]),
        {"add-kind": "staff", "add-user": cast.investigator.pk},
    )
    assert response.status_code == 302 and response["Location"] == detail
    added = meeting.participants.get(user=cast.investigator)
    assert added.name == cast.investigator.full_name and added.email == cast.investigator.email
    assert f"<td>{cast.investigator.full_name}</td>" in client.get(detail).content.decode()

    remove = reverse("meetings:participant_remove", args=[meeting.pk, added.pk])
    assert remove in client.get(detail).content.decode()
    confirm = client.get(remove)
    assert confirm.status_code == 200 and f"Remove {added.name}" in confirm.content.decode()
    assert AuditEvent.objects.filter(
        action="view", object_id=str(meeting.pk), details__page="meeting-participant-remove"
    ).exists()
    response = client.post(remove, {"reason": "Not on duty that day"})
    assert response.status_code == 302
    assert not meeting.participants.filter(pk=added.pk).exists()
    assert f"<td>{cast.investigator.full_name}</td>" not in client.get(detail).content.decode()
    meeting.refresh_from_db()
    assert meeting.sequence == 2
    assert AuditEvent.objects.filter(action="meeting.participant_remove", object_id=str(meeting.pk)).exists()


@pytest.mark.parametrize("who", ["investigator", "executive", "auditor", "outsider"])
@time_machine.travel(NOW, tick=False)
def test_others_get_no_participant_pages(cast: Cast, as_user: Any, who: str) -> None:
    meeting = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    bea = meeting.participants.get(name="Bea Daughter")
    client = as_user(getattr(cast, who))
    add, remove = (
        reverse("meetings:participant_add", args=[meeting.pk]),
        reverse("meetings:participant_remove", args=[meeting.pk, bea.pk]),
    )
    assert client.get(add).status_code == 404 and client.get(remove).status_code == 404
    assert client.post(add, {"add-kind": "advocate", "add-name": "Eve"}).status_code == 404
    assert client.post(remove, {"reason": "x"}).status_code == 404
    meeting.refresh_from_db()
    assert meeting.participants.count() == 3 and meeting.sequence == 0


@time_machine.travel(NOW, tick=False)
def test_hostile_values_give_form_errors(cast: Cast, as_user: Any) -> None:
    meeting = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    other = schedule(cast, open_case(cast), london(2026, 3, 31, 10), london(2026, 3, 31, 11)).meeting
    client = as_user(cast.officer)
    add = reverse("meetings:participant_add", args=[meeting.pk])
    for data, error in [
        ({"add-kind": "wizard", "add-name": "Eve"}, "Select a valid choice"),
        ({"add-kind": "advocate", "add-name": "Eve", "add-email": "not-an-address"}, "Enter a valid email"),
        ({"add-kind": "advocate", "add-name": "x" * 100_000}, "at most 200 characters"),
        ({"add-kind": "advocate", "add-name": "Eve\x00"}, "Null characters are not allowed"),
        ({"add-kind": "staff", "add-user": "99999999999999999999"}, "Select a valid choice"),
        ({"add-kind": "staff", "add-user": cast.outsider.pk}, "Select a valid choice"),
        ({"add-kind": "interpreter", "add-name": "Ida"}, "Say which language"),
        ({"add-kind": "family", "add-name": "Bea", "add-email": "BEA@family.example"}, "already taking part"),
        ({}, "This field is required"),
    ]:
        response = client.post(add, data)
        assert response.status_code == 400, data
        assert error in response.content.decode(), data
    remove_bea = reverse(
        "meetings:participant_remove", args=[meeting.pk, meeting.participants.get(name="Bea Daughter").pk]
    )
    for data in [{}, {"reason": "   "}, {"reason": "x" * 100_000}, {"reason": "a\x00b"}]:
        assert client.post(remove_bea, data).status_code == 400
    elsewhere = other.participants.first()
    assert elsewhere is not None
    assert (
        client.post(
            reverse("meetings:participant_remove", args=[meeting.pk, elsewhere.pk]), {"reason": "x"}
        ).status_code
        == 404
    )
    assert client.get(reverse("meetings:participant_remove", args=[meeting.pk, 10**12])).status_code == 404
    meeting.refresh_from_db()
    assert meeting.participants.count() == 3 and meeting.sequence == 0
    assert other.participants.count() == 3


@time_machine.travel(NOW, tick=False)
def test_the_pages_send_a_cancelled_meeting_back_to_its_page(cast: Cast, as_user: Any) -> None:
    meeting = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    meeting_cancel(acting_user=cast.officer, meeting=meeting, reason="Family unwell")
    bea = meeting.participants.get(name="Bea Daughter")
    client = as_user(cast.officer)
    detail = reverse("meetings:detail", args=[meeting.pk])
    for url in [
        reverse("meetings:participant_add", args=[meeting.pk]),
        reverse("meetings:participant_remove", args=[meeting.pk, bea.pk]),
    ]:
        assert client.get(url)["Location"] == detail
        assert client.post(url, {"add-kind": "advocate", "add-name": "Eve", "reason": "x"})["Location"] == detail
    page = client.get(detail).content.decode()
    assert "Add someone" not in page and "/remove/" not in page
    assert meeting.participants.count() == 3
