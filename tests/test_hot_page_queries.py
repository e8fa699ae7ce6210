"""Query counts on the pages people open all day (issue #14): each is a small, fixed number of queries that
does not grow with the cases, requests and answers behind it. A page that loads one row per case shown
(an N+1) would be fine on the demo and unusable on a million cases; these tests catch it on the demo.

Each page is read as the person who uses it, its content is checked (a page that shows nothing costs nothing),
then more of everything is added and the page must cost exactly the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import login_verified
from liaison.accounts.models import User
from liaison.advocacy.demo import demo_load_advocacy
from liaison.cases.models import Case, Issue
from liaison.cases.services import case_open
from liaison.demo.cases import demo_load_cases
from liaison.demo.feedback import demo_load_feedback
from liaison.demo.services import demo_load
from liaison.feedback import tallies
from liaison.feedback.models import FeedbackResponse
from liaison.investigations.models import InvestigationRequest
from liaison.investigations.services import investigation_request
from liaison.meetings.demo import demo_load_meetings


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():
        demo_load()
        assert demo_load_cases() > 0
        assert demo_load_feedback(answers_per_site=60) > 0
        demo_load_advocacy()
        demo_load_meetings()
        yield
        transaction.set_rollback(True)


@dataclass(frozen=True)
class Page:
    who: str  # the demo user's email, before the @
    label: str
    url: Callable[[], str]
    shows: str  # text the page must show, so an empty page cannot pass
    ceiling: int  # the most queries it may take


def _officer_case() -> Case:
    officer = User.objects.get(email="officer@demo.liaison.example")
    return Case.objects.filter(owner=officer).order_by("pk").first() or Case.objects.order_by("pk")[0]


def _department() -> int:
    issue = Issue.objects.filter(department__isnull=False).order_by("pk").first()
    assert issue is not None and issue.department_id is not None
    return issue.department_id


ROW = '<th scope="row"><a href="/cases/'  # a case in a worklist table

PAGES = [
    Page("officer", "worklist, my open cases", lambda: reverse("cases:worklist"), ROW, 16),
    Page("officer", "worklist, all at my sites", lambda: reverse("cases:worklist") + "?view=site&status=", ROW, 16),
    Page(
        "officer",
        "worklist, a department",
        lambda: reverse("cases:worklist") + f"?view=site&status=&department={_department()}",
        ROW,
        17,
    ),
    Page("officer", "case page", lambda: reverse("cases:detail", args=[_officer_case().reference]), "Timeline", 25),
    Page("officer", "My work", lambda: reverse("home:my-work"), "My work", 25),
    Page("manager", "My work (manager)", lambda: reverse("home:my-work"), "My work", 28),
    Page("investigator", "My work (investigator)", lambda: reverse("home:my-work"), "My work", 12),
    Page("manager", "insights dashboard", lambda: reverse("insights:dashboard"), "Received", 50),
    Page("manager", "workload", lambda: reverse("insights:workload"), "Workload", 16),
    Page("manager", "feedback dashboard", lambda: reverse("feedback:dashboard"), "Feedback", 16),
    Page("manager", "feedback responses", lambda: reverse("feedback:responses"), 'href="/feedback/responses/', 10),
    Page(
        "investigator", "API: investigation requests", lambda: "/api/v1/investigations/requests", '"case_reference"', 8
    ),
]


def _count(client: Client, page: Page) -> tuple[int, str]:
    url = page.url()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (page.label, response.status_code)
    return len(queries), response.content.decode()


def _grow() -> None:
    """More of everything the pages read: the officer's cases with issues, requests to the investigator's
    department, feedback answers. None of it may add a query to any page."""
    officer = User.objects.get(email="officer@demo.liaison.example")
    investigator = User.objects.get(email="investigator@demo.liaison.example")
    department = investigator.departments.first()
    assert department is not None
    site = department.site
    now = timezone.now()
    for n in range(30):
        case = case_open(
            acting_user=officer,
            site=site,
            case_type="complaint",
            channel="phone",
            owner=officer,
            received_at=now - timedelta(days=n),
            patient_name=f"Growth Patient {n}",
            account="The wait in clinic was long.",
            issues=[{"category": "communication", "severity": 2, "department": department, "summary": "Waited"}],
        )
        if n % 3 == 0:
            investigation_request(acting_user=officer, case=case, department=department, questions="Why?")
    for n in range(30):
        FeedbackResponse.objects.create(
            site=site,
            department=department,
            received_on=now.date() - timedelta(days=n),
            fft_score=1 + n % 5,
            comment=f"Comment number {n} about the wait.",
            themes=["waiting"],
            sentiment=1 + n % 3,
            analysed_at=now,
        )
    tallies.rebuild()


@pytest.mark.django_db
def test_hot_pages_take_a_fixed_number_of_queries_however_much_lies_behind_them(demo: None) -> None:
    clients = {
        who: login_verified(Client(), User.objects.get(email=f"{who}@demo.liaison.example"))
        for who in {page.who for page in PAGES}
    }
    before: dict[str, int] = {}
    for page in PAGES:
        _count(clients[page.who], page)  # warm: the first request of a client fills caches (sites, sessions)
        queries, body = _count(clients[page.who], page)
        assert page.shows in body, page.label
        assert queries <= page.ceiling, f"{page.label}: {queries} queries (at most {page.ceiling})"
        before[page.label] = queries
    requests_before = InvestigationRequest.objects.count()
    _grow()
    assert InvestigationRequest.objects.count() == requests_before + 10
    after = {page.label: _count(clients[page.who], page)[0] for page in PAGES}
    if after != before:
        for page in PAGES:
            if after[page.label] != before[page.label]:
                with CaptureQueriesContext(connection) as queries:
                    clients[page.who].get(page.url())
                print(page.label, *[q["sql"][:300] for q in queries.captured_queries], sep="\n")
    assert after == before
