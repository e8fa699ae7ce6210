"""The figure columns the measures read: kept by the services, and rebuilt the same by the migration's backfill."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from conftest import Cast
from liaison.cases.figures import FIGURE_FIELDS, backfill
from liaison.cases.models import Case, TimelineEvent
from liaison.insights.measures import MEASURES, Period, trend, values
from liaison.insights.tests.scenario import JANUARY, NOW, England, Harbor


def _figures() -> dict[int, tuple[object, ...]]:
    return {row[0]: row[1:] for row in Case.objects.order_by("pk").values_list("pk", *FIGURE_FIELDS)}


def test_the_backfill_rebuilds_from_facts_and_timeline_what_the_services_kept(
    cast: Cast, england: England, harbor: Harbor
) -> None:
    kept = _figures()
    assert any(row[FIGURE_FIELDS.index("reopened")] for row in kept.values())  # case A was reopened
    Case.objects.update(**{name: None for name in FIGURE_FIELDS if name not in ("finished_once", "reopened")})
    Case.objects.update(finished_once=False, reopened=False)
    assert backfill(Case, TimelineEvent) == len(kept)
    assert _figures() == kept


def test_a_reopened_case_keeps_its_first_response(cast: Cast, england: England) -> None:
    a = Case.objects.get(pk=england.a.pk)
    # First response 4 February; reopened on 10 February; answered again on 20 February.
    assert a.reopened and a.finished_once
    assert a.first_responded_at is not None and a.first_responded_at.date() == date(2026, 2, 4)
    assert a.responded_at is not None and a.responded_at.date() == date(2026, 2, 20)


def _rgh(cast: Cast) -> QuerySet[Case]:
    return Case.objects.filter(site=cast.rgh)


def test_all_values_at_once_equal_each_measure_on_its_own(cast: Cast, england: England, harbor: Harbor) -> None:
    for scope in (_rgh(cast), Case.objects.filter(site=cast.hpm), Case.objects.all()):
        together = values(scope, JANUARY)
        assert together == {key: MEASURES[key].value(scope, JANUARY) for key in MEASURES}
        for key, measure in MEASURES.items():
            if measure.unit == "count":
                assert together[key] == measure.numerator(scope, JANUARY).count(), key


def test_the_monthly_trend_matches_each_month_s_values(cast: Cast, england: England) -> None:
    months = [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    keys = ["received", "acknowledged_on_time", "compliments", "well_founded_rate"]
    by_month = trend(_rgh(cast), months, keys=keys)
    assert list(by_month) == months
    for month in months:
        assert by_month[month] == values(_rgh(cast), Period.month(month.year, month.month), keys=keys)
    # January by hand: A, B, C, D, E, G received; February: F only; December nothing (shares: no denominator).
    assert by_month[date(2026, 1, 1)]["received"] == 6
    assert by_month[date(2026, 2, 1)]["received"] == 1
    assert by_month[date(2025, 12, 1)] == {
        "received": 0,
        "acknowledged_on_time": None,
        "compliments": 0,
        "well_founded_rate": None,
    }


def test_previous_period_and_the_same_period_a_year_before() -> None:
    assert JANUARY.previous() == Period(date(2025, 12, 1), date(2025, 12, 31))
    assert Period.month(2026, 3).previous() == Period.month(2026, 2)
    quarter = Period(date(2026, 1, 1), date(2026, 3, 31))
    assert quarter.previous() == Period(date(2025, 10, 1), date(2025, 12, 31))
    assert Period(date(2026, 1, 10), date(2026, 1, 19)).previous() == Period(date(2025, 12, 31), date(2026, 1, 9))
    assert Period(date(2028, 2, 29), date(2028, 3, 5)).year_before() == Period(date(2027, 2, 28), date(2027, 3, 5))
    assert quarter.months() == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]


def test_now_is_read_once(cast: Cast, england: England) -> None:
    # Overdue now is C (due 18 February); read "as at" 1 February it was not overdue yet.
    from datetime import UTC, datetime

    assert MEASURES["overdue_now"].value(_rgh(cast), JANUARY, now=datetime(2026, 2, 1, tzinfo=UTC)) == 0
    assert MEASURES["overdue_now"].value(_rgh(cast), JANUARY, now=NOW) == 1


def test_the_command_refreshes_every_case_s_figures(cast: Cast, england: England) -> None:
    from io import StringIO

    from django.core.management import call_command

    kept = _figures()
    Case.objects.update(days_to_respond=None, response_due_at=None, received_on=None)
    out = StringIO()
    call_command("case_figures", "refresh", stdout=out)
    assert out.getvalue().strip() == f"Refreshed the figures of {len(kept)} cases."
    assert _figures() == kept
