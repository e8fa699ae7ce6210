"""``liaison audit verify``: recompute the audit trail's hash chain."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liaison.audit.chain import verify_chain


class Command(BaseCommand):
    help = "Work with the audit trail. 'verify' recomputes the hash chain and exits 1 at the first broken event."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="Recompute every event's hash and check the chain links.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            report = verify_chain()
            if report.ok:
                self.stdout.write(f"Audit trail intact: {report.checked} events verified.")
                return
            raise CommandError(
                f"Audit trail broken at event #{report.broken_seq} (id {report.broken_id}): {report.reason}. "
                f"{report.checked} events before it verified.",
                returncode=1,
            )
