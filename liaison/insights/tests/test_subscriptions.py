"""The monthly board report by email: subscribing, and the worker sending the link once, on the first working day.

Riverside (RGH) is English (Europe/London). Wednesday 30 December 2026 is an ordinary day of the old month;
Friday 1 January 2027 is New Year's Day, a bank holiday, so January's first working day is Monday 4 January.
Monday 1 February 2027 is February's first working day. Harbor Point (HPM) is in America/New_York.
Every email goes through a real SMTP server on localhost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from conftest import Cast
from liaison.accounts.services import user_set_roles
from liaison.audit.models import AuditEvent
from liaison.cases.services import case_open
from liaison.insights.models import ReportSubscription
from liaison.insights.subscriptions import (
    board_report_deliver,
    board_report_sweep,
    board_reports_due,
    subscription_create,
)
from liaison.reminders.services import SweepReport, reminders_sweep

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SUBSCRIBED = datetime(2026, 12, 10, 9, 0, tzinfo=LONDON)


def _at(year: int, month: int, day: int, hour: int, minute: int, zone: ZoneInfo = LONDON) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


@pytest.fixture
def sweep(smtp_server: Any) -> Callable[[datetime], int]:
    """sweep(when): run the worker's whole reminders sweep at ``when``; how many board report emails it sent."""

    def _sweep(when: datetime) -> int:
        before = len(_board_reports(smtp_server.messages))
        with time_machine.travel(when, tick=False):
            reminders_sweep()
        return len(_board_reports(smtp_server.messages)) - before

    return _sweep


def _board_reports(messages: list[Any]) -> list[Any]:
    return [m for m in messages if m["Subject"].startswith("Board report for ")]


def _subscribe(user: Any, site: Any, when: datetime = SUBSCRIBED) -> ReportSubscription:
    with time_machine.travel(when, tick=False):
        return subscription_create(acting_user=user, site=site)


