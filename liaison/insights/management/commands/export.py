"""``liaison export cases --site CODE [filters] --format csv|xlsx --out FILE``: the case export, for schedulers.

The same columns and code as the worklist's Download links. It runs as the system: every case of the site
(restricted ones too), and patient identity columns only with ``--identity``. The file is written beside
its destination and moved into place when complete, readable by its owner only.
"""

from __future__ import annotations

import os
import tempfile
from argparse import ArgumentParser
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet

from liaison.audit.services import audit_record
from liaison.cases.models import OPEN_STATUSES, Case, CaseType, Status
from liaison.insights.exports import export_cases
from liaison.lib.tables import FORMATS
from liaison.org.models import Site


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} must be a date written YYYY-MM-DD, not {text!r}.") from None


class Command(BaseCommand):
    help = "Export data as CSV or XLSX. 'cases' writes a site's cases, with the worklist export's columns."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        cases = sub.add_parser("cases", help="A site's cases, one row each, oldest received first.")
        cases.add_argument("--site", required=True, help="The site's code, e.g. RGH.")
        statuses = ", ".join(["open", *Status.values])
        cases.add_argument("--status", default="", help=f"Only cases in this status ({statuses}). Default: any.")
        cases.add_argument(
            "--type", default="", dest="case_type", help=f"Only this type ({', '.join(CaseType.values)})."
        )
        cases.add_argument("--from", dest="date_from", default="", help="Received on or after this day (YYYY-MM-DD).")
        cases.add_argument("--to", dest="date_to", default="", help="Received on or before this day (YYYY-MM-DD).")
        cases.add_argument("--identity", action="store_true", help="Include patient and complainant names and MRNs.")
        cases.add_argument("--format", required=True, dest="fmt", help="csv or xlsx.")
        cases.add_argument("--out", required=True, help="The file to write (replaced if it exists).")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["fmt"].lower()
        if fmt not in FORMATS:
            raise CommandError(f"--format must be csv or xlsx, not {options['fmt']!r}.")
        site = Site.objects.filter(code__iexact=options["site"]).first()
        if site is None:
            known = ", ".join(Site.objects.order_by("code").values_list("code", flat=True)) or "none yet"
            raise CommandError(f"No site has the code {options['site']!r} (known: {known}).")
        status, case_type = options["status"], options["case_type"]
        if status and status != "open" and status not in Status.values:
            raise CommandError(f"--status must be open or one of {', '.join(Status.values)}, not {status!r}.")
        if case_type and case_type not in CaseType.values:
            raise CommandError(f"--type must be one of {', '.join(CaseType.values)}, not {case_type!r}.")
        first = _day(options["date_from"], "--from") if options["date_from"] else None
        last = _day(options["date_to"], "--to") if options["date_to"] else None
        if first and last and first > last:
            raise CommandError("--from is after --to.")
        out = Path(options["out"])
        cases = _cases(site, status=status, case_type=case_type, first=first, last=last)
        identity = bool(options["identity"])
        rows = self._write(cases, fmt=fmt, out=out, identity=identity)
        audit_record(
            action="export.cases",
            actor=None,
            object_type="cases.case",
            site=site,
            details={
                "via": "command line",
                "format": fmt,
                "filters": {
                    "site": site.code,
                    "status": status,
                    "type": case_type,
                    "from": first.isoformat() if first else "",
                    "to": last.isoformat() if last else "",
                },
                "identity": identity,
                "rows": rows,
            },
        )
        self.stdout.write(f"Wrote {rows} case{'' if rows == 1 else 's'} to {out}.")

    def _write(self, cases: QuerySet[Case], *, fmt: str, out: Path, identity: bool) -> int:
        if out.is_dir():
            raise CommandError(f"--out {out} is a folder; name a file in it.")
        try:
            # mkstemp makes the file readable by its owner only: it may hold patient identities.
            handle, partial = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
        except OSError as exc:
            raise CommandError(f"Cannot write to {out}: {exc.strerror or exc}.") from None
        try:
            with os.fdopen(handle, "wb") as stream:
                rows = export_cases(cases, fmt=fmt, out=stream, identity=identity)
            os.replace(partial, out)
        except OSError as exc:
            Path(partial).unlink(missing_ok=True)
            raise CommandError(f"Cannot write to {out}: {exc.strerror or exc}.") from None
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return rows


def _cases(site: Site, *, status: str, case_type: str, first: date | None, last: date | None) -> QuerySet[Case]:
    cases = Case.objects.filter(site=site)
    if status == "open":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif status:
        cases = cases.filter(status=status)
    if case_type:
        cases = cases.filter(case_type=case_type)
    # Days in the site's own time zone, as everywhere else in Liaison.
    if first:
        cases = cases.filter(received_at__gte=datetime.combine(first, time.min, tzinfo=site.zone))
    if last:
        cases = cases.filter(received_at__lt=datetime.combine(last + timedelta(days=1), time.min, tzinfo=site.zone))
    return cases.order_by("received_at", "pk")
