"""Each change writes its deliveries in its own transaction: one per matching subscription, with no patient data."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from conftest import Cast
from liaison.cases import services as cases
from liaison.cases.models import Status
from liaison.reminders.services import reminders_sweep
from liaison.webhooks.events import deadlines_missed_record
from liaison.webhooks.models import Delivery, Event, Scope
from liaison.webhooks.services import subscription_set_active
from liaison.webhooks.tests.conftest import PATIENT_TEXT

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def _bodies(**filters: Any) -> list[dict[str, Any]]:
    return [json.loads(d.body) for d in Delivery.objects.filter(**filters).order_by("created_at", "event")]


def test_logging_a_case_writes_one_delivery_per_subscription_that_wants_it(
    cast: Cast, subscribe: Any, patient_case: Any
) -> None:
    everything = subscribe(name="Everything")
    closures_only = subscribe(name="Closures", events=[Event.CASE_CLOSED])
    other_site = subscribe(name="Harbor Point", site=cast.hpm)
    paused = subscribe(name="Paused")
    subscription_set_active(acting_user=cast.admin, subscription=paused, active=False)

    case = patient_case()

    [delivery] = Delivery.objects.all()
    assert delivery.subscription == everything and delivery.event == Event.CASE_CREATED
    assert delivery.case_id == case.pk and delivery.status == "pending" and delivery.attempts == 0
    body = json.loads(delivery.body)
    assert body["id"] == str(delivery.pk) and body["event"] == "case.created"
    assert body["data"] == {"case": {"id": case.pk, "reference": case.reference, "site": "RGH"}}
    assert datetime.fromisoformat(body["occurred_at"]) <= delivery.next_attempt_at
    assert not Delivery.objects.filter(subscription__in=[closures_only, other_site, paused]).exists()


def test_a_change_that_is_rolled_back_leaves_no_delivery(cast: Cast, subscribe: Any, patient_case: Any) -> None:
    subscribe()
    with pytest.raises(RuntimeError), transaction.atomic():
        patient_case()
        assert Delivery.objects.count() == 1  # written with the case...
        raise RuntimeError("the request failed after the case was saved")
    assert Delivery.objects.count() == 0  # ...and undone with it


def test_status_changes_and_closing_each_send_their_event(cast: Cast, subscribe: Any, patient_case: Any) -> None:
    subscription = subscribe(scope=Scope.DETAILS)
    case = patient_case()
    cases.case_acknowledge(acting_user=cast.officer, case=case, how="phone")
    cases.case_close(acting_user=cast.officer, case=case, note="Resolved on the phone with Zebedee.")

    events = list(
        Delivery.objects.filter(subscription=subscription)
        .order_by("created_at", "event")
        .values_list("event", flat=True)
    )
    assert sorted(events) == sorted(["case.created", "case.status_changed", "case.status_changed", "case.closed"])
    changes = [b["data"] for b in _bodies(event=Event.CASE_STATUS_CHANGED)]
    assert {(c["from"], c["to"]) for c in changes} == {("new", "acknowledged"), ("acknowledged", "closed")}
    [closed] = _bodies(event=Event.CASE_CLOSED)
    facts = closed["data"]["case"]
    assert facts["status"] == Status.CLOSED and facts["reference"] == case.reference
    assert facts["closed_at"] is not None and facts["acknowledged_at"] is not None and facts["type"] == "concern"
    # One event, one delivery id: the status change and the closure are two events.
    assert Delivery.objects.values("event_key").distinct().count() == 4


def test_no_delivery_holds_the_patients_identity_contact_or_words(
    cast: Cast, subscribe: Any, patient_case: Any
) -> None:
    subscribe(scope=Scope.MINIMAL, name="Minimal")
    subscribe(scope=Scope.DETAILS, name="Details")
    case = patient_case()
    cases.case_acknowledge(acting_user=cast.officer, case=case, how="phone")
    cases.case_close(acting_user=cast.officer, case=case)

    bodies = list(Delivery.objects.values_list("body", flat=True))
    assert len(bodies) == 8
    for body in bodies:
        for text in PATIENT_TEXT:
            assert text.lower() not in body.lower(), (text, body)
    minimal = _bodies(subscription__name="Minimal", event=Event.CASE_CREATED)[0]["data"]["case"]
    assert set(minimal) == {"id", "reference", "site"}


def test_each_missed_deadline_is_told_once_and_only_those_missed_after_registering(
    cast: Cast, subscribe: Any, patient_case: Any
) -> None:
    received = datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)  # a Monday
    with time_machine.travel(received, tick=False):
        old = patient_case(case_type="complaint")
    with time_machine.travel(received + timedelta(days=10), tick=False):
        # The old case's acknowledgement (3 working days) passed before the webhook existed.
        subscription = subscribe(events=[Event.CASE_DEADLINE_MISSED])
        new = patient_case(case_type="complaint")
    assert not Delivery.objects.exists()
    acknowledge_due = new.next_due_at
    assert new.next_due_name and acknowledge_due is not None

    later = acknowledge_due + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        reminders_sweep(now=later)  # the worker's sweep, where the app registered its step
        assert Delivery.objects.count() == 1
        assert deadlines_missed_record(now=later + timedelta(minutes=5)) == 0  # the next sweep: nothing new

    [delivery] = Delivery.objects.filter(subscription=subscription)
    body = json.loads(delivery.body)
    assert body["event"] == "case.deadline_missed" and body["data"]["case"]["reference"] == new.reference
    assert body["data"]["deadline"]["key"] == "acknowledge"
    assert datetime.fromisoformat(body["data"]["deadline"]["due_at"]) == acknowledge_due
    assert datetime.fromisoformat(body["occurred_at"]) == acknowledge_due
    assert not Delivery.objects.filter(case_id=old.pk).exists()


def test_a_finished_feedback_import_is_told_with_counts_only(cast: Cast, subscribe: Any, tmp_path: Any) -> None:
    from liaison.feedback.imports import feedback_import_file, guess_mapping, import_source_save

    subscription = subscribe(events=[Event.FEEDBACK_IMPORTED])
    path = tmp_path / "zebedee-quillfeather-ward7.csv"
    path.write_text("Date,Score,Comment\n2026-11-01,1,Zebedee Quillfeather was left waiting\n2026-11-02,2,Fine\n")
    source = import_source_save(
        acting_user=cast.officer,
        site=cast.rgh,
        name="Ward 7 cards",
        mapping=guess_mapping(["Date", "Score", "Comment"]),
    )
    job = feedback_import_file(acting_user=cast.officer, source=source, path=path)

    [delivery] = Delivery.objects.filter(subscription=subscription)
    body = json.loads(delivery.body)
    assert body["event"] == "feedback.imported"
    assert body["data"]["import"]["id"] == job.pk and body["data"]["import"]["site"] == "RGH"
    assert body["data"]["import"]["rows_seen"] == 2
    assert "Quillfeather" not in delivery.body and "zebedee" not in delivery.body.lower()
