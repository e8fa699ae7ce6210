"""Invitations and cancellations as calendar programs read them: parsed back with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine
from icalendar import Calendar

from conftest import Cast
from liaison.meetings.calendar import build_ics
from liaison.meetings.services import meeting_cancel, meeting_update
from liaison.meetings.tests.helpers import london, open_case, schedule


def _event(ics: bytes) -> tuple[str, Any]:
    calendar = Calendar.from_ical(ics)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return str(calendar["METHOD"]), events[0]


@time_machine.travel(datetime(2026, 3, 20, 9, tzinfo=UTC), tick=False)
def test_times_are_right_in_utc_either_side_of_the_clocks_going_forward(cast: Cast) -> None:
    case = open_case(cast)
    before = schedule(cast, case, london(2026, 3, 27, 10), london(2026, 3, 27, 11)).meeting  # GMT
    after = schedule(cast, case, london(2026, 3, 30, 10), london(2026, 3, 30, 11, 30)).meeting  # BST
    _, event = _event(build_ics(before, "REQUEST"))
    assert event.decoded("dtstart") == datetime(2026, 3, 27, 10, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 3, 27, 11, tzinfo=UTC)
    _, event = _event(build_ics(after, "REQUEST"))
    assert event.decoded("dtstart") == datetime(2026, 3, 30, 9, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 3, 30, 10, 30, tzinfo=UTC)


@time_machine.travel(datetime(2026, 3, 20, 9, tzinfo=UTC), tick=False)
def test_updates_keep_the_uid_raise_the_sequence_and_cancelling_sends_cancel(cast: Cast) -> None:
    case = open_case(cast)
    meeting = schedule(cast, case, london(2026, 3, 30, 10), london(2026, 3, 30, 11)).meeting
    method, first = _event(build_ics(meeting, "REQUEST"))
    assert method == "REQUEST" and first["SEQUENCE"] == 0
    assert str(first["UID"]).endswith("@" + "testserver") or "@" in str(first["UID"])
    attendees = {str(a).lower(): a.params for a in first["ATTENDEE"]}
    assert set(attendees) == {"mailto:manager@rgh.example", "mailto:bea@family.example"}
    assert attendees["mailto:manager@rgh.example"]["PARTSTAT"] == "NEEDS-ACTION"
    assert attendees["mailto:manager@rgh.example"]["RSVP"] == "TRUE"
    assert str(first["ORGANIZER"]).lower() == "mailto:officer@rgh.example"
    assert str(first["LOCATION"]) == "Quiet room, Ward 7"
    assert "Testpatient" not in str(first["DESCRIPTION"]) and "Call bell" not in str(first["DESCRIPTION"])

    meeting_update(
        acting_user=cast.officer, meeting=meeting, starts_at=london(2026, 3, 31, 14), ends_at=london(2026, 3, 31, 15)
    )
    method, second = _event(build_ics(meeting, "REQUEST"))
    assert method == "REQUEST" and str(second["UID"]) == str(first["UID"]) and second["SEQUENCE"] == 1
    assert second.decoded("dtstart") == datetime(2026, 3, 31, 13, tzinfo=UTC)

    meeting_cancel(acting_user=cast.officer, meeting=meeting, reason="The family asked to wait")
    method, third = _event(build_ics(meeting, "CANCEL"))
    assert method == "CANCEL" and str(third["UID"]) == str(first["UID"]) and third["SEQUENCE"] == 2
    assert str(third["STATUS"]) == "CANCELLED"
