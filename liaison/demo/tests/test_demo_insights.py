"""The demo's history makes every chart of the office's dashboard (issue #12) say something.

The demo is loaded once for this module (in a transaction rolled back at the end) because loading it takes
a while; each test reads it back through the dashboard's own measures or the cases' recorded facts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from liaison.cases.models import Case, ExternalReferral, Status
from liaison.demo.cases import demo_load_cases
from liaison.demo.services import demo_load
from liaison.insights.measures import Period, trend, values
from liaison.lib.workdays import add_months
from liaison.org.models import Site


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():
        demo_load()
        assert demo_load_cases() > 0
        yield
        transaction.set_rollback(True)


def _site(code: str) -> tuple[Site, date]:
    site = Site.objects.get(code=code)
    return site, timezone.localdate(timezone.now(), site.zone)


def _last_twelve_months(today: date) -> Period:
    return Period(add_months(today, -12), today)


def _number(measured: dict[str, int | float | None], key: str) -> float:
    value = measured[key]
    assert value is not None, f"{key} is empty"
    return float(value)


@pytest.mark.django_db
def test_the_dashboard_measures_of_the_demo_are_neither_empty_nor_perfect(demo: None) -> None:
    rgh, today = _site("RGH")
    riverside = values(Case.objects.filter(site=rgh), _last_twelve_months(today))
    assert 50 < _number(riverside, "acknowledged_on_time") < 100
    assert 50 < _number(riverside, "responded_on_time") < 100
    for outcome in ("upheld", "partly_upheld", "not_upheld"):
        assert _number(riverside, outcome) > 0, outcome
    assert 0 < _number(riverside, "well_founded_rate") < 100
    assert _number(riverside, "reopened") > 0
    assert 10 <= _number(riverside, "days_to_respond_median") <= 40
    assert _number(riverside, "days_to_acknowledge_p90") > 3  # some acknowledgements are late

    whole_demo = Period(today - timedelta(days=800), today)
    referred = values(Case.objects.filter(site=rgh), whole_demo, keys=["referred_ombudsman"])
    assert (referred["referred_ombudsman"] or 0) > 0

    hpm, today = _site("HPM")
    harbor = values(Case.objects.filter(site=hpm), _last_twelve_months(today))
    assert 50 < _number(harbor, "interim_notice_on_time") < 100
    assert 50 < _number(harbor, "responded_on_time") < 100
    harbor_referrals = values(Case.objects.filter(site=hpm), whole_demo, keys=["referred_qio", "referred_state_agency"])
    assert (harbor_referrals["referred_qio"] or 0) + (harbor_referrals["referred_state_agency"] or 0) > 0


@pytest.mark.django_db
def test_every_month_of_the_twelve_month_trend_has_cases_some_answered_on_time(demo: None) -> None:
    _, today = _site("RGH")
    months = _last_twelve_months(today).months()
    by_month = trend(Case.objects.all(), months, keys=["received", "responded_on_time"])
    assert len(by_month) == 13
    assert all((row["received"] or 0) > 0 for row in by_month.values()), by_month
    shares = [row["responded_on_time"] for row in by_month.values() if row["responded_on_time"] is not None]
    assert len(shares) >= 10 and sum(share > 0 for share in shares) >= 8, shares


@pytest.mark.django_db
def test_the_history_runs_in_order_and_never_into_the_future(demo: None) -> None:
    now = timezone.now()
    cases = Case.objects.select_related("site")
    acknowledged = [c for c in cases if c.acknowledged_at is not None]
    assert len(acknowledged) > 150
    assert len({c.acknowledged_at for c in acknowledged}) > 0.9 * len(acknowledged)  # not one moment for all
    for case in acknowledged:
        latest = max(case.received_at, now - timedelta(minutes=59))  # an hour before loading, at the latest
        steps = [case.received_at, case.acknowledged_at, case.interim_notice_sent_at, case.first_responded_at]
        done = [moment for moment in steps if moment is not None]
        assert done == sorted(done) and done[-1] <= latest, case.reference
        if case.responded_at is not None:  # a second response (after reopening) comes after the first
            assert case.first_responded_at is not None and case.first_responded_at <= case.responded_at <= latest
    uk = [c for c in acknowledged if c.site.code == "RGH" and c.case_type == "complaint" and c.days_to_respond]
    calendar_days = [(c.first_responded_at - c.received_at).days for c in uk if c.first_responded_at is not None]
    assert max(calendar_days) <= 50 and sorted(calendar_days)[len(calendar_days) // 2] >= 10

    extended = cases.filter(extension_agreed_until__isnull=False, first_responded_at__isnull=False)
    assert extended.exists()
    for case in extended:
        assert case.first_responded_at is not None and case.extension_agreed_until is not None
        assert timezone.localdate(case.first_responded_at, case.site.zone) <= case.extension_agreed_until
        assert case.response_due_at is not None and case.first_responded_at <= case.response_due_at

    reopened = cases.filter(reopened=True)
    assert 2 <= reopened.count() <= 3
    for case in reopened:
        assert case.status == Status.CLOSED
        assert case.responded_at is not None and case.first_responded_at is not None
        assert case.first_responded_at < case.responded_at

    for referral in ExternalReferral.objects.select_related("case__site"):
        case = referral.case
        assert case.status == Status.REFERRED and case.first_responded_at is not None
        answered_on = timezone.localdate(case.first_responded_at, case.site.zone)
        assert answered_on < referral.referred_on <= timezone.localdate(now, case.site.zone)
    assert {r.body for r in ExternalReferral.objects.all()} >= {"ombudsman", "qio"}

    judged = cases.filter(case_type__in=["complaint", "grievance"], first_responded_at__isnull=False)
    assert judged.exclude(outcome="").count() == judged.count()
