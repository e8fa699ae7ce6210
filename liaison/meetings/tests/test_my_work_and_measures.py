"""A meeting waits on its staff's My work, and held meetings count on the office's dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import time_machine
from django.test import Client

from conftest import Cast
from liaison.accounts.models import User
from liaison.cases import services as case_services
from liaison.insights import dashboard as board
from liaison.insights.measures import Period
from liaison.meetings.services import meeting_record_outcome
from liaison.meetings.tests.helpers import london, open_case, schedule


def test_a_scheduled_meeting_is_on_the_my_work_of_its_organiser_and_staff(
    cast: Cast, as_user: Callable[[User], Client], smtp_server: object
) -> None:
    with time_machine.travel(london(2026, 3, 20, 9), tick=False):
        case = open_case(cast)
        schedule(cast, case, london(2026, 3, 27, 10), london(2026, 3, 27, 11))
        for user in (cast.officer, cast.manager):  # the organiser and the staff participant
            page = as_user(user).get("/").content.decode()
            assert "Meetings in the next two weeks" in page and case.reference in page and "10:00" in page
        assert "Meetings in the next two weeks" not in as_user(cast.investigator).get("/").content.decode()


def test_meetings_held_and_cases_resolved_after_one_count_on_the_dashboard(
    cast: Cast, as_user: Callable[[User], Client], smtp_server: object
) -> None:
    with time_machine.travel(london(2026, 3, 2, 9), tick=False):
        resolved, open_still = open_case(cast), open_case(cast)
        first = schedule(cast, resolved, london(2026, 3, 10, 10), london(2026, 3, 10, 11)).meeting
        second = schedule(cast, open_still, london(2026, 3, 11, 10), london(2026, 3, 11, 11)).meeting
    with time_machine.travel(london(2026, 3, 12, 9), tick=False):
        for meeting in (first, second):
            meeting_record_outcome(
                acting_user=cast.officer, meeting=meeting, attended=[], notes="We talked.", points_agreed="", actions=[]
            )
    with time_machine.travel(london(2026, 3, 20, 9), tick=False):
        case_services.case_acknowledge(acting_user=cast.officer, case=resolved)
        case_services.case_record_response(acting_user=cast.officer, case=resolved)
        case_services.case_close(acting_user=cast.officer, case=resolved)
        march = board.Filters(sites=[cast.rgh], period=Period.month(2026, 3))
        data = board.build(march)
        # Two meetings held in March; one of their cases closed in March.
        assert (data.meetings_held, data.resolved_by_meeting) == (2, 1)
        listed = as_user(cast.manager).get(data.resolved_by_meeting_href).content.decode()
        assert resolved.reference in listed and open_still.reference not in listed
        april = board.build(
            board.Filters(
                sites=[cast.rgh],
                period=Period(march.period.end + timedelta(days=1), march.period.end + timedelta(days=30)),
            )
        )
        assert (april.meetings_held, april.resolved_by_meeting) == (0, 0)


def test_the_worklist_keeps_the_cases_with_a_meeting_in_the_next_two_weeks(
    cast: Cast, as_user: Callable[[User], Client], smtp_server: object
) -> None:
    with time_machine.travel(london(2026, 3, 2, 9), tick=False):
        soon, later, none = open_case(cast), open_case(cast), open_case(cast)
        schedule(cast, soon, london(2026, 3, 10, 10), london(2026, 3, 10, 11))
        schedule(cast, later, london(2026, 4, 20, 10), london(2026, 4, 20, 11))
        page = as_user(cast.officer).get("/cases/", {"view": "site", "with": "meeting_soon"}).content.decode()
    assert "A meeting in the next two weeks" in page
    assert soon.reference in page and later.reference not in page and none.reference not in page
