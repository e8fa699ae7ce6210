"""Importing feedback from CSV and Excel files (FFT exports, comment-card batches), and exporting it again.

A file is read as a stream, one row at a time, and written in batches: each batch is one transaction that adds
the new responses, records the rejected rows and moves the job's counters on. Memory therefore stays the same
whatever the size of the file, and an import that is killed keeps every batch it finished. Each row has a key
(``row_key``: the file's own comment ID, or a hash of the row's values) that is unique per source, so importing
the same file again, in full or after a crash, adds only the rows that are not there yet.

Cells that start with ``=``, ``+``, ``-`` or ``@`` are data and are stored as they are; the danger is a
spreadsheet evaluating them, so every CSV this module writes goes through ``liaison.lib.csvsafe``.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone
from django_tasks import task

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.audit.services import audit_record, model_changes
from liaison.feedback import hooks, tallies
from liaison.feedback.models import (
    Channel,
    FeedbackResponse,
    ImportJob,
    ImportRejection,
    ImportSource,
    ImportStatus,
)
from liaison.lib.csvsafe import csv_rows
from liaison.lib.errors import ApplicationError
from liaison.org.models import Department, Site

# -- Our fields ---------------------------------------------------------------------------------------------

FIELDS: dict[str, str] = {
    "received_on": "Date received",
    "comment": "Comment",
    "question": "Question the comment answers (e.g. FFT question)",
    "fft_score": "FFT score (1–6 or very good … don't know)",
    "likelihood": "Likelihood to recommend (0–10)",
    "department": "Department (code or name)",
    "external_id": "ID in the file (e.g. Comment ID)",
}
REQUIRED_FIELDS = ("received_on",)

# Headings seen in real exports, normalised (lower case, single spaces), in order of preference.
_HEADING_GUESSES: dict[str, tuple[str, ...]] = {
    "external_id": ("comment id", "response id", "external id", "id", "reference", "ref"),
    "received_on": ("date", "received on", "date received", "received", "response date", "survey date"),
    "fft_score": ("fft categorical answer", "fft score", "fft rating", "fft", "score", "rating"),
    "question": ("fft question", "question", "comment question", "prompt"),
    "comment": ("fft answer", "comment", "comments", "free text", "feedback", "text", "what could we do better"),
    "likelihood": ("likelihood", "likelihood to recommend", "recommend score", "nps", "nps score"),
    "department": ("department", "department code", "dept", "ward", "unit", "service"),
}

BATCH_SIZE = 1000
# A running import moves its heartbeat on with every batch (a batch takes a second or two); one not heard from
# for this long has lost its worker.
IMPORT_LEASE = timedelta(minutes=5)
STOPPED_MESSAGE = "The worker running this import stopped before the end; resume to continue."
MAX_UPLOAD_MB = 200
RAW_LIMIT = 2000
_SNIFF_BYTES = 1024 * 1024
_MAX_LINE_BYTES = 1024 * 1024
_EARLIEST = date(1990, 1, 1)
_EXCEL_EPOCH = date(1899, 12, 30)

_FFT_WORDS = {
    "very good": 1,
    "good": 2,
    "neither good nor poor": 3,
    "poor": 4,
    "very poor": 5,
    "don't know": 6,
    "dont know": 6,
    "do not know": 6,
}


def _normalise_heading(heading: str) -> str:
    return " ".join(heading.replace("\ufeff", "").casefold().split())


def guess_mapping(headings: Sequence[str]) -> dict[str, str]:
    """Propose our field → heading from a file's headings (each heading used once; a field may stay unmapped)."""
    by_norm: dict[str, str] = {}
    for heading in headings:
        by_norm.setdefault(_normalise_heading(heading), heading)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field, candidates in _HEADING_GUESSES.items():
        for candidate in candidates:
            found = by_norm.get(candidate)
            if found is not None and found not in used:
                mapping[field] = found
                used.add(found)
                break
    return mapping


def clean_mapping(mapping: dict[str, Any]) -> dict[str, str]:
    """The mapping with blanks dropped, or an ApplicationError saying what is missing or repeated."""
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise ApplicationError(f"Unknown field in the mapping: {', '.join(unknown)}. Use: {', '.join(FIELDS)}.")
    clean = {field: str(heading).strip() for field, heading in mapping.items() if heading and str(heading).strip()}
    if "received_on" not in clean:
        raise ApplicationError("Choose the column that holds the date each response was received.")
    if "comment" not in clean and "fft_score" not in clean:
        raise ApplicationError("Choose a column for the comment or for the FFT score (or both).")
    seen: dict[str, str] = {}
    for field, heading in clean.items():
        if heading in seen:
            raise ApplicationError(
                f"The column “{heading}” is chosen for both {FIELDS[seen[heading]]} and {FIELDS[field]}."
            )
        seen[heading] = field
    return {field: clean[field] for field in FIELDS if field in clean}


