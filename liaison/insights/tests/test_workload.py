"""The managers' workload page: open cases per owner by age and due state, the list behind every number, and
bulk reassignment through the case assignment service.

All at NOW, Wednesday 10 June 2026, 12:00 in London (British Summer Time, UTC+1). Riverside (RGH) is English:
no bank holiday falls between 25 May and 31 August 2026. Age bands from today (day 0):
0–7 days = received on or after Wednesday 3 June; 8–30 = 11 May to 2 June; 31–90 = 12 March to 10 May;
over 90 = before 12 March. Due soon = deadline from now to the end of Friday 12 June (two working days).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import PASSWORD, Cast
from liaison.accounts.models import User
from liaison.accounts.services import user_create, user_set_roles
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case, TimelineEvent, TimelineKind
from liaison.cases.selectors import DueState, due_state
from liaison.cases.services import case_open, case_set_restriction, case_withdraw
from liaison.insights.workload import NOT_FOUND, Pick, cases_reassign, workload, workload_cases
from liaison.lib.errors import ApplicationError

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 6, 10, 12, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class World:
    cast: Cast
    second: User  # a second officer at Riverside
    cases: dict[str, Case]


def _open(cast: Cast, received: datetime, owner: User | None, **extra: Any) -> Case:
    return case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="phone",
        received_at=received,
        owner=owner,
        patient_name="Ada Testpatient",
        **extra,
    )


@pytest.fixture
def world(cast: Cast) -> World:
    second = user_create(
        acting_user=None,
        email="second@rgh.example",
        full_name="Otis Second",
        password=PASSWORD,
        roles=["officer"],
        sites=[cast.rgh],
    )
    o, s = cast.officer, second
    cases = {
        # Received today: acknowledgement due in three working days, Monday 15 June: on track.
        "today": _open(cast, datetime(2026, 6, 10, 9, 0, tzinfo=LONDON), o),
        # 00:30 on 3 June in London is 23:30 on 2 June in UTC: 7 days old here, not 8.
        "seven_days": _open(cast, datetime(2026, 6, 3, 0, 30, tzinfo=LONDON), o),
        # 23:30 on 2 June in London: 8 days old.
        "eight_days": _open(cast, datetime(2026, 6, 2, 23, 30, tzinfo=LONDON), o),
        # Received Tuesday 9 June: acknowledgement due Friday 12 June: due soon.
        "due_soon": _open(cast, datetime(2026, 6, 9, 10, 0, tzinfo=LONDON), None),
        "seventy_days": _open(cast, datetime(2026, 4, 1, 10, 0, tzinfo=LONDON), s),
        "ninety_days": _open(cast, datetime(2026, 3, 12, 0, 5, tzinfo=LONDON), s),
        "ninety_one_days": _open(cast, datetime(2026, 3, 11, 23, 55, tzinfo=LONDON), s),
        # Not counted: closed, at another site, or restricted to people other than the manager.
        "withdrawn": _open(cast, datetime(2026, 6, 1, 10, 0, tzinfo=LONDON), o),
        "restricted": _open(cast, datetime(2026, 6, 1, 10, 0, tzinfo=LONDON), o),
        "elsewhere": case_open(
            acting_user=cast.outsider, site=cast.hpm, case_type="complaint", channel="phone", owner=cast.outsider
        ),
    }
    case_withdraw(acting_user=o, case=cases["withdrawn"], reason="Resolved by phone")
    case_set_restriction(
        acting_user=o, case=cases["restricted"], restricted=True, reason="staff_as_patient", users=[second]
    )
    return World(cast, second, cases)


def _references(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/cases/[^"]+">([^<]+)</a>', html)


def _row(html: str, name: str) -> list[str]:
    """The cells of the workload table's row for ``name``: the numbers as printed."""
    found = re.search(r"<th scope=\"row\">" + re.escape(name) + r".*?</th>(.*?)</tr>", html, re.S)
    assert found, f"no row for {name}"
    return re.findall(r"<td>(?:<a href=\"[^\"]*\">)?(\d+)(?:</a>)?</td>", found.group(1))


