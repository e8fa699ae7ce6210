"""``liaison worker``: run the task queue, and enqueue the reminders sweep every few minutes."""

from __future__ import annotations

import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections


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

        if every > 0:
            threading.Thread(target=schedule, name="reminder-sweeps", daemon=True).start()
        try:
            call_command("db_worker")
        finally:
            stop.set()