# -- Cell values ----------------------------------------------------------------------------------------------

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_SERIAL = re.compile(r"\d{1,6}(?:\.\d+)?")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _short(value: Any, limit: int = 40) -> str:
    text = _text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_date(value: Any, *, today: date) -> date:
    """A date from ISO (2024-03-31), day/month/year (31/03/2024) or an Excel date; ValueError says why not."""
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    else:
        text = _text(value)
        if not text:
            raise ValueError("No date")
        try:
            if match := _ISO.fullmatch(text):
                found = date(int(match[1]), int(match[2]), int(match[3]))
            elif match := _DMY.fullmatch(text):
                year = int(match[3]) + (2000 if len(match[3]) == 2 else 0)
                if int(match[2]) > 12 >= int(match[1]):
                    raise ValueError(
                        f"Date “{_short(value)}” looks like month/day/year; use day/month/year (31/03/2024) "
                        "or 2024-03-31"
                    )
                found = date(year, int(match[2]), int(match[1]))
            elif _SERIAL.fullmatch(text) and 1 <= float(text) < 2958466:
                found = _EXCEL_EPOCH + timedelta(days=int(float(text)))
            else:
                raise ValueError
        except ValueError as exc:
            if str(exc).startswith("Date"):
                raise
            raise ValueError(f"Date “{_short(value)}” is not a date (use 2024-03-31 or 31/03/2024)") from None
    if found > today:
        raise ValueError(f"Date {found:%d/%m/%Y} is in the future")
    if found < _EARLIEST:
        raise ValueError(f"Date {found:%d/%m/%Y} is before 1990; check the date column")
    return found


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(_text(value))
    except ValueError:
        return None


def parse_fft_score(value: Any) -> int | None:
    """1 very good … 5 very poor, 6 don't know, from the number or the words; None when blank."""
    text = _text(value)
    if not text:
        return None
    word = " ".join(text.casefold().replace("’", "'").split())
    if word in _FFT_WORDS:
        return _FFT_WORDS[word]
    number = _number(value)
    if number is None or not number.is_integer() or not 1 <= number <= 6:
        raise ValueError(f"FFT score “{_short(value)}” is not 1–6 or very good … very poor, don't know")
    return int(number)


def parse_likelihood(value: Any) -> int | None:
    text = _text(value)
    if not text:
        return None
    number = _number(value)
    if number is None or not number.is_integer() or not 0 <= number <= 10:
        raise ValueError(f"Likelihood “{_short(value)}” is not a whole number from 0 to 10")
    return int(number)


