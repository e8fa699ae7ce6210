"""Tables written as CSV or XLSX, row by row, so that a million rows take no more memory than ten.

One shape for every download (lists, drill-downs, report tables): a header and an iterable of rows. Every
text cell is neutralised against formula injection (``liaison.lib.csvsafe``) in both formats; numbers,
dates and times stay typed in XLSX so that a spreadsheet can sum and sort them.

    write_table("csv", header, rows, out)              # out: a binary file
    write_workbook([Sheet("Cases", header, rows)], out)
    for chunk in stream_csv(header, rows): ...          # for a StreamingHttpResponse
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from liaison.lib.csvsafe import csv_rows, neutralise
from liaison.lib.errors import ApplicationError

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_XLSX_SHEET_TITLE_MAX = 31


@dataclass(frozen=True)
class Sheet:
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ApplicationError(f"Choose CSV or XLSX, not {fmt!r}.")
    return fmt


def stream_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """CSV as UTF-8 bytes with a byte-order mark (so Excel reads accents right), a line at a time."""
    yield "\ufeff".encode()
    for line in csv_rows(list(header), (_csv_cells(row) for row in rows)):
        yield line.encode()


def _csv_cells(row: Sequence[Any]) -> list[Any]:
    return [_csv_cell(value) for value in row]


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _xlsx_cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | Decimal | date):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.replace(tzinfo=None)  # XLSX has no time zones: the caller passes local times
        return value
    return neutralise(value)


def write_workbook(sheets: Iterable[Sheet], out: IO[bytes]) -> None:
    """Write an XLSX workbook in openpyxl's write-only mode: rows go to disk as they come."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=_sheet_title(sheet.title))
        worksheet.append([neutralise(cell) for cell in sheet.header])
        for row in sheet.rows:
            worksheet.append([_xlsx_cell(value) for value in row])
    workbook.save(out)


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip() or "Sheet"
    return cleaned[:_XLSX_SHEET_TITLE_MAX]


def write_table(
    fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]], out: IO[bytes], *, title: str = "Data"
) -> None:
    """Write one table to a binary file in ``fmt`` (``csv`` or ``xlsx``)."""
    if check_format(fmt) == "csv":
        for chunk in stream_csv(header, rows):
            out.write(chunk)
    else:
        write_workbook([Sheet(title, header, rows)], out)


def table_bytes(fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Data") -> bytes:
    """The whole table in memory: for small tables only (a report's summary, a test)."""
    buffer = io.BytesIO()
    write_table(fmt, header, rows, buffer, title=title)
    return buffer.getvalue()


def read_csv(data: bytes) -> list[list[str]]:
    """Parse CSV written by :func:`stream_csv` (tests and round trips)."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
