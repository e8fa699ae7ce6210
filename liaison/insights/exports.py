"""Downloads of lists and report tables as CSV or XLSX: the case export's columns, and one response helper.

Every download goes through :func:`download_response`, which writes the audit row and sends the table in
constant memory: CSV streams row by row; XLSX is written to a temporary file on disk (a workbook is a zip
and cannot be streamed before it is finished) and then sent from there.

The case export reads cases a chunk at a time (``iterator(chunk_size=...)`` over ``values()``), and reads
the issues of each chunk with one more query, so that a million cases take no more memory than a few
thousand. Patient identity columns are selected from the database only when they are asked for.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from liaison.audit.services import audit_record
from liaison.cases.models import Case, CaseType, Channel, HcatCategory, Issue, Outcome, Priority, Status
from liaison.lib.tables import CONTENT_TYPES, Sheet, check_format, stream_csv, write_table, write_workbook
from liaison.org.models import Site

CHUNK = 2000

Row = dict[str, Any]


@dataclass(frozen=True)
class CaseIssues:
    """What a case's issues add to its row: HCAT categories and departments, each once, in issue order."""

    categories: list[str]
    departments: list[str]


@dataclass(frozen=True)
class Column:
    heading: str
    fields: tuple[str, ...]  # what it reads from the case (``values()`` names)
    value: Callable[[Row, CaseIssues], Any]
    identity: bool = False  # a patient identity: only for users who hold Cap.CASE_IDENTITY


def _local(name: str) -> Callable[[Row, CaseIssues], datetime | None]:
    def value(row: Row, issues: CaseIssues) -> datetime | None:
        moment = row[name]
        if moment is None:
            return None
        # To the minute, as the CSV shows it: a deadline at 23:59:59.999999 must not read as midnight
        # the next day once a spreadsheet has rounded it to its own precision.
        local = timezone.localtime(moment, ZoneInfo(row["site__time_zone"]))
        return local.replace(second=0, microsecond=0)

    return value


def _label(name: str, labels: dict[str, str]) -> Callable[[Row, CaseIssues], str]:
    return lambda row, issues: labels.get(row[name], row[name] or "")


def _department(row: Row, issues: CaseIssues) -> str:
    # The departments coded on its issues; before any is coded, the one the complainant named.
    return "; ".join(issues.departments) or (row["reported_department__name"] or "")


def _patient_name(row: Row, issues: CaseIssues) -> str:
    return str(row["patient_name"]) if row["patient_known"] else ""


def _complainant_name(row: Row, issues: CaseIssues) -> str:
    return str(row["patient_name"] if row["complainant_is_patient"] else row["complainant_name"])


CASE_COLUMNS: tuple[Column, ...] = (
    Column("Reference", ("reference",), lambda row, issues: row["reference"]),
    Column("Site", ("site__code",), lambda row, issues: row["site__code"]),
    Column("Type", ("case_type",), _label("case_type", dict(CaseType.choices))),
    Column("Channel", ("channel",), _label("channel", dict(Channel.choices))),
    Column("Status", ("status",), _label("status", dict(Status.choices))),
    Column("Received (site time)", ("received_at",), _local("received_at")),
    Column("Patient name", ("patient_known", "patient_name"), _patient_name, identity=True),
    Column("MRN", ("patient_mrn",), lambda row, issues: row["patient_mrn"], identity=True),
    Column(
        "Complainant name",
        ("complainant_is_patient", "complainant_name", "patient_name"),
        _complainant_name,
        identity=True,
    ),
    Column("Owner", ("owner__full_name",), lambda row, issues: row["owner__full_name"] or ""),
    Column("Department", ("reported_department__name",), _department),
    Column("Priority", ("priority",), _label("priority", dict(Priority.choices))),
    Column("Next due (site time)", ("next_due_at",), _local("next_due_at")),
    Column("Acknowledged (site time)", ("acknowledged_at",), _local("acknowledged_at")),
    Column("Responded (site time)", ("responded_at",), _local("responded_at")),
    Column("Closed (site time)", ("closed_at",), _local("closed_at")),
    Column("Outcome", ("outcome",), _label("outcome", dict(Outcome.choices))),
    Column("HCAT categories", (), lambda row, issues: "; ".join(issues.categories)),
)

_CATEGORY_LABELS = dict(HcatCategory.choices)


def case_columns(*, identity: bool) -> list[Column]:
    return [column for column in CASE_COLUMNS if identity or not column.identity]


def case_header(*, identity: bool) -> list[str]:
    return [column.heading for column in case_columns(identity=identity)]


