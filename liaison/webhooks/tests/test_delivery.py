"""The worker's sending: signed, logged, retried with backoff until failed, sent again by hand, and a claim whose
worker died taken again with the same delivery id. Against a real HTTP receiver on localhost."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.reminders import recovery
from liaison.webhooks.models import Attempt, Delivery, DeliveryStatus, Event
from liaison.webhooks.services import (
    backoff,
    deliveries_prune,
    deliveries_send_due,
    delivery_resend,
    subscription_set_active,
)
from liaison.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db
START = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/London"))
DOCS = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def docs_verify() -> Any:
    """The verification recipe exactly as docs/webhooks.md gives it to receivers."""
    [code] = [block for block in re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S) if "def verify" in block]
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # our own documentation, run to prove it right
    return namespace["verify"]


def _headers(received: Any) -> dict[str, str]:
    return {
        "Liaison-Timestamp": received.timestamp,
        "Liaison-Signature": received.signature,
        "Liaison-Delivery": received.delivery_id,
    }


def test_a_delivery_is_signed_and_the_documented_recipe_verifies_it(
    cast: Cast, subscribe: Any, patient_case: Any
) -> None:
    with Receiver() as receiver:
        subscription = subscribe(receiver.url, events=[Event.CASE_CREATED])
        case = patient_case()
        report = deliveries_send_due(worker_id="test-worker")

    assert report.delivered == 1
    [got] = receiver.received
    delivery = Delivery.objects.get()
    assert got.delivery_id == str(delivery.pk) and got.event == "case.created" and got.attempt == "1"
    assert got.body == delivery.body and json.loads(got.body)["data"]["case"]["reference"] == case.reference
    assert got.signature.startswith("v1=") and len(got.signature) == 3 + 64

    verify = docs_verify()
    secret = subscription.secret
    assert verify(secret, _headers(got), got.body.encode())
    # Lower-case header names, as many frameworks give them, verify as well.
    assert verify(secret, {k.lower(): v for k, v in _headers(got).items()}, got.body.encode())
    assert not verify(secret, _headers(got), got.body.replace("RGH", "HPM").encode())  # a changed body
    assert not verify("whsec_someone-elses", _headers(got), got.body.encode())  # another secret
    forged = {**_headers(got), "Liaison-Timestamp": str(int(got.timestamp) + 1)}
    assert not verify(secret, forged, got.body.encode())  # the timestamp is signed too
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert not verify(secret, _headers(got), got.body.encode())  # too old: a replay

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1 and delivery.last_status_code == 200
    [attempt] = delivery.attempt_log.all()
    assert attempt.number == 1 and attempt.status_code == 200 and attempt.response_body == "thanks"
    assert attempt.worker == "test-worker" and not attempt.error


def test_a_failing_receiver_gets_retries_with_backoff_then_the_delivery_is_failed(
    cast: Cast, subscribe: Any, patient_case: Any, settings: Any
) -> None:
    settings.LIAISON_WEBHOOK_MAX_ATTEMPTS = 6
    with (
        Receiver(status=500, answer_body="database down " * 200) as receiver,
        time_machine.travel(START, tick=False) as clock,
    ):
        subscribe(receiver.url, events=[Event.CASE_CREATED])
        patient_case()
        delivery = Delivery.objects.get()
        waits = []
        for attempt in range(1, 7):
            report = deliveries_send_due(worker_id="test-worker")
            assert report.sent_ids == [str(delivery.pk)], attempt
            delivery.refresh_from_db()
            assert delivery.attempts == attempt and delivery.last_status_code == 500
            if attempt < 6:
                assert delivery.status == DeliveryStatus.PENDING
                waits.append(delivery.next_attempt_at - timezone.now())
                # Not sent again before its time...
                clock.shift(waits[-1] - timedelta(seconds=1))
                assert deliveries_send_due(worker_id="test-worker").sent_ids == []
                clock.shift(timedelta(seconds=1))  # ...and sent when it comes.
        assert delivery.status == DeliveryStatus.FAILED
        clock.shift(timedelta(days=1))
        assert deliveries_send_due(worker_id="test-worker").sent_ids == []  # a failed delivery rests

    assert waits == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=8),
        timedelta(minutes=32),
        timedelta(hours=2, minutes=8),
    ]
    assert waits == [backoff(n) for n in range(1, 6)]
    assert [r.delivery_id for r in receiver.received] == [str(delivery.pk)] * 6
    assert [r.attempt for r in receiver.received] == ["1", "2", "3", "4", "5", "6"]
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [a.number for a in attempts] == [1, 2, 3, 4, 5, 6]
    assert all(a.status_code == 500 and a.error == "The receiver answered 500." for a in attempts)
    assert all(len(a.response_body) == 1000 for a in attempts)  # the answer is kept, cut short


def test_a_failed_delivery_sent_again_goes_with_the_same_id_and_is_delivered(
    cast: Cast, subscribe: Any, patient_case: Any, settings: Any
) -> None:
    settings.LIAISON_WEBHOOK_MAX_ATTEMPTS = 2
    with Receiver(status=503) as receiver, time_machine.travel(START, tick=False) as clock:
        subscribe(receiver.url, events=[Event.CASE_CREATED])
        patient_case()
        deliveries_send_due(worker_id="w")
        clock.shift(timedelta(minutes=1))
        deliveries_send_due(worker_id="w")
        delivery = Delivery.objects.get()
        assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2

        receiver.status = 202
        delivery_resend(acting_user=cast.admin, delivery=delivery)
        assert delivery.status == DeliveryStatus.PENDING
        assert deliveries_send_due(worker_id="w").delivered == 1

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3 and delivery.last_status_code == 202
    assert [r.delivery_id for r in receiver.received] == [str(delivery.pk)] * 3
    assert [r.answered for r in receiver.received] == [503, 503, 202]
    assert len({r.body for r in receiver.received}) == 1  # the same bytes every time
    audit = AuditEvent.objects.get(action="webhook.resend")
    assert audit.actor == cast.admin and audit.details["delivery"] == str(delivery.pk)


def test_unreachable_receivers_and_redirects_are_failed_attempts(cast: Cast, subscribe: Any, patient_case: Any) -> None:
    with Receiver(status=302) as redirecting:
        subscribe(redirecting.url, events=[Event.CASE_CREATED], name="Redirects")
        subscribe("http://127.0.0.1:9/nobody-listens", events=[Event.CASE_CREATED], name="Nobody")
        patient_case()
        report = deliveries_send_due(worker_id="w")
    assert report.retrying == 2 and report.delivered == 0
    redirected = Delivery.objects.get(subscription__name="Redirects")
    assert redirected.last_status_code == 302 and "redirect" in redirected.last_error
    unreachable = Delivery.objects.get(subscription__name="Nobody")
    assert unreachable.last_status_code is None and unreachable.last_error.startswith("Could not connect")
    assert Attempt.objects.count() == 2


def test_a_paused_subscriptions_deliveries_wait_and_go_when_it_is_on_again(
    cast: Cast, subscribe: Any, patient_case: Any
) -> None:
    with Receiver() as receiver:
        subscription = subscribe(receiver.url, events=[Event.CASE_CREATED, Event.CASE_STATUS_CHANGED])
        case = patient_case()
        subscription_set_active(acting_user=cast.admin, subscription=subscription, active=False)
        from liaison.cases.services import case_acknowledge

        case_acknowledge(acting_user=cast.officer, case=case, how="phone")  # not wanted while paused
        assert deliveries_send_due(worker_id="w").sent_ids == []
        subscription_set_active(acting_user=cast.admin, subscription=subscription, active=True)
        assert deliveries_send_due(worker_id="w").delivered == 1
    assert [r.event for r in receiver.received] == ["case.created"]
    actions = list(AuditEvent.objects.filter(action__startswith="webhook.").values_list("action", flat=True))
    assert sorted(actions) == ["webhook.create", "webhook.disable", "webhook.enable"]


def _dead_worker_id() -> str:
    """The worker id of a process that has ended, as a killed worker leaves it."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    worker = recovery.worker_id_for_process(child.pid)
    child.kill()
    child.wait()
    assert recovery.worker_is_gone(worker) is True
    return worker