def _sha256(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()


# -- Reading files --------------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int  # as a spreadsheet shows it: the headings are row 1
    cells: list[Any]
    raw: str
    problem: str = ""  # the file itself is wrong here (encoding, CSV syntax): reject whatever the cells say


class _Table:
    headings: list[str]
    bytes_total: int

    def rows(self) -> Iterator[_Row]:
        raise NotImplementedError

    @property
    def bytes_done(self) -> int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sniff_encoding(head: bytes) -> tuple[str, str]:
    """(codec, what to call it) from the first megabyte of the file.

    UTF-8 if it says so (a byte-order mark) or if its non-ASCII text is mostly valid UTF-8: then a stray
    byte rejects its row, and the rest of the file is not turned into nonsense. Otherwise Windows-1252, which
    is what Excel on Windows writes for "CSV" in England.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ApplicationError(
            "The file is UTF-16 (Excel's “Unicode text”). Save it as “CSV UTF-8” or as an Excel workbook."
        )
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "UTF-8"
    # Not final: a character cut in two at the end of the sample is still UTF-8.
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(head, final=False)
    errors = text.count("\ufffd")
    valid = sum(1 for char in text if char > "\x7f") - errors
    if errors == 0 or valid > errors:
        return "utf-8-sig", "UTF-8"  # -sig: a byte-order mark is dropped wherever a line starts with one
    return "cp1252", "Windows-1252"


class _DecodedLines:
    """Text lines for the csv module from a binary file, noting a line whose bytes do not decode.

    csv.reader pulls lines only until it has a whole record, so the problems noted between two records
    belong to the second one. A line longer than a megabyte is cut (and its record rejected) so that one
    malformed file cannot make the import hold it all in memory.
    """

    def __init__(self, binary: BinaryIO, codec: str, label: str) -> None:
        self.binary = binary
        self.codec = codec
        self.label = label
        self.bytes_read = 0
        self.problem = ""
        self.raw_parts: list[str] = []
        self._raw_length = 0

    def take_record(self) -> tuple[str, str]:
        raw, problem = "".join(self.raw_parts).rstrip("\r\n"), self.problem
        self.raw_parts, self._raw_length, self.problem = [], 0, ""
        return raw, problem

    def __iter__(self) -> Iterator[str]:
        while line := self.binary.readline(_MAX_LINE_BYTES):
            self.bytes_read += len(line)
            if len(line) == _MAX_LINE_BYTES and not line.endswith(b"\n"):
                self.problem = self.problem or "The line is longer than 1 MB"
                self._skip_rest_of_line()
                line += b"\n"
            try:
                text = line.decode(self.codec)
            except UnicodeDecodeError as exc:
                bad = line[exc.start : exc.start + 4]
                self.problem = self.problem or f"The row has bytes that are not {self.label} text ({bad!r})"
                text = line.decode(self.codec, errors="replace")
            if "\x00" in text:
                # PostgreSQL cannot store a NUL character; a text export never holds one.
                self.problem = self.problem or "The row holds a NUL byte (0x00)"
                text = text.replace("\x00", "")
            if self._raw_length < RAW_LIMIT:
                self.raw_parts.append(text[: RAW_LIMIT - self._raw_length])
                self._raw_length += len(self.raw_parts[-1])
            yield text

    def _skip_rest_of_line(self) -> None:
        while chunk := self.binary.readline(_MAX_LINE_BYTES):
            self.bytes_read += len(chunk)
            if chunk.endswith(b"\n"):
                return


class _CsvTable(_Table):
    def __init__(self, path: Path) -> None:
        self.bytes_total = path.stat().st_size
        self._file = path.open("rb")
        try:
            codec, label = _sniff_encoding(self._file.read(_SNIFF_BYTES))
            self._file.seek(0)
            self._lines = _DecodedLines(self._file, codec, label)
            self._reader = csv.reader(self._lines)
            headings = next(self._reader)
        except StopIteration:
            self._file.close()
            raise ApplicationError("The file is empty.") from None
        except csv.Error as exc:
            self._file.close()
            raise ApplicationError(f"The headings row cannot be read as CSV ({exc}).") from None
        except BaseException:
            self._file.close()
            raise
        self._lines.take_record()
        self.headings = [h.replace("\ufeff", "").strip() for h in headings]

    @property
    def bytes_done(self) -> int:
        return self._lines.bytes_read

    def rows(self) -> Iterator[_Row]:
        number = 1
        while True:
            number += 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raw, problem = self._lines.take_record()
                yield _Row(number, [], raw, problem or f"The row cannot be read as CSV ({exc})")
                continue
            raw, problem = self._lines.take_record()
            yield _Row(number, list(cells), raw, problem)

    def close(self) -> None:
        self._file.close()


EXCEL_MAX_ROWS = 1_048_576


class _XlsxTable(_Table):
    def __init__(self, path: Path) -> None:
        from openpyxl import load_workbook

        self.bytes_total = path.stat().st_size
        try:
            self._book = load_workbook(path, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged or foreign zip
            raise ApplicationError("The file looks like an Excel workbook but cannot be opened.") from None
        self._done_rows = 0
        try:
            sheet = self._book.worksheets[0]
            self._max_row = sheet.max_row or 0
            self._iter = sheet.iter_rows(values_only=True)
            first = next(self._iter, None)
        except Exception:  # the sheet's XML is read lazily: a damaged one fails only here or in rows()
            self._book.close()
            raise ApplicationError(
                "The workbook is damaged: its first sheet cannot be read. Open it in Excel and save it again, "
                "or save it as CSV UTF-8."
            ) from None
        if first is None:
            self._book.close()
            raise ApplicationError("The first sheet of the workbook is empty.")
        self._done_rows = 1
        headings = [_text(cell) for cell in first]
        while headings and not headings[-1]:
            headings.pop()
        self.headings = headings

    @property
    def bytes_done(self) -> int:
        # A zip is not read front to back, so progress is counted in rows (the sheet says how many it has).
        if self._max_row <= 0:
            return 0
        return min(self.bytes_total, self.bytes_total * self._done_rows // self._max_row)

    def rows(self) -> Iterator[_Row]:
        while True:
            try:
                values = next(self._iter)
            except StopIteration:
                return
            except Exception:  # openpyxl and the XML parser raise many kinds for a damaged sheet
                raise ApplicationError(
                    f"The workbook is damaged after row {self._done_rows}: the rest of its first sheet cannot be "
                    "read. Open it in Excel and save it again, then import it again: only the rows not imported "
                    "yet are added."
                ) from None
            self._done_rows += 1
            if self._done_rows > EXCEL_MAX_ROWS:
                # A small file can claim a cell millions of rows down; openpyxl would hand over every empty
                # row on the way, holding a worker for hours. No sheet Excel writes goes past this row.
                raise ApplicationError(
                    f"The workbook's first sheet goes past row {EXCEL_MAX_ROWS:,}, the last row Excel allows. "
                    "Open it in Excel and save it again, or save it as CSV UTF-8."
                )
            cells = list(values)
            raw_writer = io.StringIO()
            csv.writer(raw_writer).writerow(["" if c is None else c for c in cells])
            yield _Row(self._done_rows, cells, raw_writer.getvalue().rstrip("\r\n")[:RAW_LIMIT])

    def close(self) -> None:
        self._book.close()


def file_kind(path: Path) -> str:
    """Whether the file is "csv" or "xlsx", judged by its content (not its name); else say what to upload."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head:
        raise ApplicationError("The file is empty.")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
        raise ApplicationError("This zip file is not an Excel workbook. Upload a CSV file or an .xlsx workbook.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ApplicationError("Old Excel files (.xls) cannot be read. Save it as .xlsx or as CSV UTF-8.")
    # Binary files are full of NULs; a text export may hold a stray one, which rejects just its row.
    if head.count(b"\x00") > len(head) // 100 and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ApplicationError("This is not a CSV file or an Excel workbook.")
    return "csv"


def open_table(path: Path) -> _Table:
    """The file's headings and a stream of its rows, whichever of CSV or XLSX it is (by content, not name)."""
    return _XlsxTable(path) if file_kind(path) == "xlsx" else _CsvTable(path)


def read_headings(path: Path) -> list[str]:
    with open_table(path) as table:
        return table.headings


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


# -- Rows to responses ----------------------------------------------------------------------------------------

# What varies from row to row, in this order; every other column of FeedbackResponse is the same for a batch.
_ROW_FIELDS = ("department", "received_on", "fft_score", "likelihood", "comment", "comment_question")
_Parsed = tuple[str, tuple[Any, ...]]  # (row_key, values of _ROW_FIELDS)
_TALLIED_FIELDS = ("department", "received_on", "fft_score", "likelihood")


class _RowReader:
    """Turns one row's cells into a FeedbackResponse and its key, or the reasons it cannot be one."""

    def __init__(self, *, source: ImportSource, headings: list[str]) -> None:
        missing = [heading for heading in source.mapping.values() if heading not in headings]
        if missing:
            shown = ", ".join(f"“{h}”" for h in headings[:30]) or "none"
            raise ApplicationError(
                f"The file has no column {', '.join(f'“{m}”' for m in missing)}, which the mapping of "
                f"“{source.name}” needs. The file's columns are: {shown}. Change the mapping or check the file."
            )
        self.source = source
        self.site = source.site
        self.width = len(headings)
        self.index = {field: headings.index(heading) for field, heading in source.mapping.items()}
        self.today = timezone.localdate(timezone.now(), self.site.zone)
        self.departments: dict[str, Department] = {}
        for department in Department.objects.filter(site=self.site):
            self.departments.setdefault(" ".join(department.name.casefold().split()), department)
            if department.code:
                self.departments[department.code.casefold().strip()] = department

    def _cell(self, cells: list[Any], field: str) -> Any:
        position = self.index.get(field)
        if position is None or position >= len(cells):
            return None
        return cells[position]

    def read(self, row: _Row, *, strict_width: bool) -> _Parsed | str:
        cells = row.cells
        if strict_width and len(cells) != self.width:
            extra = cells[self.width :]
            if len(cells) < self.width or any(_text(c) for c in extra):
                return f"The row has {len(cells)} columns; the headings row has {self.width}"
        if not strict_width and len(cells) > self.width and any(_text(c) for c in cells[self.width :]):
            return f"The row has values beyond the {self.width} headed columns"
        reasons: list[str] = []
        received_on = fft_score = likelihood = None
        try:
            received_on = parse_date(self._cell(cells, "received_on"), today=self.today)
        except ValueError as exc:
            reasons.append(str(exc))
        try:
            fft_score = parse_fft_score(self._cell(cells, "fft_score"))
        except ValueError as exc:
            reasons.append(str(exc))
        try:
            likelihood = parse_likelihood(self._cell(cells, "likelihood"))
        except ValueError as exc:
            reasons.append(str(exc))
        comment = _text(self._cell(cells, "comment"))
        question = " ".join(_text(self._cell(cells, "question")).split())[:500] if comment else ""
        if not comment and fft_score is None and not reasons:
            reasons.append("No comment and no FFT score")
        department = None
        department_text = _text(self._cell(cells, "department"))
        if department_text:
            department = self.departments.get(department_text.casefold()) or self.departments.get(
                " ".join(department_text.casefold().split())
            )
            if department is None:
                reasons.append(
                    f"Department “{_short(department_text)}” is not a department code or name at {self.site.code}"
                )
        if reasons or received_on is None:
            return "; ".join(reasons)[:300]
        external_id = _text(self._cell(cells, "external_id"))
        if external_id:
            row_key = external_id if len(external_id) <= 64 else _sha256("id", external_id)
        else:
            row_key = _sha256(
                "v1",
                received_on.isoformat(),
                " ".join(comment.split()),
                fft_score,
                likelihood,
                department.pk if department else None,
            )
        return row_key, (department.pk if department else None, received_on, fft_score, likelihood, comment, question)


# -- Services -------------------------------------------------------------------------------------------------


def _check_may_import(user: User | None, site: Site) -> None:
    if user is not None and not can(user, Cap.FEEDBACK_WORK, site.pk):
        raise ApplicationError("You cannot import feedback at this site.")


def import_source_save(*, acting_user: User | None, site: Site, name: str, mapping: dict[str, Any]) -> ImportSource:
    """Create the named source at the site, or save a new column mapping on it. ``acting_user`` None: the CLI."""
    _check_may_import(acting_user, site)
    name = " ".join(name.split())
    if not name:
        raise ApplicationError("Give the source a name, e.g. “FFT export — community services”.")
    clean = clean_mapping(mapping)
    with transaction.atomic():
        source, created = ImportSource.objects.select_for_update().get_or_create(
            site=site, name=name, defaults={"mapping": clean}
        )
        if created:
            audit_record(
                action="feedback.import_source.create",
                actor=acting_user,
                obj=source,
                site=site,
                details={"name": name, "mapping": clean},
            )
        elif source.mapping != clean:
            before = source.mapping
            source.mapping = clean
            source.save(update_fields=["mapping"])
            audit_record(
                action="feedback.import_source.mapping",
                actor=acting_user,
                obj=source,
                site=site,
                details={"changes": model_changes(before, clean)},
            )
    return source


def import_job_start(
    *, acting_user: User | None, source: ImportSource, path: Path, file_name: str = "", stored_name: str = ""
) -> ImportJob:
    """Record that this file is about to be imported (the job page shows it at once); the rows come later.

    ``stored_name``: the uploaded copy a web import reads, kept until the job ends so that it can be resumed.
    """
    _check_may_import(acting_user, source.site)
    kind = file_kind(path)  # refuse a file we cannot read before there is a job for it
    with transaction.atomic():
        job = ImportJob.objects.create(
            source=source,
            file_name=(file_name or path.name)[:255],
            file_sha256=file_sha256(path),
            bytes_total=path.stat().st_size,
            started_by=acting_user,
            stored_name=stored_name,
        )
        audit_record(
            action="feedback.import.start",
            actor=acting_user,
            obj=job,
            site=source.site,
            details={
                "source": source.name,
                "file": job.file_name,
                "kind": kind,
                "sha256": job.file_sha256,
                "bytes": job.bytes_total,
            },
        )
    return job


@dataclass
class _Batch:
    responses: list[_Parsed]
    rejections: list[ImportRejection]
    seen: int = 0

    def __len__(self) -> int:
        return len(self.responses) + len(self.rejections)


class _Inserter:
    """Adds a batch of new responses with one INSERT … ON CONFLICT DO NOTHING, run for many rows.

    ``bulk_create`` would send every one of the model's twenty-odd values through the field machinery for
    each row, which made it most of an import's time. Here the values that are the same for every imported
    row (site, source, channel, the model's defaults, created_at) are prepared once per batch from a model
    instance, so a field added to the model later is filled from its default without a change here, and only
    the five that vary (plus the key) are adapted per row.
    """

    def __init__(self, source: ImportSource) -> None:
        meta = FeedbackResponse._meta
        self.source = source
        self.fields = [f for f in meta.concrete_fields if not f.primary_key]
        names = [f.name for f in self.fields]
        self.key_at = names.index("row_key")
        self.value_at = [names.index(name) for name in _ROW_FIELDS]
        self.date_at = names.index("received_on")
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        # Names from the model's own metadata, quoted; the values go as parameters.
        table = quote(meta.db_table)
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT DO NOTHING"  # noqa: S608

    def insert(self, rows: list[_Parsed]) -> None:
        if not rows:
            return
        template = FeedbackResponse(site=self.source.site, source=self.source, channel=Channel.IMPORT)
        fixed = [f.get_db_prep_save(f.pre_save(template, True), connection) for f in self.fields]
        adapt_date = connection.ops.adapt_datefield_value
        params = []
        for key, values in rows:
            row = fixed.copy()
            row[self.key_at] = key
            for at, value in zip(self.value_at, values, strict=True):
                row[at] = value
            row[self.date_at] = adapt_date(row[self.date_at])
            params.append(row)
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, params)

    def count(self, rows: list[_Parsed]) -> None:
        """Add the new rows to the dashboard's tallies (they have no themes or sentiment until analysed)."""
        department_at, day_at, fft_at, likelihood_at = (_ROW_FIELDS.index(n) for n in _TALLIED_FIELDS)
        tallies.add(
            tallies.Facts(
                site_id=self.source.site_id,
                department_id=values[department_at],
                received_on=values[day_at],
                fft_score=values[fft_at],
                likelihood=values[likelihood_at],
            )
            for _, values in rows
        )


class _LeaseLost(Exception):
    """This run's lease ended (it was marked failed, or resumed by another run): it must stop writing."""


_LEASE_FIELDS = ("attempt", "status", "heartbeat_at", "error", "finished_at")
_COUNTERS = ("rows_seen", "rows_added", "rows_already_there", "rows_rejected", "bytes_done")


def _claim(job: ImportJob) -> None:
    """Start a new run of the job: a new attempt number, a fresh lease, and the counters as last committed."""
    ImportJob.objects.filter(pk=job.pk).update(
        attempt=F("attempt") + 1,
        status=ImportStatus.RUNNING,
        heartbeat_at=timezone.now(),
        error="",
        finished_at=None,
    )
    job.refresh_from_db(fields=[*_LEASE_FIELDS, *_COUNTERS])


def _hold_lease(job: ImportJob) -> None:
    """Inside the batch's transaction: lock the job, refuse to go on if this run no longer holds it."""
    current = ImportJob.objects.select_for_update().filter(pk=job.pk).values_list("attempt", "status").first()
    if current != (job.attempt, ImportStatus.RUNNING):
        raise _LeaseLost


def _write_batch(job: ImportJob, batch: _Batch, inserter: _Inserter, bytes_done: int) -> None:
    """One transaction: the new rows, the rejected ones and the job's counters, so a crash loses no count."""
    with transaction.atomic():
        _hold_lease(job)
        # Two imports into the same source take turns here, so "already there" is counted exactly.
        # (SQLite: every transaction begins IMMEDIATE, which already makes writers take turns.)
        list(ImportSource.objects.select_for_update().filter(pk=job.source_id).values_list("pk"))
        keys = {key for key, _ in batch.responses}
        present = set(
            FeedbackResponse.objects.filter(source_id=job.source_id, row_key__in=keys).values_list("row_key", flat=True)
        )
        new: list[_Parsed] = []
        for key, values in batch.responses:
            if key in present:
                job.rows_already_there += 1
            else:
                present.add(key)
                new.append((key, values))
        inserter.insert(new)
        inserter.count(new)
        ImportRejection.objects.bulk_create(batch.rejections)
        job.rows_added += len(new)
        job.rows_rejected += len(batch.rejections)
        job.rows_seen += batch.seen
        job.bytes_done = bytes_done
        job.heartbeat_at = timezone.now()
        job.save(update_fields=[*_COUNTERS, "heartbeat_at"])
    batch.responses.clear()
    batch.rejections.clear()
    batch.seen = 0


def _enqueue_pending_analysis() -> None:
    from liaison.feedback.tasks import analyse_pending

    analyse_pending.enqueue()


def _fail(job: ImportJob, message: str) -> None:
    job.status = ImportStatus.FAILED
    job.error = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    audit_record(
        action="feedback.import.fail",
        actor=job.started_by,
        obj=job,
        site=job.source.site,
        details={"error": message[:300], "rows_added": job.rows_added},
    )


def import_job_run(
    *,
    job: ImportJob,
    path: Path,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportJob], None] | None = None,
) -> ImportJob:
    """Read the file and import its rows in batches; the job ends done, or failed with a message.

    Rows already imported into the source (by an earlier run, or a run that was killed) are counted, not added.
    A job run again (resumed) skips the rows its earlier runs finished: their batches, counters and rejections
    were committed together. A run that loses its lease stops at its next batch and leaves the job as it is.
    """
    source = job.source
    _claim(job)
    done_before = job.rows_seen
    try:
        with open_table(path) as table:
            reader = _RowReader(source=source, headings=table.headings)
            strict_width = isinstance(table, _CsvTable)
            batch = _Batch([], [])
            inserter = _Inserter(source)
            for row in table.rows():
                if not row.problem and not any(_text(cell) for cell in row.cells):
                    continue  # a blank line, or a sheet's empty formatted row
                if done_before:
                    done_before -= 1
                    continue
                batch.seen += 1
                result = row.problem or reader.read(row, strict_width=strict_width)
                if isinstance(result, str):
                    batch.rejections.append(
                        ImportRejection(job=job, row_number=row.number, reason=result[:300], raw=row.raw[:RAW_LIMIT])
                    )
                else:
                    batch.responses.append(result)
                if len(batch) >= batch_size:
                    _write_batch(job, batch, inserter, table.bytes_done)
                    if progress is not None:
                        progress(job)
            _write_batch(job, batch, inserter, table.bytes_total)
    except _LeaseLost:
        job.refresh_from_db()
        return job
    except ApplicationError as exc:
        _fail(job, exc.message)
        return job
    except Exception as exc:
        _fail(
            job,
            f"The import stopped on an unexpected error ({type(exc).__name__}). The rows imported so far are "
            "kept; importing the file again adds the rest.",
        )
        raise
    job.status = ImportStatus.DONE
    job.finished_at = timezone.now()
    job.bytes_done = job.bytes_total
    with transaction.atomic():
        try:
            _hold_lease(job)
        except _LeaseLost:
            job.refresh_from_db()
            return job
        job.save(update_fields=["status", "finished_at", "bytes_done"])
        # The new comments get their themes and sentiment in the background, in batches.
        transaction.on_commit(_enqueue_pending_analysis)
        # An earlier run of this file that was killed would show "running" for ever; this one has finished it.
        ImportJob.objects.filter(
            source=source, file_sha256=job.file_sha256, status=ImportStatus.RUNNING, pk__lt=job.pk
        ).update(
            status=ImportStatus.FAILED,
            error=f"Stopped before the end; import #{job.pk} of the same file finished it.",
            finished_at=job.finished_at,
        )
        audit_record(
            action="feedback.import.finish",
            actor=job.started_by,
            obj=job,
            site=source.site,
            details={
                "rows_seen": job.rows_seen,
                "rows_added": job.rows_added,
                "rows_already_there": job.rows_already_there,
                "rows_rejected": job.rows_rejected,
            },
        )
        # Webhooks: higher apps hear of the finished import in this transaction (liaison/feedback/hooks.py).
        hooks.import_finished(job)
    if progress is not None:
        progress(job)
    return job