def _issues_of(case_ids: list[int]) -> dict[int, CaseIssues]:
    found: dict[int, CaseIssues] = {}
    issues = (
        Issue.objects.filter(case_id__in=case_ids)
        .order_by("case_id", "pk")
        .values_list("case_id", "category", "department__name")
    )
    for case_id, category, department in issues:
        entry = found.setdefault(case_id, CaseIssues([], []))
        label = _CATEGORY_LABELS.get(category, "")
        if label and label not in entry.categories:
            entry.categories.append(label)
        if department and department not in entry.departments:
            entry.departments.append(department)
    return found


_NO_ISSUES = CaseIssues([], [])


def case_rows(cases: QuerySet[Case], *, identity: bool) -> Iterator[list[Any]]:
    """One list of plain values per case, in the queryset's order, columns as :func:`case_header` names them.

    Reads only the columns shown (no identity column unless ``identity``), ``CHUNK`` cases at a time.
    """
    columns = case_columns(identity=identity)
    names = ["pk", "site__time_zone", *dict.fromkeys(name for column in columns for name in column.fields)]
    chunk: list[Row] = []
    for row in cases.values(*names).iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield from _chunk_rows(chunk, columns)
            chunk = []
    if chunk:
        yield from _chunk_rows(chunk, columns)


def _chunk_rows(chunk: list[Row], columns: list[Column]) -> Iterator[list[Any]]:
    issues = _issues_of([row["pk"] for row in chunk])
    for row in chunk:
        of_case = issues.get(row["pk"], _NO_ISSUES)
        yield [column.value(row, of_case) for column in columns]


def export_cases(cases: QuerySet[Case], *, fmt: str, out: IO[bytes], identity: bool) -> int:
    """Write the cases to ``out`` (a binary file) as CSV or XLSX; returns the number of rows written."""
    counter = _Counter(case_rows(cases, identity=identity))
    write_table(fmt, case_header(identity=identity), counter, out, title="Cases")
    return counter.count


class _Counter:
    """Passes rows through, counting them."""

    def __init__(self, rows: Iterable[Sequence[Any]]) -> None:
        self._rows = iter(rows)
        self.count = 0

    def __iter__(self) -> Iterator[Sequence[Any]]:
        return self

    def __next__(self) -> Sequence[Any]:
        row = next(self._rows)
        self.count += 1
        return row


_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


# An XLSX file is built whole before its first byte can be sent (about 0.4 ms a row): past this many rows a
# browser or proxy would give up waiting. CSV streams as it is written, so any size downloads as CSV, and
# `liaison export cases` writes XLSX of any size (up to the format's 1,048,576 rows) from the command line.
XLSX_WEB_MAX_ROWS = 100_000


def _with_format(request: HttpRequest, fmt: str) -> str:
    path = re.sub(r"\.(csv|xlsx)$", f".{fmt}", request.path)
    return f"{path}?{request.GET.urlencode()}" if request.GET else path


def download_filename(stem: str, fmt: str) -> str:
    """``stem-YYYYMMDD-HHMM.fmt``. Callers name what the table is (``liaison-cases``), never whom it is about."""
    safe = _UNSAFE_FILENAME.sub("-", stem).strip("-.") or "liaison-export"
    return f"{safe}-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{fmt}"


def download_response(
    request: HttpRequest,
    *,
    filename: str,
    fmt: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    audit_action: str,
    audit_details: dict[str, Any],
    audit_object_type: str = "",
    site: Site | None = None,
    sheet_title: str = "Data",
    rows_expected: int | None = None,
) -> StreamingHttpResponse | FileResponse | HttpResponse:
    """A list or report table as a CSV or XLSX download, audited before a byte of it is sent.

    ``filename`` is a stem without patient data; the time and the extension are added. ``audit_details``
    says what was exported (filters, row count), never patient data; the format is added to it.
    """
    check_format(fmt)
    if fmt == "xlsx" and rows_expected is not None and rows_expected > XLSX_WEB_MAX_ROWS:
        return render(
            request,
            "insights/exports/too_many_for_xlsx.html",
            {"rows": rows_expected, "limit": XLSX_WEB_MAX_ROWS, "csv_url": _with_format(request, "csv")},
        )
    audit_record(
        action=audit_action,
        actor=request.user,
        object_type=audit_object_type,
        site=site,
        details={"format": fmt, **audit_details},
    )
    name = download_filename(filename, fmt)
    response: StreamingHttpResponse | FileResponse
    if fmt == "csv":
        response = StreamingHttpResponse(stream_csv(header, rows), content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        # On disk, not in memory: FileResponse closes (and so deletes) the temporary file when sent.
        spool = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            write_workbook([Sheet(sheet_title, header, rows)], spool)
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        response = FileResponse(spool, as_attachment=True, filename=name, content_type=CONTENT_TYPES["xlsx"])
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
