"""Arranging, changing and recording a meeting through its pages: site-local times, invitations by real SMTP,
double-booking warnings, the outcome's improvement actions, form errors for hostile input, and who may not."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.improvement.models import ImprovementAction
from liaison.meetings.models import Meeting, MeetingStatus, Participant
from liaison.meetings.tests.helpers import london, open_case, schedule
from liaison.org.services import staff_member_create

NOW = datetime(2026, 3, 20, 9, tzinfo=UTC)


def _form(**values: str) -> dict[str, str]:
    data = {
        "kind": "mediation",
        "day": "2026-03-30",
        "start": "10:00",
        "end": "11:30",
        "place": "Quiet room, Ward 7",
        "video_link": "",
        "agenda": "Listen to the family",
        "access_needs": "Hearing loop",
    }
    data.update(values)
    return data


def _rows(*rows: dict[str, Any]) -> dict[str, str]:
    data: dict[str, str] = {}
    for i, row in enumerate(rows):
        for name, value in row.items():
            data[f"p{i}-{name}"] = str(value)
    return data


def _sequence(message: Any) -> int:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar" and not p.get_filename())
    return int(str(Calendar.from_ical(part.get_content()).walk("VEVENT")[0]["SEQUENCE"]))


@time_machine.travel(NOW, tick=False)
def test_arranging_a_meeting_through_the_page_stores_utc_times_and_sends_invitations(
    cast: Cast, as_user: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = open_case(cast)
    porter = staff_member_create(acting_user=None, site=cast.rgh, full_name="Pat Porter", staff_group="administrative")
    client = as_user(cast.officer)
    assert client.get(reverse("meetings:schedule", args=[case.reference])).status_code == 200
    data = _form() | _rows(
        {"kind": "staff", "user": cast.manager.pk},
        {"kind": "staff", "staff_member": porter.pk, "email": "pat.porter@rgh.example"},
        {"kind": "family", "name": "Bea Daughter", "email": "bea@family.example"},
        {"kind": "interpreter", "name": "Ivan Interpreter", "language": "Polish"},
        {"kind": "advocate", "name": "Al Advocate"},
        {},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("meetings:schedule", args=[case.reference]), data)
    meeting = Meeting.objects.get(case=case)
    assert response.status_code == 302 and response["Location"] == reverse("meetings:detail", args=[meeting.pk])
    # 30 March is after the clocks went forward on 29 March: 10:00 in London is 09:00 UTC.
    assert meeting.starts_at == datetime(2026, 3, 30, 9, tzinfo=UTC)
    assert meeting.ends_at == datetime(2026, 3, 30, 10, 30, tzinfo=UTC)
    assert (meeting.kind, meeting.place, meeting.access_needs, meeting.organiser) == (
        "mediation",
        "Quiet room, Ward 7",
        "Hearing loop",
        cast.officer,
    )
    people = {(p.kind, p.name, p.email, p.language) for p in meeting.participants.all()}
    assert people == {
        ("staff", "Mona Manager", "manager@rgh.example", ""),
        ("staff", "Pat Porter", "pat.porter@rgh.example", ""),
        ("family", "Bea Daughter", "bea@family.example", ""),
        ("interpreter", "Ivan Interpreter", "", "Polish"),
        ("advocate", "Al Advocate", "", ""),
    }
    assert Participant.objects.get(meeting=meeting, name="Mona Manager").user == cast.manager
    assert Participant.objects.get(meeting=meeting, name="Pat Porter").staff_member == porter
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "bea@family.example",
        "manager@rgh.example",
        "pat.porter@rgh.example",
    ]
    body = smtp_server.to("bea@family.example")[0].get_body(("plain",)).get_content()
    assert "Monday 30 March 2026, 10:00 to 11:30" in body
    assert AuditEvent.objects.filter(action="meeting.schedule", object_id=str(meeting.pk)).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Monday 30 March 2026, 10:00 to 11:30" in page and "Al Advocate" in page


@time_machine.travel(NOW, tick=False)
def test_a_time_before_the_clocks_change_is_stored_at_london_winter_time(cast: Cast, as_user: Any) -> None:
    case = open_case(cast)
    data = _form(day="2026-03-27", start="10:00", end="11:00") | _rows({"kind": "staff", "user": cast.manager.pk})
    as_user(cast.officer).post(reverse("meetings:schedule", args=[case.reference]), data)
    assert Meeting.objects.get(case=case).starts_at == datetime(2026, 3, 27, 10, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_a_clash_shows_the_double_booking_warning_on_the_next_page(cast: Cast, as_user: Any) -> None:
    case = open_case(cast)
    schedule(cast, case, london(2026, 3, 30, 10), london(2026, 3, 30, 11))
    client = as_user(cast.officer)
    data = _form(start="10:30", end="12:00") | _rows({"kind": "staff", "user": cast.manager.pk})
    response = client.post(reverse("meetings:schedule", args=[case.reference]), data, follow=True)
    assert response.status_code == 200
    assert Meeting.objects.filter(case=case).count() == 2
    html = response.content.decode()
    assert "Mona Manager is already booked into another meeting on Monday 30 March 2026, 10:00 to 11:00." in html


@time_machine.travel(NOW, tick=False)
def test_changing_a_meeting_raises_its_sequence_and_sends_the_update(
    cast: Cast, as_user: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    meeting = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    other = schedule(cast, open_case(cast), london(2026, 4, 2, 14), london(2026, 4, 2, 15)).meeting
    client = as_user(cast.officer)
    page = client.get(reverse("meetings:edit", args=[meeting.pk])).content.decode()
    assert 'value="2026-03-30"' in page and 'value="10:00"' in page
    data = _form(day="2026-04-02", start="14:30", end="15:30", place="Room 3", agenda="New agenda")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("meetings:edit", args=[meeting.pk]), data, follow=True)
    meeting.refresh_from_db()
    assert meeting.sequence == 1 and other.sequence == 0
    assert (meeting.starts_at, meeting.place, meeting.agenda) == (
        datetime(2026, 4, 2, 13, 30, tzinfo=UTC),
        "Room 3",
        "New agenda",
    )
    updates = smtp_server.to("bea@family.example")
    assert len(updates) == 1 and _sequence(updates[0]) == 1
    assert "Thursday 2 April 2026, 14:30 to 15:30" in updates[0].get_body(("plain",)).get_content()
    html = response.content.decode()
    assert "Mona Manager is already booked into another meeting on Thursday 2 April 2026, 14:00 to 15:00." in html
    assert AuditEvent.objects.filter(action="meeting.update", object_id=str(meeting.pk)).exists()


@time_machine.travel(NOW, tick=False)
def test_recording_the_outcome_through_the_page_creates_the_actions_and_marks_it_held(cast: Cast, as_user: Any) -> None:
    meeting = schedule(cast, open_case(cast), london(2026, 3, 19, 10), london(2026, 3, 19, 11)).meeting
    manager, bea, _ivan = meeting.participants.order_by("pk")
    client = as_user(cast.officer)
    page = client.get(reverse("meetings:outcome", args=[meeting.pk])).content.decode()
    assert "Bea Daughter" in page and "Eve Executive" in page  # executives may own improvement actions
    data = {
        "attended": [str(manager.pk), str(bea.pk)],
        "notes": "We talked it through.",
        "points_agreed": "A call before discharge.",
        "a0-what": "Add the call to the discharge checklist",
        "a0-owner": str(cast.manager.pk),
        "a0-due_date": "2026-04-30",
        "a1-what": "Share the learning at the ward meeting",
        "a1-owner": str(cast.investigator.pk),
        "a1-due_date": "2026-04-15",
    }
    response = client.post(reverse("meetings:outcome", args=[meeting.pk]), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and meeting.points_agreed == "A call before discharge."
    assert {p.name: p.attended for p in meeting.participants.all()} == {
        "Mona Manager": True,
        "Bea Daughter": True,
        "Ivan Interpreter": False,
    }
    actions = ImprovementAction.objects.filter(case=meeting.case).order_by("due_date")
    assert [(a.what, a.owner, a.due_date) for a in actions] == [
        ("Share the learning at the ward meeting", cast.investigator, date(2026, 4, 15)),
        ("Add the call to the discharge checklist", cast.manager, date(2026, 4, 30)),
    ]
    detail = client.get(response["Location"]).content.decode()
    assert "Draft the outcome letter" in detail and "We talked it through." in detail
    assert client.get(reverse("meetings:outcome", args=[meeting.pk])).status_code == 302


@time_machine.travel(NOW, tick=False)
def test_the_meeting_page_links_to_change_and_to_record_once_started(cast: Cast, as_user: Any) -> None:
    coming = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    past = schedule(cast, open_case(cast), london(2026, 3, 19, 10), london(2026, 3, 19, 11)).meeting
    client = as_user(cast.officer)
    coming_page = client.get(reverse("meetings:detail", args=[coming.pk])).content.decode()
    assert reverse("meetings:edit", args=[coming.pk]) in coming_page
    assert reverse("meetings:outcome", args=[coming.pk]) not in coming_page
    assert (
        reverse("meetings:outcome", args=[past.pk])
        in client.get(reverse("meetings:detail", args=[past.pk])).content.decode()
    )


HOSTILE_SCHEDULE = [
    ({"day": "2026-02-31"}, "day", "Enter a valid date."),
    ({"day": "31/13/2026"}, "day", "Enter a valid date."),
    ({"day": "99999-01-01"}, "day", "Enter a valid date."),
    ({"day": "2031-01-01"}, "day", "Choose a date within the next two years."),
    ({"day": "2026-03-19"}, "day", "That date has passed"),
    ({"day": "2026-03-20", "start": "08:00", "end": "08:30"}, "start", "That time has passed"),
    ({"start": "11:00", "end": "10:00"}, "end", "The meeting must end after it starts."),
    ({"start": "10:00", "end": "10:00"}, "end", "The meeting must end after it starts."),
    ({"day": "2026-03-29", "start": "01:30", "end": "03:00"}, "start", "clocks go forward"),
    ({"start": "25:61"}, "start", "Enter a valid time."),
    ({"place": "x" * 10_000}, "place", "at most 300 characters"),
    ({"agenda": "x" * 10_000}, "agenda", "at most 5000 characters"),
    ({"place": "", "video_link": ""}, "place", "Say where the meeting is, or give the video link."),
    ({"video_link": "not a link at all"}, "video_link", "Enter a valid URL."),
    ({"kind": "tea_party"}, "kind", "Select a valid choice."),
    ({"p0-user": "999999"}, "p0-user", "Select a valid choice."),
    ({"p0-user": "99999999999999999999"}, "p0-user", "Select a valid choice."),
    ({"p0-kind": "family", "p0-user": ""}, "p0-name", "Give the participant's name."),
    ({"p0-kind": "interpreter", "p0-user": "", "p0-name": "Ivan"}, "p0-language", "Say which language"),
    ({"p0-kind": "", "p0-user": ""}, None, "Add at least one participant."),
    ({"p1-name": "Someone"}, "p1-kind", "Say who this participant is, or clear the row."),
    ({"p1-kind": "family", "p1-name": "x" * 10_000}, "p1-name", "at most 200 characters"),
    ({"p1-kind": "family", "p1-name": "Bea", "p1-email": "not-an-email"}, "p1-email", "Enter a valid email address."),
]


@pytest.mark.parametrize(("values", "field", "message"), HOSTILE_SCHEDULE)
@time_machine.travel(NOW, tick=False)
def test_hostile_values_on_the_schedule_page_give_form_errors(
    cast: Cast, as_user: Any, values: dict[str, str], field: str | None, message: str
) -> None:
    case = open_case(cast)
    data = _form() | _rows({"kind": "staff", "user": cast.manager.pk})
    data.update(values)
    response = as_user(cast.officer).post(reverse("meetings:schedule", args=[case.reference]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html.replace("&#x27;", "'")
    if field is not None:
        assert f'href="#id_{field}"' in html
    assert not Meeting.objects.filter(case=case).exists()


@time_machine.travel(NOW, tick=False)
def test_staff_from_another_site_cannot_be_chosen(cast: Cast, as_user: Any) -> None:
    case = open_case(cast)
    data = _form() | _rows({"kind": "staff", "user": cast.outsider.pk})
    response = as_user(cast.officer).post(reverse("meetings:schedule", args=[case.reference]), data)
    assert response.status_code == 400 and 'href="#id_p0-user"' in response.content.decode()
    assert not Meeting.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_hostile_values_on_the_edit_and_outcome_pages_give_form_errors(cast: Cast, as_user: Any) -> None:
    coming = schedule(cast, open_case(cast), london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    past = schedule(cast, open_case(cast), london(2026, 3, 19, 10), london(2026, 3, 19, 11)).meeting
    client = as_user(cast.officer)
    bad_edit = client.post(reverse("meetings:edit", args=[coming.pk]), _form(start="12:00", end="11:00"))
    assert bad_edit.status_code == 400 and "The meeting must end after it starts." in bad_edit.content.decode()
    coming.refresh_from_db()
    assert coming.sequence == 0 and coming.starts_at == datetime(2026, 3, 30, 9, tzinfo=UTC)
    outcome = reverse("meetings:outcome", args=[past.pk])
    for data, message in [
        ({"notes": ""}, "This field is required."),
        ({"notes": "x" * 10_000}, "at most 8000 characters"),
        ({"notes": "ok", "attended": ["999999"]}, "Select a valid choice."),
        ({"notes": "ok", "attended": ["abc"]}, "Select a valid choice."),
        ({"notes": "ok", "a0-what": "Do it", "a0-owner": "999999", "a0-due_date": "2026-04-01"}, "Select a valid"),
        ({"notes": "ok", "a0-what": "Do it", "a0-owner": str(cast.auditor.pk), "a0-due_date": "2026-04-01"}, "Select"),
        (
            {"notes": "ok", "a0-what": "Do it", "a0-owner": str(cast.manager.pk), "a0-due_date": "2026-02-31"},
            "valid date",
        ),
        ({"notes": "ok", "a0-what": "Do it", "a0-owner": str(cast.manager.pk), "a0-due_date": "2026-03-01"}, "before"),
        ({"notes": "ok", "a0-what": "Do it"}, "Choose who owns the action."),
        (
            {"notes": "ok", "a0-what": "x" * 10_000, "a0-owner": str(cast.manager.pk), "a0-due_date": "2026-04-01"},
            "300",
        ),
    ]:
        response = client.post(outcome, data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), message
    past.refresh_from_db()
    assert past.status == MeetingStatus.SCHEDULED and not ImprovementAction.objects.exists()
    too_early = client.post(reverse("meetings:outcome", args=[coming.pk]), {"notes": "Early"})
    assert too_early.status_code == 400 and "has not started yet" in too_early.content.decode()


@pytest.mark.parametrize("who", ["investigator", "executive", "auditor", "outsider"])
@time_machine.travel(NOW, tick=False)
def test_others_cannot_arrange_change_or_record_meetings(cast: Cast, as_user: Any, who: str) -> None:
    case = open_case(cast)
    meeting = schedule(cast, case, london(2026, 3, 19, 10), london(2026, 3, 19, 11)).meeting
    client = as_user(getattr(cast, who))
    data = _form() | _rows({"kind": "staff", "user": cast.manager.pk})
    assert client.get(reverse("meetings:schedule", args=[case.reference])).status_code == 404
    assert client.post(reverse("meetings:schedule", args=[case.reference]), data).status_code == 404
    assert client.get(reverse("meetings:edit", args=[meeting.pk])).status_code == 404
    assert client.post(reverse("meetings:edit", args=[meeting.pk]), _form(place="Elsewhere")).status_code == 404
    assert client.get(reverse("meetings:outcome", args=[meeting.pk])).status_code == 404
    assert client.post(reverse("meetings:outcome", args=[meeting.pk]), {"notes": "x"}).status_code == 404
    assert Meeting.objects.filter(case=case).count() == 1
    meeting.refresh_from_db()
    assert (meeting.status, meeting.place, meeting.sequence) == (MeetingStatus.SCHEDULED, "Quiet room, Ward 7", 0)
