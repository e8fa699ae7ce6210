"""Which running tasks the worker runs again: only those whose worker is gone, and a task that keeps killing its
worker is failed rather than tried for ever (liaison/reminders/recovery.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from liaison.reminders.recovery import MAX_ATTEMPTS, TASK_LEASE, WorkerLost, tasks_recover, worker_id_for_process
from liaison.reminders.tasks import sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_process() -> Iterator[subprocess.Popen[bytes]]:
    """A process of this machine that stands in for a worker: alive until the test ends it."""
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def running(worker_ids: list[str], *, started_ago: timedelta = timedelta(seconds=5)) -> DBTaskResult:
    """A sweep task that a worker claimed and is (or was) running."""
    result = sweep.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=worker_ids, started_at=timezone.now() - started_ago
    )
    return DBTaskResult.objects.get(pk=result.id)


def status(task: DBTaskResult) -> str:
    return DBTaskResult.objects.get(pk=task.pk).status


def test_a_task_whose_worker_is_alive_is_left_running_and_queued_again_once_it_has_died(
    live_process: subprocess.Popen[bytes],
) -> None:
    task = running([worker_id_for_process(live_process.pid)])
    assert tasks_recover().requeued == []
    assert status(task) == TaskResultStatus.RUNNING

    live_process.kill()
    live_process.wait()
    report = tasks_recover()
    assert report.requeued == [str(task.pk)]
    assert status(task) == TaskResultStatus.READY
    assert DBTaskResult.objects.ready().filter(pk=task.pk).exists()  # what a worker takes next
    assert tasks_recover().requeued == []  # already queued: nothing to do twice


def test_a_reused_process_id_is_not_mistaken_for_the_worker(live_process: subprocess.Popen[bytes]) -> None:
    # The same process id, started at another moment: the worker died and something else got its number.
    prefix, machine, pid, _started = worker_id_for_process(live_process.pid).split(":")
    task = running([f"{prefix}:{machine}:{pid}:1"])
    assert tasks_recover().requeued == [str(task.pk)]


def test_a_worker_this_machine_cannot_see_keeps_its_task_for_the_lease() -> None:
    elsewhere = running(["lw1:0123456789ab.4026531836:4242:99"], started_ago=timedelta(minutes=10))
    plain_db_worker = running(["aRandomIdFromDbWorker"], started_ago=timedelta(minutes=10))
    overdue = running(["lw1:0123456789ab.4026531836:4243:99"], started_ago=TASK_LEASE + timedelta(minutes=1))
    assert tasks_recover().requeued == [str(overdue.pk)]
    assert [status(elsewhere), status(plain_db_worker), status(overdue)] == ["RUNNING", "RUNNING", "READY"]
    assert set(tasks_recover(lease=timedelta(minutes=5)).requeued) == {str(elsewhere.pk), str(plain_db_worker.pk)}


def test_a_task_that_lost_its_worker_too_often_is_failed_with_the_reason() -> None:
    dead = [f"lw1:0123456789ab.4026531836:{n}:99" for n in range(MAX_ATTEMPTS)]
    task = running(dead, started_ago=TASK_LEASE * 2)
    report = tasks_recover()
    assert (report.requeued, report.failed) == ([], [str(task.pk)])
    result = DBTaskResult.objects.get(pk=task.pk).task_result
    assert result.status == TaskResultStatus.FAILED and result.finished_at is not None
    [error] = result.errors
    assert error.exception_class_path == f"{WorkerLost.__module__}.WorkerLost"
    assert f"stopped {MAX_ATTEMPTS} times" in error.traceback


def test_a_task_that_finished_meanwhile_is_left_alone() -> None:
    task = running(["lw1:0123456789ab.4026531836:4242:99"], started_ago=TASK_LEASE * 2)
    DBTaskResult.objects.get(pk=task.pk).set_successful({"sent": 0, "already_sent": 0})
    assert tasks_recover().requeued == []
    assert status(task) == TaskResultStatus.SUCCESSFUL
