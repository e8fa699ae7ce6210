"""``liaison worker``: run the task queue, enqueue the reminders sweep every few minutes, and enqueue the
periodic jobs other apps register in ``liaison.lib.periodic`` (the audit checkpoint)."""

from __future__ import annotations

import logging
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import import_string

from liaison.lib import periodic

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run background tasks (django-tasks database queue) and the periodic reminders sweep."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--sweep-every", type=int, default=300, help="Seconds between reminder sweeps (0: no sweeps)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        every = options["sweep_every"]

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

        if every > 0:
            threading.Thread(target=schedule, name="reminder-sweeps", daemon=True).start()
        for job in periodic.registered():
            threading.Thread(target=repeat, args=(job,), name=job.task, daemon=True).start()
        try:
            call_command("db_worker")
        finally:
            stop.set()
