"""``liaison retention purge [--dry-run] [--site CODE]``: remove personal content past its retention period."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liaison.org.models import Site
from liaison.retention import selectors, services
from liaison.retention.models import PurgeTrigger, RecordType


class Command(BaseCommand):
    help = (
        "Work with retention. 'purge' removes the personal content of every record past its site's retention "
        "period (case files, meeting and appeal records, free-text feedback), keeping references, codes and "
        "figures; open cases and cases on legal hold are never touched. With --dry-run it only lists what would go."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        purge = sub.add_parser("purge", help="Purge what is past its period (or list it, with --dry-run).")
        purge.add_argument("--dry-run", action="store_true", help="List what would be purged; change nothing.")
        purge.add_argument("--site", metavar="CODE", help="Only this site (its code, e.g. RGH).")
        purge.add_argument(
            "--batch-size",
            type=int,
            default=services.BATCH_SIZE,
            help=f"Records fetched at a time (default {services.BATCH_SIZE}); each case is its own transaction.",
        )
        purge.add_argument(
            "--limit", type=int, default=None, help="At most this many records of each kind per site (default: all)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sites = Site.objects.filter(is_active=True).order_by("code")
        if options["site"]:
            sites = sites.filter(code=options["site"].upper())
            if not sites.exists():
                raise CommandError(f"No active site with the code {options['site']!r}.", returncode=2)
        if options["batch_size"] < 1 or (options["limit"] is not None and options["limit"] < 1):
            raise CommandError("--batch-size and --limit must be 1 or more.", returncode=2)
        for site in sites:
            if options["dry_run"]:
                self._dry_run(site)
            else:
                self._purge(site, batch_size=options["batch_size"], limit=options["limit"])

    def _dry_run(self, site: Site) -> None:
        plan = selectors.site_plan(site, label_limit=None)
        day = f"{plan.today.day} {plan.today:%B %Y}"
        lines = [f"{site.code} ({site.name}): what a purge would remove on {day}. Nothing was changed."]
        for item in plan.due.values():
            lines.append(f"  {item.rule.label}, kept {item.rule.describe()}: {item.count}")
            if item.labels:
                lines.append("    " + ", ".join(item.labels))
        if plan.held:
            lines.append(f"  Closed cases kept because of a legal hold: {plan.held}")
        self.stdout.write("\n".join(lines))

    def _purge(self, site: Site, *, batch_size: int, limit: int | None) -> None:
        result = services.purge_site(site=site, trigger=PurgeTrigger.COMMAND, limit=limit, batch_size=batch_size)
        counts = ", ".join(f"{selectors.SHORT_LABELS[key]} {result.counts[key]}" for key in RecordType.values)
        lines = [f"{site.code} ({site.name}): purged {counts}."]
        if result.references:
            lines.append("  " + ", ".join(result.references))
        if result.stopped_at_limit:
            lines.append("  More records are past their period: run the purge again.")
        self.stdout.write("\n".join(lines))