def feedback_import_file(
    *,
    acting_user: User | None,
    source: ImportSource,
    path: Path,
    file_name: str = "",
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportJob], None] | None = None,
) -> ImportJob:
    """Start and run an import in this process (the CLI, the tests and the bench)."""
    job = import_job_start(acting_user=acting_user, source=source, path=path, file_name=file_name)
    return import_job_run(job=job, path=path, batch_size=batch_size, progress=progress)


# -- Background job -------------------------------------------------------------------------------------------


def upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def upload_path(stored_name: str) -> Path:
    """The uploaded file's path from its stored name; refuses anything but a plain name in the imports folder."""
    if not re.fullmatch(r"[0-9a-f]{32}\.(csv|xlsx)", stored_name):
        raise ApplicationError("Not an uploaded import file.")
    return upload_dir() / stored_name


@task()
def import_job_task(job_id: int, stored_name: str) -> dict[str, int]:
    """Run an import started from the web pages, then delete the uploaded copy of the file.

    The copy stays while the job may still be resumed: when this run lost its lease to another, or when the
    worker is killed (then nothing here runs at all).
    """
    path = upload_path(stored_name)
    job = ImportJob.objects.select_related("source__site", "started_by").get(pk=job_id)
    keep = False
    try:
        if not path.exists():
            _fail(job, "The uploaded file is no longer there. Upload it again.")
        else:
            import_job_run(job=job, path=path)
            keep = job.status == ImportStatus.RUNNING or job.error == STOPPED_MESSAGE
    finally:
        if not keep:
            path.unlink(missing_ok=True)
    return {"added": job.rows_added, "already_there": job.rows_already_there, "rejected": job.rows_rejected}


