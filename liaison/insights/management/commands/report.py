"""``liaison report KIND --site CODE [--from DATE --to DATE] [--format pdf|csv|xlsx] --out FILE``.

For a hospital's scheduler and for checks: the same code as the reports page (``reports.produce``), audited as
``report.download`` with no user and "command line" as its origin. It counts every case of the site and never
prints a patient's identity.
"""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liaison.insights.measures import Period
from liaison.insights.reports import KINDS
from liaison.insights.reports.base import ReportRefused
from liaison.insights.reports.produce import report_produce, usual_period
from liaison.insights.reports.render import FORMATS
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date written like 2026-01-31, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Produce a report as the reports page does: board, ko41a, annual, grievance-log or cqc, for one site and "
        "period, as PDF, CSV or XLSX. Without --from and --to: the last full month (the last financial year for "
        "ko41a and annual)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=list(KINDS), help="Which report.")
        parser.add_argument("--site", required=True, help="The site's code, e.g. RGH.")
        parser.add_argument("--from", dest="date_from", help="First day, e.g. 2026-01-01.")
        parser.add_argument("--to", dest="date_to", help="Last day, e.g. 2026-01-31.")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, default="pdf")
        parser.add_argument("--table", default="", help="CSV only: write this one table (e.g. measures).")
        parser.add_argument("--out", required=True, help="The file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        site = Site.objects.filter(code=options["site"]).first()
        if site is None:
            known = ", ".join(Site.objects.order_by("code").values_list("code", flat=True)) or "none yet"
            raise CommandError(f"No site has the code {options['site']!r}. Sites: {known}.")
        start, end = _day(options["date_from"], "--from"), _day(options["date_to"], "--to")
        if (start is None) != (end is None):
            raise CommandError("Give both --from and --to, or neither for the report's usual period.")
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"The folder {out.parent} does not exist.")
        kind = KINDS[options["kind"]]
        try:
            period = Period(start, end) if start is not None and end is not None else usual_period(kind, site)
            produced = report_produce(
                acting_user=None, kind=kind.key, site=site, period=period, fmt=options["fmt"], table=options["table"]
            )
        except ReportRefused as refused:
            raise CommandError(refused.message) from None
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        out.write_bytes(produced.content)
        self.stdout.write(
            f"Wrote the {kind.title} for {site.name}, {produced.report.period_words}, to {out} "
            f"({len(produced.content):,} bytes)."
        )
