"""One report, three formats: PDF (WeasyPrint, from an HTML template), CSV and XLSX (``liaison.lib.tables``).

CSV holds one table per file by nature. Without a ``table`` choice every table of the report goes into one file,
one after the other, each under a line with its title and followed by a blank line (the first line names the
report); with ``table=<key>`` the file is that table alone, its header first, for loading into other tools.
XLSX has a first sheet about the report, then one sheet per table.
"""

from __future__ import annotations

import io

from liaison.insights.reports.base import Report, Table
from liaison.lib.errors import ApplicationError
from liaison.lib.pdf import render_pdf
from liaison.lib.tables import CONTENT_TYPES as TABLE_CONTENT_TYPES
from liaison.lib.tables import Sheet, table_bytes, write_workbook

FORMATS = ("pdf", "csv", "xlsx")
CONTENT_TYPES = {"pdf": "application/pdf", **TABLE_CONTENT_TYPES}
_BOM = "\ufeff".encode()
_SHEET_MAX = 31


def heading(report: Report) -> str:
    return f"{report.title}: {report.site_name} ({report.site_code}), {report.period_words}"


def find_table(report: Report, key: str) -> Table:
    for table in report.tables():
        if table.key == key:
            return table
    keys = ", ".join(t.key for t in report.tables())
    raise ApplicationError(f"The {report.title} has no table {key!r}. Its tables are: {keys}.")


def render(report: Report, fmt: str, *, table: str = "") -> bytes:
    if fmt == "pdf":
        return render_pdf("insights/reports/report_pdf.html", {"report": report, "heading": heading(report)})
    if fmt == "csv":
        return _csv(report, table)
    if fmt == "xlsx":
        return _xlsx(report)
    raise ApplicationError(f"Choose PDF, CSV or XLSX, not {fmt!r}.")


def _csv_body(header: list[str], rows: list[list[object]]) -> bytes:
    return table_bytes("csv", header, rows).removeprefix(_BOM)


def _csv(report: Report, key: str) -> bytes:
    if key:
        chosen = find_table(report, key)
        return table_bytes("csv", chosen.header, chosen.rows)
    out = io.BytesIO()
    out.write(table_bytes("csv", [heading(report)], []))
    out.write(_csv_body([report.audience], []))
    for table in report.tables():
        out.write(b"\r\n")
        out.write(_csv_body([table.title], []))
        out.write(_csv_body(table.header, table.rows))  # type: ignore[arg-type]
    return out.getvalue()


def _sheet_names(tables: list[Table]) -> list[str]:
    used: set[str] = {"About"}
    names = []
    for table in tables:
        base = (table.sheet or table.title)[:_SHEET_MAX]
        name, number = base, 2
        while name.lower() in {u.lower() for u in used}:
            suffix = f" {number}"
            name, number = base[: _SHEET_MAX - len(suffix)] + suffix, number + 1
        used.add(name)
        names.append(name)
    return names


def _xlsx(report: Report) -> bytes:
    tables = report.tables()
    about = Sheet(
        "About",
        ["Report", report.title],
        [
            ["Site", f"{report.site_name} ({report.site_code})"],
            ["From", report.period.start],
            ["To", report.period.end],
            ["Produced", report.generated_at.replace(tzinfo=None)],
            ["For", report.audience],
        ],
    )
    sheets = [about] + [
        Sheet(name, table.header, table.rows) for name, table in zip(_sheet_names(tables), tables, strict=True)
    ]
    out = io.BytesIO()
    write_workbook(sheets, out)
    return out.getvalue()


def filename(report: Report, fmt: str, *, table: str = "") -> str:
    suffix = f"-{table}" if table and fmt == "csv" else ""
    return f"{report.kind}-{report.site_code}-{report.period.start}-to-{report.period.end}{suffix}.{fmt}"
