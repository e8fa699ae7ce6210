"""A worker killed with SIGKILL while sending webhooks: the next worker sends the rest and the interrupted one again,
with the same delivery id, so the receiver gets every event exactly once by id and no event under two ids.

Real ``liaison worker`` processes against the test database send to a real HTTP receiver on localhost. The receiver
holds the third request unanswered, so that the kill lands in the middle of a delivery every time, not by luck.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import make_cast
from liaison.cases.services import case_open
from liaison.webhooks.models import Attempt, Delivery, DeliveryStatus, Event
from liaison.webhooks.services import subscription_create
from liaison.webhooks.tests.receiver import Receiver
from tests.survival.conftest import REPO, subprocess_env, wait_for

pytestmark = pytest.mark.slow


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing_and_sends_no_event_under_two_ids(
    tmp_path: Path, processes: list[subprocess.Popen[str]], sqlite_flushable_audit: None
) -> None:
    cast = make_cast()
    with Receiver(hold_at=3) as receiver:
        for name in ("first", "second"):
            subscription_create(
                acting_user=cast.admin,
                name=f"Receiver {name}",
                url=f"{receiver.url}/{name}",
                events=[Event.CASE_CREATED, Event.CASE_STATUS_CHANGED],
            )
        for n in range(4):
            case_open(
                acting_user=cast.officer,
                site=cast.rgh,
                case_type="concern",
                channel="phone",
                patient_name=f"Synthetic Patient {n}",
            )
        expected = {str(pk) for pk in Delivery.objects.values_list("pk", flat=True)}
        assert len(expected) == 8  # four cases, two receivers

        env = subprocess_env(
            tmp_path,
            LIAISON_WEBHOOK_TIMEOUT_SECONDS="60",  # the held request must not time out before the kill
            LIAISON_WEBHOOK_POLL_SECONDS="1",
        )
        command = [sys.executable, "-c", "from liaison.cli import main; main(['worker', '--sweep-every', '0'])"]

        def start_worker(log: Path) -> subprocess.Popen[str]:
            # Its output goes to a file: a pipe nobody reads would stop the worker once it filled.
            with log.open("w") as output:
                worker = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
            processes.append(worker)
            return worker

        first_log, second_log = tmp_path / "first-worker.log", tmp_path / "second-worker.log"
        first = start_worker(first_log)
        wait_for("the third delivery is held", receiver.holding.is_set, seconds=90, worker=first, log=first_log)
        before_kill = list(receiver.received)  # two accepted; the held one not answered yet
        [in_flight] = Delivery.objects.filter(status=DeliveryStatus.PENDING, attempts=1, delivered_at=None).exclude(
            claimed_by=""
        )
        assert f":{first.pid}:" in in_flight.claimed_by

        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        receiver.release.set()
        assert [r.answered for r in before_kill] == [200, 200]
        assert str(in_flight.pk) not in {r.delivery_id for r in before_kill}
        assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 2

        second = start_worker(second_log)
        wait_for(
            "every delivery is delivered",
            lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 8,
            seconds=90,
            worker=second,
            log=second_log,
        )
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    # Nothing lost: every delivery accepted, and none accepted twice.
    accepted = receiver.accepted_ids()
    assert set(accepted) == expected and len(accepted) == len(expected), accepted
    # The interrupted one went again, with its id and body unchanged.
    tries = [r for r in receiver.received if r.delivery_id == str(in_flight.pk)]
    assert [(r.attempt, r.answered) for r in tries] == [("1", 503), ("2", 200)]
    assert tries[0].body == tries[1].body == in_flight.body
    # No event under two ids: per receiver, each (event, case) came with one delivery id only.
    ids_per_event: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    for r in receiver.received:
        ids_per_event[(r.path, r.event, json.loads(r.body)["data"]["case"]["id"])].add(r.delivery_id)
    assert len(ids_per_event) == 8 and all(len(ids) == 1 for ids in ids_per_event.values())
    # What the log says: the claim taken back from the killed worker, attempts numbered as they went.
    assert "Took back 1 webhook deliveries whose worker had stopped" in second_log.read_text()
    in_flight.refresh_from_db()
    assert in_flight.attempts == 2 and in_flight.status == DeliveryStatus.DELIVERED
    assert list(Attempt.objects.filter(delivery=in_flight).values_list("number", "status_code")) == [(2, 200)]
    assert Attempt.objects.filter(status_code=200).count() == 8
