"""``liaison mail ingest PATH [--site CODE]``: file the emails in a Maildir, a folder of .eml files, or one file.

Each message is added to the case its subject names (e.g. "RE: Your complaint RGH-2026-00042"), opened as a
new case in the triage queue of the site it was addressed to (or ``--site``), or kept aside with a reason.
One line per message, then a count; the exit status is 1 only when something could not be read.

``liaison mail refile ID [--site CODE]`` files again a message that was kept aside, read with today's parser.
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liaison.inbound.imap import Fetched, MailboxError, MailboxSettings, mailbox_fetch, site_for_code
from liaison.inbound.models import InboundMessage, InboundStatus
from liaison.inbound.services import Ingested, inbound_message_ingest, inbound_message_refile
from liaison.inbound.sources import UnreadablePath, message_files, skipped_files
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site

_OUTCOMES = {
    InboundStatus.ATTACHED: "attached",
    InboundStatus.NEW_CASE: "new case",
    InboundStatus.QUARANTINED: "quarantined",
}


def _outcome(result: Ingested) -> str:
    status = InboundStatus(result.message.status)
    if result.duplicate:
        return f"duplicate of inbound message {result.message.pk}"
    if not (result.created or result.refiled):
        return "already ingested"
    outcome = _OUTCOMES.get(status, status.label.lower())
    return f"re-filed: {outcome}" if result.refiled else outcome


def _counted(result: Ingested) -> str:
    """The summary's heading for one result: its status, or "duplicate" when nothing new was filed."""
    return str(result.message.status) if result.created or result.refiled else "duplicate"


def _tally(counts: Counter[str]) -> str:
    """The summary's counts by outcome; automatic mail (bounces, receipts, auto-replies) only when there is some."""
    new_cases = counts[InboundStatus.NEW_CASE]
    text = (
        f"{counts[InboundStatus.ATTACHED]} attached to a case, {new_cases} new case{'' if new_cases == 1 else 's'}, "
        f"{counts[InboundStatus.QUARANTINED]} quarantined, {counts['duplicate']} already ingested"
    )
    if counts[InboundStatus.AUTOMATIC]:
        text += f", {counts[InboundStatus.AUTOMATIC]} automatic (bounces, receipts, auto-replies)"
    return text


def _line(label: str, result: Ingested) -> str:
    message = result.message
    outcome = _outcome(result)
    reference = message.case.reference if message.case else "-"
    if not (result.created or result.refiled):
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
        ingest = sub.add_parser("ingest", help="Ingest one message file, a folder of them (any name), or a Maildir.")
        ingest.add_argument(
            "path", help="A message file, a folder of message files, or a Maildir (with new/ and cur/)."
        )
        ingest.add_argument(
            "--site", metavar="CODE", help="Site for messages whose recipients match no site's complaints address."
        )
        fetch = sub.add_parser("fetch", help="Read the hospital mailbox over IMAP (the LIAISON_IMAP_* settings).")
        fetch.add_argument(
            "--site", metavar="CODE", help="Site for messages whose recipients match no site's complaints address."
        )
        fetch.add_argument("--once", action="store_true", help="Read one batch only (LIAISON_IMAP_BATCH messages).")

        refile = sub.add_parser("refile", help="File again a message that was kept aside, read with today's parser.")
        refile.add_argument("id", type=int, help="The inbound message's number (in the admin).")
        refile.add_argument(
            "--site", metavar="CODE", help="Site for the message if its recipients match no site's complaints address."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "refile":
            self._refile(options["id"], options.get("site"))
        elif options["subcommand"] == "ingest":
            self._ingest(Path(options["path"]), options.get("site"))
        elif options["subcommand"] == "fetch":
            self._fetch(options.get("site"), once=options["once"])

    def _refile(self, pk: int, site_code: str | None) -> None:
        site = None
        if site_code:
            site = Site.objects.filter(code=site_code.upper()).first()
            if site is None:
                raise CommandError(f"No site has the code {site_code}.")
        message = InboundMessage.objects.filter(pk=pk).first()
        if message is None:
            raise CommandError(f"No inbound message has the number {pk}.")
        try:
            result = inbound_message_refile(acting_user=None, message=message, site=site)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(_line(f"Inbound message {pk}", result))

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
            counts[_counted(result)] += 1
            self.stdout.write(_line(item.label, result))
            try:
                item.mark_seen()
            except OSError as exc:
                self.stderr.write(f"{item.label}  stored, but not moved to cur/: {exc.strerror or exc}")

        summary = f"{len(files)} message{'' if len(files) == 1 else 's'}: {_tally(counts)}"
        if counts["unreadable"]:
            summary += f", {counts['unreadable']} unreadable"
        skipped = skipped_files(path)
        if skipped:
            summary += f"; {len(skipped)} skipped"
        self.stdout.write(summary + ".")
        for name, why in skipped:
            self.stdout.write(f"{name}  skipped  -  {why}")
        if counts["unreadable"]:
            raise CommandError(f"{counts['unreadable']} file(s) could not be read and were not ingested.", returncode=1)

    def _fetch(self, site_code: str | None, *, once: bool) -> None:
        """Batches until the folder is empty (or, with --once, one batch); a line per message, then a count."""
        config = MailboxSettings.from_settings()
        if config is None:
            raise CommandError("No mailbox is configured: set LIAISON_IMAP_HOST, LIAISON_IMAP_USER and the password.")
        code = site_code or config.site_code
        fetched: list[Fetched] = []

        def show(item: Fetched) -> None:
            fetched.append(item)
            if item.result is None:
                self.stderr.write(f"UID {item.uid}  {item.problem}")
            else:
                self.stdout.write(f"{_line(f'UID {item.uid}', item.result)}  -> {item.moved_to}")

        try:
            site = site_for_code(code) if code else None
            while True:
                run = mailbox_fetch(config=config, site=site, on_message=show)
                # Stop when the folder is empty, or when a batch moved nothing (all of it failed to file).
                if once or not run.more or not run.moved:
                    break
        except MailboxError as exc:
            if fetched:
                self.stdout.write(_fetch_summary(fetched, config))
            raise CommandError(exc.message, returncode=1) from exc
        self.stdout.write(_fetch_summary(fetched, config))
        if any(item.result is None for item in fetched):
            raise CommandError("Some messages could not be filed; they were left in the mailbox.", returncode=1)


def _fetch_summary(fetched: list[Fetched], config: MailboxSettings) -> str:
    results = [item.result for item in fetched if item.result is not None]
    counts = Counter(_counted(r) for r in results)
    left = len(fetched) - len(results)
    return (
        f"{len(fetched)} message{'' if len(fetched) == 1 else 's'} read from {config.folder} on {config.server}: "
        f"{_tally(counts)}" + (f", {left} left in the mailbox" if left else "") + "."
    )
