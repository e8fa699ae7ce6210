"""``liaison feedback_import FILE --source NAME --site CODE [--mapping JSON]``: import a CSV or XLSX of feedback.

The first import under a source name saves its column mapping (the one given, or one guessed from the file's
headings); later imports reuse it, and ``--mapping`` replaces it. A progress line on stderr shows the share of
the file read and the rows per second; the summary goes to stdout. Running it again on the same file, or after
it was stopped half-way, adds only the rows that are not there yet. Exit status 1 when the file cannot be
imported at all (rows rejected one by one are reported, not an error).
"""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from liaison.feedback.imports import (
    BATCH_SIZE,
    FIELDS,
    feedback_import_file,
    guess_mapping,
    import_source_save,
    read_headings,
)
from liaison.feedback.models import ImportJob, ImportSource, ImportStatus
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site

_BAR_WIDTH = 30


class ProgressBar:
    """One line, rewritten in place with a carriage return: the bar, the percentage of bytes, rows and rows/s."""

    def __init__(self, stream: OutputWrapper, *, min_interval: float = 0.2) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.last = 0.0
        self.min_interval = min_interval

    def __call__(self, job: ImportJob) -> None:
        now = time.monotonic()
        finished = job.status != ImportStatus.RUNNING
        if not finished and now - self.last < self.min_interval:
            return
        self.last = now
        share = job.bytes_done / job.bytes_total if job.bytes_total else 1.0
        filled = int(share * _BAR_WIDTH)
        rate = job.rows_seen / max(now - self.started, 1e-6)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {share:4.0%}  {job.rows_seen:,} rows  {rate:,.0f} rows/s",
            ending="\n" if finished else "",
        )
        self.stream.flush()


class Command(BaseCommand):
    help = "Import feedback from a CSV or Excel (.xlsx) file, e.g. an NHS Friends and Family Test export."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="The CSV or .xlsx file.")
        parser.add_argument("--source", required=True, metavar="NAME", help="The feed's name; its mapping is saved.")
        parser.add_argument("--site", required=True, metavar="CODE", help="The site the feedback is about, e.g. RGH.")
        parser.add_argument(
            "--mapping",
            metavar="JSON",
            help=f'Our field → the file\'s heading, e.g. \'{{"received_on": "Date", "comment": "FFT answer"}}\'. '
            f"Fields: {', '.join(FIELDS)}.",
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help=f"Rows per transaction ({BATCH_SIZE}).")
        parser.add_argument("--no-progress", action="store_true", help="No progress line on stderr.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            site = Site.objects.get(code=options["site"].upper())
        except Site.DoesNotExist:
            raise CommandError(f"No site with the code {options['site']!r}.") from None
        try:
            source = self._source(site, options["source"], path, options.get("mapping"))
            progress = None if options["no_progress"] else ProgressBar(self.stderr)
            job = feedback_import_file(
                acting_user=None,
                source=source,
                path=path,
                file_name=path.name,
                batch_size=max(1, options["batch_size"]),
                progress=progress,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        if job.status == ImportStatus.FAILED:
            raise CommandError(f"Import #{job.pk} of {path.name} failed: {job.error}")
        self.stdout.write(
            f"Import #{job.pk} of {path.name} into “{source.name}” ({site.code}): {job.rows_seen:,} rows read, "
            f"{job.rows_added:,} added, {job.rows_already_there:,} already there, {job.rows_rejected:,} rejected."
        )
        for rejection in job.rejections.order_by("row_number")[:10]:
            self.stdout.write(f"  row {rejection.row_number}: {rejection.reason}")
        if job.rows_rejected > 10:
            self.stdout.write(f"  … and {job.rows_rejected - 10:,} more: see the import's page for all of them.")

    def _source(self, site: Site, name: str, path: Path, mapping_json: str | None) -> ImportSource:
        mapping: dict[str, Any] | None = None
        if mapping_json:
            try:
                mapping = json.loads(mapping_json)
            except json.JSONDecodeError as exc:
                raise CommandError(f"--mapping is not valid JSON: {exc}") from None
            if not isinstance(mapping, dict):
                raise CommandError('--mapping must be a JSON object, e.g. {"received_on": "Date"}.')
        source = ImportSource.objects.filter(site=site, name=" ".join(name.split())).select_related("site").first()
        if source is not None and mapping is None:
            return source
        if mapping is not None:
            return import_source_save(acting_user=None, site=site, name=name, mapping=mapping)
        headings = read_headings(path)
        mapping = guess_mapping(headings)
        try:
            source = import_source_save(acting_user=None, site=site, name=name, mapping=mapping)
        except ApplicationError as exc:
            raise CommandError(
                f"{exc.message} The mapping could not be guessed from the headings "
                f"({', '.join(headings[:20])}); give it with --mapping."
            ) from None
        self.stderr.write(f"New source “{source.name}”: mapping {json.dumps(source.mapping, ensure_ascii=False)}")
        return source
