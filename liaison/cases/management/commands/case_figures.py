"""``liaison case_figures refresh``: rebuild the figure columns the office's measures read, for every case.

Run it after changing a policy pack's clocks, so that cases not saved since follow the new rules.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from liaison.cases.figures import backfill
from liaison.cases.models import Case, TimelineEvent


class Command(BaseCommand):
    help = "Rebuild the figures the measures read (clock due dates, first response, days taken) for every case."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh"])

    def handle(self, *args: Any, **options: Any) -> None:
        count = backfill(Case, TimelineEvent)
        self.stdout.write(f"Refreshed the figures of {count} case{'s' if count != 1 else ''}.")
