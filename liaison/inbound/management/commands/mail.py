"""``liaison mail ingest PATH [--site CODE]``: file the emails in a Maildir, a folder of .eml files, or one file.

Each message is added to the case its subject names (e.g. "RE: Your complaint RGH-2026-00042"), opened as a
new case in the triage queue of the site it was addressed to (or ``--site``), or kept aside with a reason.
One line per message, then a count; the exit status is 1 only when something could not be read.
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liaison.inbound.models import InboundStatus
from liaison.inbound.services import Ingested, inbound_message_ingest
from liaison.inbound.sources import UnreadablePath, message_files
from liaison.org.models import Site

_OUTCOMES = {
    InboundStatus.ATTACHED: "attached",
    InboundStatus.NEW_CASE: "new case",
    InboundStatus.QUARANTINED: "quarantined",
}


def _line(label: str, result: Ingested) -> str:
    message = result.message
    outcome = _OUTCOMES[InboundStatus(message.status)] if result.created else "already ingested"
    reference = message.case.reference if message.case else "-"
    if not result.created:
        reason = ""
    elif message.status == InboundStatus.QUARANTINED:
        reason = message.reason
    elif result.withheld:
        # File names can name the patient; the case timeline says which files and why.
        count = len(result.withheld)
        reason = f"{count} attachment{'s' if count > 1 else ''} withheld (see the case timeline)"
    else:
        reason = ""
    return "  ".join(part for part in (label, outcome, reference, reason) if part)


class Command(BaseCommand):
    help = "Read inbound email. 'ingest PATH' files each message onto its case, as a new case, or aside."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        ingest = sub.add_parser("ingest", help="Ingest a .eml file, a folder of .eml files, or a Maildir.")
        ingest.add_argument("path", help="A .eml file, a folder of .eml files, or a Maildir (with new/ and cur/).")
        ingest.add_argument(
            "--site", metavar="CODE", help="Site for messages whose recipients match no site's complaints address."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "ingest":
            self._ingest(Path(options["path"]), options.get("site"))

    def _ingest(self, path: Path, site_code: str | None) -> None:
        site = None
        if site_code:
            site = Site.objects.filter(code=site_code.upper()).first()
            if site is None:
                raise CommandError(f"No site has the code {site_code}.")
        try:
            files = message_files(path)
        except UnreadablePath as exc:
            raise CommandError(str(exc), returncode=1) from exc

        counts: Counter[str] = Counter()
        for item in files:
            try:
                raw = item.read()
            except OSError as exc:
                counts["unreadable"] += 1
                self.stderr.write(f"{item.label}  unreadable  -  {exc.strerror or exc}; left where it is")
                continue
            result = inbound_message_ingest(raw=raw, site=site)
            counts[str(result.message.status) if result.created else "duplicate"] += 1
            self.stdout.write(_line(item.label, result))
            try:
                item.mark_seen()
            except OSError as exc:
                self.stderr.write(f"{item.label}  stored, but not moved to cur/: {exc.strerror or exc}")

        summary = (
            f"{len(files)} message{'' if len(files) == 1 else 's'}: "
            f"{counts[InboundStatus.ATTACHED]} attached to a case, {counts[InboundStatus.NEW_CASE]} new case"
            f"{'' if counts[InboundStatus.NEW_CASE] == 1 else 's'}, {counts[InboundStatus.QUARANTINED]} quarantined, "
            f"{counts['duplicate']} already ingested"
        )
        if counts["unreadable"]:
            summary += f", {counts['unreadable']} unreadable"
        self.stdout.write(summary + ".")
        if counts["unreadable"]:
            raise CommandError(f"{counts['unreadable']} file(s) could not be read and were not ingested.", returncode=1)
