"""``liaison worker``: run the task queue, enqueue the reminders sweep every few minutes, and enqueue the
periodic jobs other apps register in ``liaison.lib.periodic`` (the audit checkpoint).

It also runs again the tasks whose worker died half-way (``liaison.reminders.recovery``): once when it starts,
before it takes any task, and then every minute; and it seals the audit events written since it last looked
into the hash chain every few seconds (``liaison.audit.sealing``).
"""

from __future__ import annotations

import logging
import threading
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import import_string

from liaison.audit.sealing import SEAL_EVERY_SECONDS, seal_pending
from liaison.lib import periodic
from liaison.reminders import recovery

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run background tasks (django-tasks database queue) and the periodic reminders sweep."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--sweep-every", type=int, default=300, help="Seconds between reminder sweeps (0: no sweeps)."
        )
        parser.add_argument(
            "--task-lease-minutes",
            type=int,
            default=int(recovery.TASK_LEASE.total_seconds() // 60),
            help="Minutes after which a running task whose worker this machine cannot see is run again.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        every = options["sweep_every"]
        lease = timedelta(minutes=max(1, options["task_lease_minutes"]))

        def recover() -> None:
            try:
                recovery.tasks_recover(lease=lease)
            except Exception:
                # The database restarting must not stop the worker; the next round tries again.
                logger.exception("Could not look for tasks whose worker stopped")
            finally:
                close_old_connections()

        def keep_recovering() -> None:
            while not stop.wait(recovery.RECOVER_EVERY.total_seconds()):
                recover()

        def keep_sealing() -> None:
            while not stop.wait(SEAL_EVERY_SECONDS):
                try:
                    seal_pending(wait=False)
                except Exception:
                    # As above: the next round seals what this one could not.
                    logger.exception("Could not seal the audit events written since the last round")
                finally:
                    close_old_connections()

        def schedule() -> None:
            from liaison.reminders.tasks import sweep

            while not stop.is_set():
                try:
                    sweep.enqueue()
                finally:
                    close_old_connections()
                stop.wait(every)

        def repeat(job: periodic.PeriodicJob) -> None:
            while not stop.is_set():
                try:
                    import_string(job.task).enqueue()
                except Exception:
                    # One failed enqueue (the database restarting) must not end the job for good.
                    logger.exception("Could not enqueue %s", job.task)
                finally:
                    close_old_connections()
                stop.wait(job.every.total_seconds())

        # Before the first task is taken, so that a task left running by a worker killed here runs first.
        recover()
        threading.Thread(target=keep_recovering, name="task-recovery", daemon=True).start()
        threading.Thread(target=keep_sealing, name="audit-sealing", daemon=True).start()
        if every > 0:
            threading.Thread(target=schedule, name="reminder-sweeps", daemon=True).start()
        for job in periodic.registered():
            threading.Thread(target=repeat, args=(job,), name=job.task, daemon=True).start()
        try:
            call_command("db_worker", worker_id=recovery.worker_id_for_process())
        finally:
            stop.set()
