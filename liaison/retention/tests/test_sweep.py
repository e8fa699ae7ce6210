"""The worker's daily step: nothing while automatic purging is off; once a day per site when it is on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case
from liaison.reminders.services import reminders_sweep
from liaison.retention.models import PurgeRun, RecordType
from liaison.retention.services import automatic_purge_set
from liaison.retention.tests.conftest import NOW, at, closed_case, london


def test_the_sweep_purges_nothing_while_automatic_purging_is_off(cast: Cast) -> None:
    case = closed_case(cast, london(2014, 3, 3))
    with at(NOW):
        reminders_sweep(now=NOW)
    assert Case.objects.get(pk=case.pk).purged_at is None
    assert not PurgeRun.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="retention.").exists()


def test_the_sweep_purges_a_site_at_most_once_a_day(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    first = closed_case(cast, london(2014, 3, 3))
    with at(NOW):
        automatic_purge_set(acting_user=cast.manager, site=cast.rgh, automatic=True)
        reminders_sweep(now=NOW)
    assert Case.objects.get(pk=first.pk).purged_at == NOW
    run = PurgeRun.objects.get()
    assert (run.trigger, run.day, run.counts[RecordType.CASE_FILE]) == ("schedule", NOW.date(), 1)
    assert run.finished_at is not None
    summary = AuditEvent.objects.get(action="retention.purge")
    assert summary.details["trigger"] == "schedule" and summary.details["counts"][RecordType.CASE_FILE] == 1

    # Another case comes due the same day (its closing was back-dated by an import, say): it waits for tomorrow.
    second = closed_case(cast, london(2014, 4, 7))
    later = NOW + timedelta(hours=6)
    with at(later):
        reminders_sweep(now=later)
    assert Case.objects.get(pk=second.pk).purged_at is None
    assert PurgeRun.objects.count() == 1

    tomorrow = NOW + timedelta(days=1)
    with at(tomorrow):
        reminders_sweep(now=tomorrow)
    assert Case.objects.get(pk=second.pk).purged_at == tomorrow
    assert list(PurgeRun.objects.order_by("day").values_list("day", flat=True)) == [NOW.date(), tomorrow.date()]
    # Harbor Point never turned it on: no run there.
    assert not PurgeRun.objects.filter(site=cast.hpm).exists()


def test_a_site_turned_off_again_is_left_alone(cast: Cast) -> None:
    case = closed_case(cast, london(2014, 3, 3))
    with at(NOW):
        automatic_purge_set(acting_user=cast.manager, site=cast.rgh, automatic=True)
        automatic_purge_set(acting_user=cast.manager, site=cast.rgh, automatic=False)
        reminders_sweep(now=NOW)
    assert Case.objects.get(pk=case.pk).purged_at is None
    assert not PurgeRun.objects.exists()