def _link(message: Any) -> tuple[str, dict[str, list[str]]]:
    """The report link in the plain-text body: its path and its query."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    [url] = [word for word in text.split() if word.startswith(settings.LIAISON_BASE_URL) and "?" in word]
    parts = urlsplit(url)
    return parts.path, parse_qs(parts.query)


def _expected(site: str, first: str, last: str) -> tuple[str, dict[str, list[str]]]:
    query = {"kind": ["board"], "site": [site], "from": [first], "to": [last], "format": ["pdf"]}
    return reverse("insights:report_download"), query


# -- Subscribing ---------------------------------------------------------------------------------------------


def test_a_manager_subscribes_on_the_page_and_sees_it_listed(cast: Cast, as_user: Any) -> None:
    client = as_user(cast.manager)
    page = client.get(reverse("insights:subscriptions"))
    assert page.status_code == 200 and "You receive no reports by email." in page.content.decode()
    response = client.post(reverse("insights:subscriptions"), {"site": "RGH"}, follow=True)
    html = response.content.decode()
    assert "You will be sent the board report for Riverside General Hospital" in html
    subscription = ReportSubscription.objects.get(user=cast.manager)
    assert (subscription.site, subscription.kind, subscription.last_sent_for) == (cast.rgh, "board", None)
    audit = AuditEvent.objects.get(action="insights.subscribe", actor=cast.manager)
    assert audit.object_id == str(subscription.pk) and audit.site == cast.rgh
    assert '<th scope="row">Riverside General Hospital</th>' in html and "Not yet" in html
    # Once subscribed, the site is no longer offered; a second request for it is refused.
    assert 'value="RGH"' not in html
    again = client.post(reverse("insights:subscriptions"), {"site": "RGH"})
    assert "Select a valid choice" in again.content.decode()
    assert ReportSubscription.objects.filter(user=cast.manager).count() == 1


def test_nobody_subscribes_to_a_site_they_do_not_work_at(cast: Cast, as_user: Any) -> None:
    response = as_user(cast.manager).post(reverse("insights:subscriptions"), {"site": "HPM"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not ReportSubscription.objects.exists()


@pytest.mark.parametrize("who", ["investigator", "auditor", "admin"])
def test_people_who_may_not_read_reports_do_not_get_the_page(cast: Cast, as_user: Any, who: str) -> None:
    client = as_user(getattr(cast, who))
    assert client.get(reverse("insights:subscriptions")).status_code == 404
    assert client.post(reverse("insights:subscriptions"), {"site": "RGH"}).status_code == 404
    assert not ReportSubscription.objects.exists()


def test_stopping_removes_the_subscription_and_only_ones_own(
    cast: Cast, as_user: Any, smtp_server: Any, sweep: Any
) -> None:
    mine = _subscribe(cast.manager, cast.rgh)
    theirs = _subscribe(cast.executive, cast.rgh)
    client = as_user(cast.manager)
    assert client.post(reverse("insights:subscription-stop"), {"subscription": theirs.pk}).status_code == 404
    response = client.post(reverse("insights:subscription-stop"), {"subscription": mine.pk}, follow=True)
    assert "You will no longer be sent the monthly board report for Riverside General Hospital." in (
        response.content.decode()
    )
    assert list(ReportSubscription.objects.values_list("user", flat=True)) == [cast.executive.pk]
    assert AuditEvent.objects.filter(action="insights.unsubscribe", actor=cast.manager).count() == 1
    assert sweep(_at(2027, 1, 4, 9, 0)) == 1
    assert (
        _board_reports(smtp_server.to(cast.manager.email)) == []
        and len(_board_reports(smtp_server.to(cast.executive.email))) == 1
    )


# -- The monthly email ---------------------------------------------------------------------------------------


def test_it_is_sent_once_on_the_first_working_day_and_again_next_month(
    cast: Cast, smtp_server: Any, sweep: Any
) -> None:
    subscription = _subscribe(cast.manager, cast.rgh)
    # Cases exist, but the email names none of them.
    with time_machine.travel(_at(2026, 12, 14, 10, 0), tick=False):
        case = case_open(
            acting_user=cast.officer,
            site=cast.rgh,
            case_type="complaint",
            channel="phone",
            patient_name="Ada Testpatient",
            received_at=_at(2026, 12, 14, 10, 0),
        )
    assert sweep(_at(2026, 12, 30, 9, 0)) == 0  # still December
    assert sweep(_at(2027, 1, 1, 9, 0)) == 0  # New Year's Day: not a working day
    assert _board_reports(smtp_server.to(cast.manager.email)) == []

    assert sweep(_at(2027, 1, 4, 8, 0)) == 1  # Monday 4 January, the first working day
    assert sweep(_at(2027, 1, 4, 17, 0)) == 0  # a re-run the same day
    assert sweep(_at(2027, 1, 5, 9, 0)) == 0  # and the next day
    [january] = _board_reports(smtp_server.to(cast.manager.email))
    assert january["Subject"] == "Board report for December 2026: Riverside General Hospital"
    assert _link(january) == _expected("RGH", "2026-12-01", "2026-12-31")
    html = january.get_body(preferencelist=("html",)).get_content()
    assert "kind=board&amp;site=RGH&amp;from=2026-12-01&amp;to=2026-12-31&amp;format=pdf" in html
    for message_part in (january.get_body(preferencelist=("plain",)).get_content(), html):
        assert case.reference not in message_part and "Ada Testpatient" not in message_part
    assert not any(part.get_filename() for part in january.iter_attachments())  # a link, never the PDF
    subscription.refresh_from_db()
    assert subscription.last_sent_for == date(2027, 1, 1)

    assert sweep(_at(2027, 1, 29, 9, 0)) == 0
    assert sweep(_at(2027, 2, 1, 9, 0)) == 1  # Monday 1 February
    assert sweep(_at(2027, 2, 1, 10, 0)) == 0
    _january_report, february_report = _board_reports(smtp_server.to(cast.manager.email))
    assert _link(february_report) == _expected("RGH", "2027-01-01", "2027-01-31")
    assert february_report["Subject"] == "Board report for January 2027: Riverside General Hospital"


def test_a_subscriber_who_lost_the_right_to_read_reports_gets_nothing(cast: Cast, smtp_server: Any, sweep: Any) -> None:
    _subscribe(cast.manager, cast.rgh)
    _subscribe(cast.executive, cast.rgh)
    user_set_roles(acting_user=cast.admin, user=cast.executive, roles=["auditor"])
    assert sweep(_at(2027, 1, 4, 9, 0)) == 1
    assert _board_reports(smtp_server.to(cast.executive.email)) == []
    assert len(_board_reports(smtp_server.to(cast.manager.email))) == 1
    assert ReportSubscription.objects.get(user=cast.executive).last_sent_for is None


def test_a_second_worker_with_the_same_list_sends_nothing(cast: Cast, smtp_server: Any) -> None:
    _subscribe(cast.manager, cast.rgh)
    now = _at(2027, 1, 4, 9, 0)
    with time_machine.travel(now, tick=False):
        # Both workers read the subscriptions owed; the first sends, the second then finds the month claimed.
        [seen_by_second] = board_reports_due(cast.rgh, now)
        first, second = SweepReport(), SweepReport()
        board_report_sweep(now, first)
        assert board_report_deliver(seen_by_second, now=now, report=second) is False
    assert (first.sent, second.sent, second.already_sent) == (1, 0, 1)
    assert len(_board_reports(smtp_server.messages)) == 1


def test_each_site_is_sent_on_its_own_first_working_day_in_its_own_time_zone(
    cast: Cast, smtp_server: Any, sweep: Any
) -> None:
    # Both subscribe after January's delivery day, so February's is the first either is owed.
    _subscribe(cast.manager, cast.rgh, when=_at(2027, 1, 15, 12, 0))
    _subscribe(cast.outsider, cast.hpm, when=_at(2027, 1, 15, 12, 0))
    # 04:30 UTC on 1 February is 04:30 on Monday 1 February in London, but 23:30 on Sunday 31 January in New York.
    assert sweep(_at(2027, 2, 1, 4, 30, zone=ZoneInfo("UTC"))) == 1
    assert (
        len(_board_reports(smtp_server.to(cast.manager.email))) == 1
        and _board_reports(smtp_server.to(cast.outsider.email)) == []
    )
    assert sweep(_at(2027, 2, 1, 9, 0, zone=NEW_YORK)) == 1
    [hpm] = _board_reports(smtp_server.to(cast.outsider.email))
    assert _link(hpm) == _expected("HPM", "2027-01-01", "2027-01-31")
    assert hpm["Subject"] == "Board report for January 2027: Harbor Point Medical Center"


def test_a_worker_that_was_down_catches_up_but_late_subscribers_start_next_month(
    cast: Cast, smtp_server: Any, sweep: Any
) -> None:
    _subscribe(cast.manager, cast.rgh)
    _subscribe(cast.executive, cast.rgh, when=_at(2027, 1, 6, 12, 0))
    # No sweep ran on Monday 4 January; the first one after it, on Thursday 7 January, sends December's report
    # to the subscriber from December only.
    assert sweep(_at(2027, 1, 7, 9, 0)) == 1
    assert (
        len(_board_reports(smtp_server.to(cast.manager.email))) == 1
        and _board_reports(smtp_server.to(cast.executive.email)) == []
    )
    assert sweep(_at(2027, 2, 1, 9, 0)) == 2
    assert _link(_board_reports(smtp_server.to(cast.executive.email))[0]) == _expected(
        "RGH", "2027-01-01", "2027-01-31"
    )


def test_the_link_opens_the_report_only_after_signing_in(
    cast: Cast, as_user: Any, client: Any, smtp_server: Any, sweep: Any
) -> None:
    _subscribe(cast.manager, cast.rgh)
    assert sweep(_at(2027, 1, 4, 9, 0)) == 1
    [message] = _board_reports(smtp_server.to(cast.manager.email))
    path, query = _link(message)
    params = {key: values[0] for key, values in query.items()}
    with time_machine.travel(_at(2027, 1, 4, 9, 30), tick=False):
        signed_out = client.get(path, params)
        assert signed_out.status_code == 302 and "/accounts/login/" in signed_out["Location"]
        report = as_user(cast.manager).get(path, params)
    assert report.status_code == 200 and report["Content-Type"] == "application/pdf"