def test_a_claim_whose_worker_died_is_taken_again_and_sent_with_the_same_id(
    cast: Cast, subscribe: Any, patient_case: Any
) -> None:
    with Receiver() as receiver:
        subscribe(receiver.url, events=[Event.CASE_CREATED])
        patient_case()
        delivery = Delivery.objects.get()
        # As a worker killed after claiming it (and perhaps after sending it) leaves it.
        Delivery.objects.filter(pk=delivery.pk).update(
            claimed_by=_dead_worker_id(), claimed_until=timezone.now() + timedelta(minutes=1), attempts=1
        )
        report = deliveries_send_due(worker_id="the-next-worker")
    assert report.reclaimed == 1 and report.delivered == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert [(r.delivery_id, r.attempt) for r in receiver.received] == [(str(delivery.pk), "2")]


def test_a_claim_held_by_a_worker_that_may_be_alive_waits_for_its_lease(
    cast: Cast, subscribe: Any, patient_case: Any
) -> None:
    with Receiver() as receiver, time_machine.travel(START, tick=False) as clock:
        subscribe(receiver.url, events=[Event.CASE_CREATED])
        patient_case()
        delivery = Delivery.objects.get()
        Delivery.objects.filter(pk=delivery.pk).update(
            claimed_by="lw1:another-machine:123:456", claimed_until=timezone.now() + timedelta(seconds=70), attempts=1
        )
        assert deliveries_send_due(worker_id="w").sent_ids == []
        clock.shift(timedelta(seconds=71))
        assert deliveries_send_due(worker_id="w").sent_ids == [str(delivery.pk)]
    assert [r.delivery_id for r in receiver.received] == [str(delivery.pk)]


def test_old_deliveries_are_pruned_with_their_log_but_waiting_ones_are_kept(
    cast: Cast, subscribe: Any, patient_case: Any, settings: Any
) -> None:
    settings.LIAISON_WEBHOOK_KEEP_DAYS = 30
    with Receiver() as receiver, time_machine.travel(START, tick=False) as clock:
        subscribe(receiver.url, events=[Event.CASE_CREATED])
        patient_case()
        deliveries_send_due(worker_id="w")
        patient_case()  # still waiting: never pruned
        clock.shift(timedelta(days=30, seconds=1))
        patient_case()  # delivered recently: kept
        deliveries_send_due(worker_id="w", limit=1)
        assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 2
        assert deliveries_prune() == 1
    assert Delivery.objects.count() == 2 and Attempt.objects.count() == 1
    assert not Delivery.objects.filter(delivered_at__lt=START + timedelta(days=1)).exists()
