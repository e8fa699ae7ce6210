"""My work lists the improvement actions a person owns — a promise from a response letter among them — with the
due date and a link, and only to their owner."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from liaison.cases import services as case_services
from liaison.cases.models import Case
from liaison.improvement import services as improvement_services
from liaison.improvement.models import ImprovementAction

DUE = date(2027, 3, 31)


def open_case(cast: Cast) -> Case:
    return case_services.case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="phone",
        patient_name="Ada Testpatient",
        issues=[{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Call bell"}],
    )


def promise(client: Client, case: Case, description: str, owner_pk: int, due: date = DUE) -> ImprovementAction:
    response = client.post(
        reverse("cases:action", args=[case.reference, "promise"]),
        {"description": description, "owner": "Ward 7 sister", "action_owner": str(owner_pk), "due_date": due},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImprovementAction.objects.get(promised_action__case=case, what=description)


def my_work(client: Client) -> str:
    response = client.get(reverse("home:my-work"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_owner_of_a_promised_action_finds_it_on_my_work(cast: Cast, as_user: Any) -> None:
    case = open_case(cast)
    action = promise(as_user(cast.officer), case, "Check call bells every shift", cast.investigator.pk)

    page = my_work(as_user(cast.investigator))
    assert "Improvement actions you own" in page
    assert (
        f'<a href="{reverse("improvement:detail", args=[action.pk])}">Check call bells every shift</a>'
        " — due Wednesday 31 March 2027; promised in the response to " + case.reference
    ) in page
    assert "Nothing is waiting for you here." not in page

    # The officer who made the promise, and a manager at the same site, do not see it as theirs.
    for someone in (cast.officer, cast.manager):
        other = my_work(as_user(someone))
        assert "Check call bells every shift" not in other
        assert "Improvement actions you own" not in other


def test_an_owner_without_other_work_sees_the_action_instead_of_nothing_waiting(cast: Cast, as_user: Any) -> None:
    improvement_services.action_create(
        acting_user=cast.officer,
        site=cast.rgh,
        what="Review the visiting hours leaflet",
        why="Feedback",
        owner=cast.admin,
        due_date=timezone.localdate() - timedelta(days=1),
    )
    page = my_work(as_user(cast.admin))
    assert "Review the visiting hours leaflet</a> — due " in page
    assert "<strong>(overdue)</strong>" in page
    assert "Nothing is waiting for you here." not in page


def test_a_done_action_leaves_my_work(cast: Cast, as_user: Any) -> None:
    case = open_case(cast)
    action = promise(as_user(cast.officer), case, "Check call bells every shift", cast.manager.pk)
    improvement_services.action_complete(
        acting_user=cast.officer, action=action, evidence="On the handover sheet.", public=False
    )
    page = my_work(as_user(cast.manager))
    assert "Check call bells every shift" not in page
    assert "Improvement actions you own" not in page


def test_my_work_reads_the_actions_in_one_query_however_many_there_are(cast: Cast, as_user: Any) -> None:
    officer, manager = as_user(cast.officer), as_user(cast.manager)
    case = open_case(cast)
    promise(officer, case, "Action one", cast.manager.pk)
    with CaptureQueriesContext(connection) as one:
        my_work(manager)
    for n in range(2, 6):
        promise(officer, case, f"Action {n}", cast.manager.pk)
    with CaptureQueriesContext(connection) as five:
        page = my_work(manager)
    assert all(f"Action {n}</a>" in page for n in ("one", 2, 3, 4, 5))
    assert page.count("promised in the response to") == 5
    assert len(five) == len(one)
