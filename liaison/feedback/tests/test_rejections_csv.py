"""The rejected-rows download stays inert in a spreadsheet that splits cells on ";" or tabs."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.feedback.imports import feedback_import_file, guess_mapping, import_source_save
from liaison.feedback.tests.test_imports import HEADINGS, fft_row, write_csv

FORMULA_STARTS = ("=", "+", "-", "@")


def cells_as_split_by(text: str, delimiter: str) -> list[str]:
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [cell for row in rows for cell in row]


def evaluated(cell: str) -> bool:
    return cell.lstrip(' "').startswith(FORMULA_STARTS)


@pytest.mark.django_db
def test_the_rejected_rows_csv_neutralises_formulas_hidden_after_a_semicolon_or_tab(  # type: ignore[no-untyped-def]
    cast: Cast, as_user, tmp_path: Path, settings
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    rows = [fft_row(i) for i in range(3)]
    rows[0][3] = "x;=cmd|'/C calc'!A0"  # the date cell: its text is quoted back in the reason
    rows[1][3] = 'x\t=HYPERLINK("http://evil.example")'
    rows[2][3] = "x; @SUM(1+1)*cmd|'/C calc'!A0"
    source = import_source_save(acting_user=cast.officer, site=cast.rgh, name="FFT", mapping=guess_mapping(HEADINGS))
    job = feedback_import_file(acting_user=cast.officer, source=source, path=write_csv(tmp_path / "fft.csv", rows))
    assert job.rows_rejected == 3

    response = as_user(cast.officer).get(reverse("feedback_import:rejections-csv", args=[job.pk]))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()

    for delimiter in (",", ";", "\t"):
        dangerous = [cell for cell in cells_as_split_by(text, delimiter) if evaluated(cell)]
        assert dangerous == [], delimiter
    # Read as intended, each cell still says what was in the file.
    report = list(csv.reader(io.StringIO(text)))
    assert report[1][1].startswith("Date “x;'=cmd|'/C calc'!A0” is not a date")
    assert report[3][1].startswith("Date “x; '@SUM(1+1)*cmd|'/C calc'!A0” is not")
