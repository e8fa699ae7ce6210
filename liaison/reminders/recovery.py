"""Tasks whose worker died are run again, so that a killed worker never leaves a task "running" for ever.

django-tasks-db marks a task RUNNING when a worker claims it and notes the worker's id, but nothing looks at a
RUNNING task again: when the worker is killed (SIGKILL, the out-of-memory killer, a power cut), its task stays
RUNNING and never runs. ``liaison worker`` therefore names each worker after its process
(:func:`worker_id_for_process`) and calls :func:`tasks_recover` when it starts and every minute:

- a task whose worker process is gone, as seen from this machine, is queued again at once;
- a task whose worker cannot be seen from here (it ran on another machine or in another container, or under a
  worker started without ``liaison worker``) is queued again only once it has run for longer than the lease;
- a task that has lost its worker ``MAX_ATTEMPTS`` times is marked failed instead: it may be what kills it.

Running a task again is safe because every task is idempotent: each claims its work atomically (a reminder by its
``ReminderLog`` row in the transaction that sends it, an import by its lease and attempt number), so a run that is
repeated after a crash does what the first run did not finish, and nothing twice.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

# A task whose worker cannot be seen from this machine is presumed lost after this long. Every task Liaison has
# today ends in minutes; an import of a large file renews its own lease and stops by itself when it loses it.
TASK_LEASE = timedelta(minutes=60)
MAX_ATTEMPTS = 3
RECOVER_EVERY = timedelta(minutes=1)

_ID_PREFIX = "lw1"


class WorkerLost(Exception):
    """Recorded as the error of a task whose worker stopped too often while running it."""


@dataclass
class RecoveryReport:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _process_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) of a process on this machine, or None if there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) is in brackets and may itself hold spaces or brackets: read after the last one.
    rest = text.rsplit(")", 1)[-1].split()
    if len(rest) < 20:
        return None
    return rest[0], rest[19]


@functools.cache
def _machine() -> str:
    """Names this boot of this machine and this process namespace: within it, a process id means one process."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip().replace("-", "")[:12]
        namespace = "".join(ch for ch in os.readlink("/proc/self/ns/pid") if ch.isdigit())
    except OSError:
        # Without /proc (a developer's Mac) the host name is all there is; process ids are then only checked for
        # being alive, and a reused one keeps its task waiting until the lease runs out.
        return "h" + hashlib.sha256(socket.gethostname().encode()).hexdigest()[:12]
    return f"{boot}.{namespace}"


def worker_id_for_process(pid: int | None = None) -> str:
    """A worker id that says where the worker runs (this process by default), so that another worker can tell
    whether it is still alive. The start time tells the worker from a later process that got its number."""
    pid = os.getpid() if pid is None else pid
    stat = _process_stat(pid)
    return f"{_ID_PREFIX}:{_machine()}:{pid}:{stat[1] if stat else '0'}"


def worker_is_gone(worker_id: str) -> bool | None:
    """True if that worker's process has ended, False if it is running, None if this machine cannot tell."""
    parts = worker_id.split(":")
    if len(parts) != 4 or parts[0] != _ID_PREFIX or parts[1] != _machine() or os.name != "posix":
        return None
    try:
        pid = int(parts[2])
    except ValueError:
        return None
    if _process_stat(os.getpid()) is not None:
        stat = _process_stat(pid)
        # A zombie has ended; only its parent has not collected it yet.
        return stat is None or stat[0] in {"Z", "X"} or stat[1] != parts[3]
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def tasks_recover(
    *, lease: timedelta = TASK_LEASE, max_attempts: int = MAX_ATTEMPTS, now: datetime | None = None
) -> RecoveryReport:
    """Queue again (or, after ``max_attempts`` claims, fail) every RUNNING task whose worker is gone.

    Each change is conditional on the task still being in the run that was looked at, so two workers
    recovering at once change each task once, and a task that finished meanwhile is left alone.
    """
    now = now or timezone.now()
    report = RecoveryReport()
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list(
        "pk", "task_path", "worker_ids", "started_at"
    )
    for pk, task_path, worker_ids, started_at in running:
        last_worker = worker_ids[-1] if worker_ids else ""
        gone = worker_is_gone(last_worker) if last_worker else None
        if gone is False:
            continue
        if gone is None and started_at is not None and started_at > now - lease:
            continue
        same_run = DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at)
        attempts = len(worker_ids)
        if attempts >= max_attempts:
            changed = same_run.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                return_value=None,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=(
                    f"WorkerLost: the worker running this task stopped {attempts} times before it finished, "
                    "so it is not tried again. Look in the worker's logs for what stopped it."
                ),
            )
            if changed:
                report.failed.append(str(pk))
                # The task's path and id only: its arguments may name a patient's record.
                logger.error("Task %s (%s) lost its worker %d times; marked failed.", pk, task_path, attempts)
        else:
            changed = same_run.update(status=TaskResultStatus.READY)
            if changed:
                report.requeued.append(str(pk))
                logger.warning(
                    "Task %s (%s) lost its worker; queued to run again (attempt %d of %d).",
                    pk,
                    task_path,
                    attempts + 1,
                    max_attempts,
                )
    return report