# -- Counting -------------------------------------------------------------------------------------------------


def test_it_counts_open_cases_per_owner_by_age_and_due_state(world: World) -> None:
    cast, c = world.cast, world.cases
    rows = {row.name: row for row in workload(user=cast.manager, site=cast.rgh)}
    assert list(rows) == ["Mona Manager", "Olive Officer", "Otis Second", "Unassigned"]
    officer, second, unassigned = rows["Olive Officer"], rows["Otis Second"], rows["Unassigned"]
    # Worked out by hand from the received times above; the withdrawn, restricted and HPM cases are not counted.
    assert officer.total == 3
    assert officer.ages == {"0-7": 2, "8-30": 1, "31-90": 0, "over-90": 0}
    assert second.ages == {"0-7": 0, "8-30": 0, "31-90": 2, "over-90": 1}
    assert unassigned.ages == {"0-7": 1, "8-30": 0, "31-90": 0, "over-90": 0}
    assert rows["Mona Manager"].total == 0
    assert unassigned.due[DueState.DUE_SOON] == 1
    assert due_state(c["today"], NOW) == DueState.ON_TRACK
    assert officer.due[DueState.ON_TRACK] >= 1
    # Every due-state count agrees with the worklist's own due_state, case by case.
    for name, owner in (("Olive Officer", cast.officer), ("Otis Second", world.second), ("Unassigned", None)):
        states = [
            due_state(case, NOW)
            for case in Case.objects.filter(site=cast.rgh, owner=owner, restricted=False)
            .exclude(status="withdrawn")
            .select_related("site")
        ]
        assert rows[name].due == {state: states.count(state) for state in rows[name].due}, name
        assert sum(rows[name].due.values()) == rows[name].total == sum(rows[name].ages.values())


def test_every_number_links_to_exactly_the_cases_it_counts(world: World, as_user: Any) -> None:
    cast, c = world.cast, world.cases
    client = as_user(cast.manager)
    page = client.get(reverse("insights:workload"))
    assert page.status_code == 200
    html = page.content.decode()
    # Columns: total, the four age bands, then overdue, due soon, on track, no deadline.
    assert _row(html, "Otis Second")[:5] == ["3", "0", "0", "2", "1"]
    links = re.findall(r'<td><a href="([^"]+)">(\d+)</a></td>', html)
    assert links, "no number links to its cases"
    for url, count in links:
        listed = client.get(url.replace("&amp;", "&"))
        assert listed.status_code == 200
        assert len(_references(listed.content.decode())) == int(count), url
    # One list by hand: the second officer's cases over 90 days old.
    over_90 = client.get(
        reverse("insights:workload-cases"), {"site": "RGH", "owner": world.second.pk, "age": "over-90"}
    )
    assert _references(over_90.content.decode()) == [c["ninety_one_days"].reference]
    listed_all = client.get(reverse("insights:workload-cases"), {"site": "RGH"}).content.decode()
    assert c["restricted"].reference not in listed_all and c["elsewhere"].reference not in listed_all
    assert "Ada Testpatient" not in listed_all  # the list needs no patient identity
    audit = AuditEvent.objects.filter(action="case.list_view", actor=cast.manager).order_by("-id").first()
    assert audit is not None and audit.details["view"] == "workload" and len(audit.details["cases"]) == 7
    assert AuditEvent.objects.filter(action="insights.workload_view", actor=cast.manager, site=cast.rgh).exists()