def import_jobs_expire() -> int:
    """Mark failed every running import whose worker has not been heard from within the lease; how many.

    Called whenever imports are listed and by the worker's periodic sweep. The update is conditional on the
    lease still being expired, so two callers at once mark (and audit) each job once.
    """
    now = timezone.now()
    cutoff = now - IMPORT_LEASE
    stale = ImportJob.objects.filter(status=ImportStatus.RUNNING, heartbeat_at__lt=cutoff)
    marked = 0
    for job in stale.select_related("source__site", "started_by"):
        with transaction.atomic():
            changed = ImportJob.objects.filter(
                pk=job.pk, status=ImportStatus.RUNNING, attempt=job.attempt, heartbeat_at__lt=cutoff
            ).update(status=ImportStatus.FAILED, error=STOPPED_MESSAGE, finished_at=now)
            if changed:
                marked += 1
                audit_record(
                    action="feedback.import.stalled",
                    actor=None,
                    obj=job,
                    site=job.source.site,
                    details={
                        "last_heard": job.heartbeat_at.isoformat() if job.heartbeat_at else "",
                        "rows_seen": job.rows_seen,
                    },
                )
    return marked


def import_job_resumable(job: ImportJob) -> bool:
    """A failed web import whose uploaded copy is still there, unchanged, can be run again from where it stopped."""
    if job.status != ImportStatus.FAILED or not job.stored_name:
        return False
    try:
        path = upload_path(job.stored_name)
    except ApplicationError:
        return False
    return path.is_file()


