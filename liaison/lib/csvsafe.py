"""CSV output that spreadsheet programs cannot turn into formulas (CSV/formula injection)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A spreadsheet set to split on ";" or tabs (the default for CSV in much of Europe), or a tool that splits
# lines naively, starts a new cell after any of these, whatever the quoting: a formula there runs as well.
# Spaces and double quotes before it do not stop it being read as one.
_INNER_FORMULA = re.compile(r"([;\t\r\n][ \"]*)(?=[=+\-@])")


def neutralise(value: Any) -> str:
    """Prefix with a quote every part of a cell that a spreadsheet would evaluate, so it is shown as text.

    The start of the cell, and the start of each part after a ``;``, a tab or a line break.
    """
    text = "" if value is None else str(value)
    text = _INNER_FORMULA.sub(r"\1'", text)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Yield CSV lines (for a StreamingHttpResponse) with every cell neutralised."""
    writer = csv.writer(_Echo())
    yield writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])
