"""``liaison reminders sweep``: send the reminders that are due now (cron, or by hand)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from liaison.reminders.services import reminders_sweep


class Command(BaseCommand):
    help = "Reminders: 'sweep' sends every reminder that is due and has not been sent."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("sweep", help="Send due reminders once.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = reminders_sweep()
        self.stdout.write(f"Reminders: {report.sent} sent, {report.already_sent} already sent by another worker.")