def import_job_resume(*, acting_user: User, job: ImportJob) -> ImportJob:
    """Queue a failed import to run again; it skips the rows already done and adds only missing ones."""
    _check_may_import(acting_user, job.source.site)
    if not import_job_resumable(job):
        raise ApplicationError(
            "This import cannot be resumed: it is not stopped, or its uploaded file is no longer kept. "
            "Upload the file again; only the rows not yet imported are added."
        )
    path = upload_path(job.stored_name)
    if file_sha256(path) != job.file_sha256:
        raise ApplicationError("The uploaded file has changed since the import started. Upload it again.")
    with transaction.atomic():
        changed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.FAILED).update(
            status=ImportStatus.RUNNING, error="", finished_at=None, heartbeat_at=None
        )
        if not changed:
            raise ApplicationError("This import was resumed already.")
        audit_record(
            action="feedback.import.resume",
            actor=acting_user,
            obj=job,
            site=job.source.site,
            details={"rows_seen": job.rows_seen, "error": job.error[:300]},
        )
        stored = job.stored_name
        transaction.on_commit(lambda: import_job_task.enqueue(job.pk, stored))
    job.refresh_from_db()
    return job


# -- Reading with the user's scope ----------------------------------------------------------------------------


def import_sites_for_user(*, user: User) -> QuerySet[Site]:
    """Sites where the user may import and export feedback: officers and managers of the site."""
    if not can(user, Cap.FEEDBACK_WORK):
        return Site.objects.none()
    return Site.objects.filter(pk__in=user.site_ids, is_active=True)