def test_the_page_takes_the_same_few_queries_for_many_cases_and_officers(
    world: World, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    cast = world.cast
    client = as_user(cast.manager)
    workload_url, list_url = reverse("insights:workload"), f"{reverse('insights:workload-cases')}?site=RGH"
    client.get(workload_url)  # the session settles
    with CaptureQueriesContext(connection) as page_queries:
        assert client.get(workload_url).status_code == 200
    with CaptureQueriesContext(connection) as list_queries:
        assert client.get(list_url).status_code == 200
    for n in range(6):
        person = user_create(
            acting_user=None,
            email=f"extra{n}@rgh.example",
            full_name=f"Extra Officer {n}",
            password=PASSWORD,
            roles=["officer"],
            sites=[cast.rgh],
        )
        for day in (1, 15, 28):
            _open(cast, datetime(2026, 5, day, 10, 0, tzinfo=LONDON), person)
    # Nine officers and 25 cases instead of three and seven: not one query more.
    with django_assert_max_num_queries(len(page_queries.captured_queries)):
        page = client.get(workload_url)
    assert _row(page.content.decode(), "Extra Officer 5")[:1] == ["3"]
    with django_assert_max_num_queries(len(list_queries.captured_queries)):
        assert len(_references(client.get(list_url).content.decode())) == 25
    # Signing in, the session and the audit row take 12 of them; the page itself three (site, counts, officers).
    assert len(page_queries.captured_queries) <= 16


def test_someone_who_may_no_longer_own_cases_still_shows_with_the_cases_they_hold(world: World, as_user: Any) -> None:
    cast = world.cast
    user_set_roles(acting_user=cast.admin, user=world.second, roles=[])
    rows = {row.name: row for row in workload(user=cast.manager, site=cast.rgh)}
    assert rows["Otis Second"].total == 3 and not rows["Otis Second"].can_own
    html = as_user(cast.manager).get(reverse("insights:workload")).content.decode()
    assert "May no longer own cases here" in html


# -- Who may -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["officer", "investigator", "executive", "auditor", "admin", "outsider"])
def test_only_managers_see_the_workload(world: World, as_user: Any, who: str) -> None:
    client = as_user(getattr(world.cast, who))
    assert client.get(reverse("insights:workload")).status_code == 404
    assert client.get(reverse("insights:workload-cases"), {"site": "RGH"}).status_code == 404


def test_a_manager_sees_no_workload_of_a_site_they_do_not_oversee(world: World, as_user: Any) -> None:
    client = as_user(world.cast.manager)
    assert client.get(reverse("insights:workload"), {"site": "HPM"}).status_code == 404
    assert client.get(reverse("insights:workload-cases"), {"site": "HPM"}).status_code == 404
    assert client.get(reverse("insights:workload-cases"), {"site": "RGH", "owner": "x"}).status_code == 404


def test_an_officer_cannot_reassign_cases_in_bulk(world: World, as_user: Any) -> None:
    cast, case = world.cast, world.cases["today"]
    response = as_user(cast.officer).post(
        f"{reverse('insights:workload-cases')}?site=RGH",
        {"case": [f"{case.pk}:{cast.officer.pk}"], "new_owner": world.second.pk},
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.owner == cast.officer
    with pytest.raises(ApplicationError, match="You cannot reassign cases at this site"):
        cases_reassign(acting_user=cast.officer, site=cast.rgh, picks=[Pick(case.pk, cast.officer.pk)], owner=None)


# -- Bulk reassignment ---------------------------------------------------------------------------------------


def test_a_manager_moves_ticked_cases_and_hears_which_were_refused_and_why(world: World, as_user: Any) -> None:
    cast, c, second = world.cast, world.cases, world.second
    client = as_user(cast.manager)
    url = f"{reverse('insights:workload-cases')}?site=RGH&owner={cast.officer.pk}"
    page = client.get(url).content.decode()
    assert f'value="{c["today"].pk}:{cast.officer.pk}"' in page
    # While the manager looks at the list, an officer withdraws one case and someone else takes another.
    case_withdraw(acting_user=cast.officer, case=c["eight_days"], reason="Sorted out on the ward")
    response = client.post(
        url,
        {
            "case": [
                f"{c['today'].pk}:{cast.officer.pk}",
                f"{c['seven_days'].pk}:{cast.officer.pk}",
                f"{c['eight_days'].pk}:{cast.officer.pk}",
                f"{c['due_soon'].pk}:{cast.officer.pk}",  # the manager saw it as the officer's; it is unassigned
                f"{c['restricted'].pk}:{cast.officer.pk}",  # not visible to the manager
            ],
            "new_owner": second.pk,
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Moved 2 cases to Otis Second." in html
    assert "3 cases were not moved:" in html
    assert f"{c['eight_days'].reference}: It was closed after the list was shown." in html
    assert f"{c['due_soon'].reference}: Someone changed its owner after the list was shown" in html
    assert f"{NOT_FOUND}: It is not a case at this site that you may see." in html
    # Read back: owners, timeline entries and audit rows for the moved cases; nothing for the refused ones.
    for key in ("today", "seven_days"):
        case = Case.objects.get(pk=c[key].pk)
        assert case.owner == second
        entry = TimelineEvent.objects.filter(case=case, kind=TimelineKind.ASSIGNMENT).latest("pk")
        assert entry.summary == "Assigned to Otis Second" and entry.actor == cast.manager
        audit = AuditEvent.objects.filter(action="case.assign", object_id=str(case.pk)).get()
        assert audit.actor == cast.manager and audit.details == {"owner": [cast.officer.pk, second.pk]}
    assert Case.objects.get(pk=c["due_soon"].pk).owner is None
    assert Case.objects.get(pk=c["restricted"].pk).owner == cast.officer
    for key in ("eight_days", "due_soon", "restricted"):
        assert not AuditEvent.objects.filter(action="case.assign", object_id=str(c[key].pk)).exists()
    # The next page shows the new numbers: the officer's list has emptied, the second officer holds five.
    assert _references(html) == []
    rows = {row.name: row for row in workload(user=cast.manager, site=cast.rgh)}
    assert rows["Olive Officer"].total == 0 and rows["Otis Second"].total == 5


def test_cases_go_back_to_the_unassigned_queue_when_the_manager_says_nobody(world: World, as_user: Any) -> None:
    cast, case = world.cast, world.cases["seventy_days"]
    client = as_user(cast.manager)
    response = client.post(
        f"{reverse('insights:workload-cases')}?site=RGH&owner={world.second.pk}",
        {"case": [f"{case.pk}:{world.second.pk}"], "new_owner": "none"},
        follow=True,
    )
    assert "Moved 1 case back to the unassigned queue." in response.content.decode()
    case.refresh_from_db()
    assert case.owner is None
    assert TimelineEvent.objects.filter(case=case, summary="Unassigned", actor=cast.manager).exists()


def test_it_offers_only_people_who_may_own_cases_and_refuses_anyone_else(world: World, as_user: Any) -> None:
    cast, case = world.cast, world.cases["today"]
    client = as_user(cast.manager)
    url = f"{reverse('insights:workload-cases')}?site=RGH"
    page = client.get(url).content.decode()
    assert "Otis Second" in page and "Eve Executive" not in page and "Otto Outsider" not in page
    response = client.post(url, {"case": [f"{case.pk}:{cast.officer.pk}"], "new_owner": cast.executive.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    response = client.post(url, {"new_owner": world.second.pk})
    assert "Tick at least one case to move." in response.content.decode()
    case.refresh_from_db()
    assert case.owner == cast.officer
    # The service itself refuses, case by case, an owner who may not own cases at the site (case_assign's rule).
    result = cases_reassign(
        acting_user=cast.manager, site=cast.rgh, picks=[Pick(case.pk, cast.officer.pk)], owner=cast.executive
    )
    assert result.moved == []
    assert result.refused == [(case.reference, "Eve Executive does not work on cases at Riverside General Hospital.")]
    case.refresh_from_db()
    assert case.owner == cast.officer


def test_the_list_uses_the_same_conditions_as_the_numbers(world: World) -> None:
    cast = world.cast
    listed = workload_cases(user=cast.manager, site=cast.rgh, owner=str(world.second.pk), age="31-90")
    assert sorted(case.reference for case in listed) == sorted(
        world.cases[key].reference for key in ("seventy_days", "ninety_days")
    )
    due_soon = workload_cases(user=cast.manager, site=cast.rgh, due=DueState.DUE_SOON)
    assert [case.reference for case in due_soon] == [world.cases["due_soon"].reference]
