"""A mediation meeting from end to end: the officer arranges it on the case, the staff member and the family
member receive calendar invitations at a real SMTP server, the officer records the outcome and an action once
the meeting has started, and the outcome letter goes through sign-off to the complainant's mailbox.

The clock is set with time_machine (ticking, so the live server and the browser's session see it move): the
meeting is booked a few minutes ahead and the clock then moves past its start, staying inside the 15-minute
idle timeout so the officer stays signed in."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar

from conftest import make_cast
from liaison.cases.services import case_open
from liaison.correspondence.models import Letter, LetterKind, LetterStatus
from liaison.improvement.models import ImprovementAction
from liaison.lib.pdf import PDF_MISSING_REASON, pdf_available
from liaison.meetings.models import Meeting, MeetingStatus
from tests.e2e.conftest import assert_accessible, screenshot, sign_in

pytestmark = pytest.mark.skipif(not pdf_available(), reason=PDF_MISSING_REASON)

LONDON = ZoneInfo("Europe/London")
# A Wednesday morning in winter: London is on UTC, so 09:10 local is 09:10Z in the calendar file.
OPENING = datetime(2027, 1, 20, 9, 0, tzinfo=LONDON)
FAMILY_EMAIL = "rosa.meetwell@example.com"
PATIENT_EMAIL = "tom.meetwell@example.com"


def _arrived(smtp_server: Any, address: str, wait: float = 5.0) -> list[Any]:
    """The messages to ``address``; the invitations go out as the request commits, so allow a moment."""
    deadline = time.monotonic() + wait
    while not (found := smtp_server.to(address)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def _calendar_part(message: Any) -> Calendar:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    return Calendar.from_ical(part.get_content())


def test_officer_arranges_a_mediation_records_its_outcome_and_sends_the_letter(
    page: Any, new_page: Any, smtp_server: Any
) -> None:
    with time_machine.travel(OPENING, tick=True) as clock:
        cast = make_cast()
        site = cast.rgh
        site.responsible_person, site.responsible_person_title = cast.manager, "Chief Executive"
        site.complaints_contact_name, site.complaints_contact_phone = "Patient Relations Team", "01632 960400"
        site.address = "1 Weir Lane\nMillbridge"
        site.save()
        case = case_open(
            acting_user=cast.officer,
            site=site,
            case_type="complaint",
            channel="phone",
            owner=cast.officer,
            patient_name="Tom Meetwell",
            patient_email=PATIENT_EMAIL,
            patient_address="4 Quay Street\nMillbridge MB2 3CD",
            account="My father was moved wards three times in one night and nobody told the family.",
        )

        # The officer opens the case and arranges a mediation a few minutes from now.
        sign_in(page, cast.officer)
        page.goto(f"/cases/{case.reference}/")
        page.get_by_role("link", name="Arrange a meeting").click()
        page.wait_for_url(re.compile(rf"/meetings/new/{case.reference}/$"))
        assert_accessible(page, "meeting schedule")
        when = page.get_by_role("group", name="When and where")
        when.get_by_label("Kind of meeting").select_option(label="Mediation")
        when.get_by_label("Date").fill(OPENING.date().isoformat())
        when.get_by_label("Starts at").fill("09:10")
        when.get_by_label("Ends at").fill("10:10")
        when.get_by_label("Where").fill("Quiet room 2, Outpatients building")
        when.get_by_label("Agenda").fill(
            "What happened on the night of the ward moves\nHow the family is kept informed"
        )
        when.get_by_label("Access needs").fill("Step-free access")
        staff = page.get_by_role("group", name="Participant 1")
        staff.get_by_label("Taking part as").select_option(label="Member of staff")
        staff.get_by_label("Member of staff with a Liaison account").select_option(label=cast.investigator.full_name)
        family = page.get_by_role("group", name="Participant 2")
        family.get_by_label("Taking part as").select_option(label="Family member")
        family.get_by_label("Name").fill("Rosa Meetwell")
        family.get_by_label("Email").fill(FAMILY_EMAIL)
        screenshot(page, "meeting-schedule")
        page.get_by_role("button", name="Arrange the meeting and send the invitations").click()
        page.wait_for_url(re.compile(r"/meetings/\d+/$"))
        assert page.get_by_text("The meeting is arranged and the invitations are on their way.").is_visible()
        assert page.get_by_role("heading", name="Mediation", exact=True).is_visible()
        assert page.get_by_text("Wednesday 20 January 2027, 09:10 to 10:10 (Europe/London)").is_visible()
        participants = page.get_by_role("table")
        assert participants.get_by_role(
            "row", name=re.compile(f"{cast.investigator.full_name} Member of staff")
        ).is_visible()
        assert participants.get_by_role("cell", name="Rosa Meetwell", exact=True).is_visible()
        assert_accessible(page, "meeting")
        screenshot(page, "meeting-detail")

        meeting = Meeting.objects.get(case=case)
        assert (meeting.kind, meeting.status, meeting.sequence) == ("mediation", MeetingStatus.SCHEDULED, 0)
        assert meeting.starts_at == OPENING + timedelta(minutes=10)
        assert sorted(meeting.participants.values_list("name", "kind", "email")) == [
            (cast.investigator.full_name, "staff", cast.investigator.email),
            ("Rosa Meetwell", "family", FAMILY_EMAIL),
        ]

        # Both invitations reached the SMTP server, each an iCalendar REQUEST for this meeting, in UTC.
        for address in (cast.investigator.email, FAMILY_EMAIL):
            [invitation] = _arrived(smtp_server, address)
            assert case.reference in invitation["Subject"]
            [event] = _calendar_part(invitation).walk("VEVENT")
            assert str(event["UID"]) == meeting.uid
            assert event.decoded("SEQUENCE") == 0
            assert event.decoded("DTSTART") == datetime(2027, 1, 20, 9, 10, tzinfo=ZoneInfo("UTC"))
            assert event.decoded("DTEND") == datetime(2027, 1, 20, 10, 10, tzinfo=ZoneInfo("UTC"))
            found = event.get("ATTENDEE", [])
            attendees = [str(a).lower() for a in (found if isinstance(found, list) else [found])]
            assert f"mailto:{address}" in attendees
        assert not smtp_server.to(PATIENT_EMAIL)  # the patient is not a participant of this meeting

        # Before the start the page offers no outcome; once the meeting has begun it does.
        assert page.get_by_role("link", name="Record the outcome").count() == 0
        clock.move_to(OPENING + timedelta(minutes=12))
        page.reload()
        page.get_by_role("link", name="Record the outcome").click()
        page.wait_for_url(re.compile(r"/meetings/\d+/outcome/$"))
        assert_accessible(page, "meeting outcome")
        page.get_by_label(f"{cast.investigator.full_name} (member of staff)").check()
        page.get_by_label("Rosa Meetwell (family member)").check()
        page.get_by_label("Notes of the meeting").fill(
            "Dr Investigator explained the bed pressures that night; Mrs Meetwell described the calls she made."
        )
        page.get_by_label("Points agreed").fill("The ward will phone the named relative after every move.")
        action = page.get_by_role("group", name="Action 1")
        action.get_by_label("Action").fill("Add a relative-call step to the ward transfer checklist")
        action.get_by_label("Owner").select_option(label=cast.manager.full_name)
        action.get_by_label("Due by").fill(date(2027, 3, 31).isoformat())
        page.get_by_role("button", name="Record the outcome").click()
        page.wait_for_url(re.compile(r"/meetings/\d+/$"))
        assert page.get_by_text("The outcome is recorded, with 1 improvement action.").is_visible()
        assert page.get_by_text("The ward will phone the named relative after every move.").is_visible()

        meeting.refresh_from_db()
        assert meeting.status == MeetingStatus.HELD
        assert set(meeting.participants.values_list("attended", flat=True)) == {True}
        [improvement] = ImprovementAction.objects.filter(case=case)
        assert improvement.what == "Add a relative-call step to the ward transfer checklist"
        assert (improvement.owner_id, improvement.due_date) == (cast.manager.pk, date(2027, 3, 31))

        # The outcome letter, drafted from the meeting, goes to a manager for sign-off.
        page.get_by_role("button", name="Draft the outcome letter").click()
        page.wait_for_url(re.compile(r"/letters/\d+/$"))
        assert page.get_by_text("The ward will phone the named relative after every move.").is_visible()
        assert page.get_by_text("Add a relative-call step to the ward transfer checklist").is_visible()
        assert_accessible(page, "meeting outcome letter")
        page.get_by_role("button", name="Send for sign-off").click()
        assert page.get_by_text("Sent to a manager for sign-off.").is_visible()

        # The manager owns the action (it is on their My work), signs the letter and emails it.
        manager = new_page()
        sign_in(manager, cast.manager)
        assert (
            manager.get_by_role("region", name="Improvement actions you own")
            .get_by_text("Add a relative-call step to the ward transfer checklist")
            .is_visible()
        )
        manager.get_by_role("navigation", name="Main").get_by_role("link", name="Letters").click()
        manager.get_by_role("link", name=case.reference).click()
        manager.get_by_role("button", name="Sign off").click()
        assert manager.get_by_text("Signed. The PDF is stored").is_visible()
        manager.get_by_role("button", name="Email it to the complainant").click()
        assert manager.get_by_text("Emailed to the complainant").is_visible()

    [letter] = Letter.objects.filter(case=case, kind=LetterKind.MEETING_OUTCOME)
    assert letter.status == LetterStatus.SENT
    [delivered] = smtp_server.to(PATIENT_EMAIL)
    [attachment] = list(delivered.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF-")