def get_import_site_for_user(*, user: User, code: str) -> Site:
    try:
        return import_sites_for_user(user=user).get(code=code)
    except Site.DoesNotExist:
        raise Http404 from None


def import_jobs_for_user(*, user: User) -> QuerySet[ImportJob]:
    """The imports the user may see, after marking those whose worker stopped (so none shows "running" for ever)."""
    if not can(user, Cap.FEEDBACK_WORK):
        return ImportJob.objects.none()
    import_jobs_expire()
    return ImportJob.objects.filter(source__site_id__in=user.site_ids).select_related("source__site", "started_by")


def get_import_job_for_user(*, user: User, pk: int) -> ImportJob:
    try:
        return import_jobs_for_user(user=user).get(pk=pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None


def responses_to_export_for_user(
    *, user: User, site: Site, source: ImportSource | None = None
) -> QuerySet[FeedbackResponse]:
    """The site's feedback (or one source's) for a user who may export it; nothing for anyone else."""
    if site not in import_sites_for_user(user=user) or (source is not None and source.site_id != site.pk):
        return FeedbackResponse.objects.none()
    responses = FeedbackResponse.objects.filter(site=site)
    return responses.filter(source=source) if source is not None else responses


# -- Export ---------------------------------------------------------------------------------------------------

EXPORT_HEADER = [
    "id",
    "received_on",
    "site",
    "department",
    "channel",
    "source",
    "row_key",
    "fft_score",
    "likelihood",
    "comment",
    "comment_question",
    "sentiment",
    "themes",
]


def export_responses_csv(queryset: QuerySet[FeedbackResponse]) -> Iterator[str]:
    """CSV lines of the responses, every cell neutralised against formula injection, read in chunks."""

    def rows() -> Iterable[list[Any]]:
        for r in queryset.select_related("site", "department", "source").order_by("pk").iterator(chunk_size=2000):
            yield [
                r.pk,
                r.received_on.isoformat(),
                r.site.code,
                r.department.name if r.department else "",
                r.channel,
                r.source.name if r.source else "",
                r.row_key,
                r.fft_score if r.fft_score is not None else "",
                r.likelihood if r.likelihood is not None else "",
                r.comment,
                r.comment_question,
                r.get_sentiment_display() if r.sentiment else "",
                "; ".join(r.themes or []),
            ]

    return csv_rows(EXPORT_HEADER, rows())


def export_rejections_csv(job: ImportJob) -> Iterator[str]:
    rows = ([r.row_number, r.reason, r.raw] for r in job.rejections.order_by("row_number").iterator(chunk_size=2000))
    return csv_rows(["row", "reason", "raw"], rows)
