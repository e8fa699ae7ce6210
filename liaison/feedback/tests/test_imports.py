"""Feedback imports: streamed in constant memory, each row once however often the file comes, bad rows reported."""

from __future__ import annotations

import csv
import gc
import io
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from conftest import Cast, make_cast
from liaison.audit.models import AuditEvent
from liaison.feedback.imports import (
    export_rejections_csv,
    export_responses_csv,
    feedback_import_file,
    guess_mapping,
    import_source_save,
    parse_date,
    read_headings,
)
from liaison.feedback.models import FeedbackResponse, ImportJob, ImportSource, ImportStatus
from liaison.lib.errors import ApplicationError

REPO = Path(__file__).resolve().parents[3]
FFT_SAMPLE = REPO.parent / "shared" / "data" / "nhs_qdc_v6_labelled.csv"
HEADINGS = [
    "Comment ID",
    "Trust",
    "Respondent ID",
    "Date",
    "Service type 1",
    "Service type 2",
    "FFT categorical answer",
    "FFT question",
    "FFT answer",
]
FIRST_DAY = date(2024, 1, 1)


def fft_row(i: int) -> list[str]:
    day = FIRST_DAY + timedelta(days=i % 365)
    return [
        f"RGH {i} - Q1",
        "RGH",
        f"RGH {i}",
        f"{day:%d/%m/%Y}",
        "Emergency care",
        "",
        str(1 + i % 6),
        "FFT Why?",
        f"Response {i}: the nurses were kind and the wait was {i % 7} hours.",
    ]


def write_csv(
    path: Path, rows: Iterable[list[Any]], *, headings: list[str] = HEADINGS, encoding: str = "utf-8"
) -> Path:
    """Written row by row, so even the large files never sit in memory."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headings)
        for row in rows:
            writer.writerow(row)
    return path


def fft_file(path: Path, count: int, start: int = 0) -> Path:
    return write_csv(path, (fft_row(i) for i in range(start, start + count)))


def make_source(cast: Cast, name: str = "FFT export", mapping: dict[str, str] | None = None) -> ImportSource:
    return import_source_save(
        acting_user=cast.officer, site=cast.rgh, name=name, mapping=mapping or guess_mapping(HEADINGS)
    )


def run(cast: Cast, source: ImportSource, path: Path, **extra: Any) -> ImportJob:
    return feedback_import_file(acting_user=cast.officer, source=source, path=path, **extra)


def reasons(job: ImportJob) -> dict[int, str]:
    return dict(job.rejections.values_list("row_number", "reason"))


# -- Mapping ----------------------------------------------------------------------------------------------------


def test_the_mapping_of_an_nhs_fft_export_is_guessed_from_its_headings() -> None:
    assert guess_mapping(HEADINGS) == {
        "external_id": "Comment ID",
        "received_on": "Date",
        "fft_score": "FFT categorical answer",
        "comment": "FFT answer",
        "question": "FFT question",
    }


@pytest.mark.django_db
def test_a_mapping_without_a_date_or_without_comment_and_score_is_refused(cast: Cast) -> None:
    with pytest.raises(ApplicationError, match="date"):
        make_source(cast, mapping={"comment": "FFT answer"})
    with pytest.raises(ApplicationError, match="comment or for the FFT score"):
        make_source(cast, mapping={"received_on": "Date"})
    with pytest.raises(ApplicationError, match="chosen for both"):
        make_source(cast, mapping={"received_on": "Date", "comment": "Date"})


@pytest.mark.django_db
def test_only_officers_and_managers_of_the_site_may_set_up_a_source(cast: Cast) -> None:
    for user in (cast.investigator, cast.executive, cast.auditor, cast.outsider):
        with pytest.raises(ApplicationError):
            import_source_save(acting_user=user, site=cast.rgh, name="FFT", mapping=guess_mapping(HEADINGS))
    assert import_source_save(acting_user=cast.manager, site=cast.rgh, name="FFT", mapping=guess_mapping(HEADINGS))


# -- Importing --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_file_imports_once_and_a_second_import_adds_nothing(cast: Cast, tmp_path: Path) -> None:
    source = make_source(cast)
    path = fft_file(tmp_path / "fft.csv", 2500)
    first = run(cast, source, path, batch_size=1000)
    assert (first.status, first.rows_seen, first.rows_added, first.rows_rejected) == ("done", 2500, 2500, 0)
    assert first.bytes_done == first.bytes_total == path.stat().st_size
    second = run(cast, source, path)
    assert (second.status, second.rows_added, second.rows_already_there) == ("done", 0, 2500)
    assert FeedbackResponse.objects.filter(source=source).count() == 2500
    response = FeedbackResponse.objects.get(source=source, row_key="RGH 7 - Q1")
    assert (response.site, response.channel, response.received_on, response.fft_score) == (
        cast.rgh,
        "import",
        FIRST_DAY + timedelta(days=7),
        2,
    )
    assert response.comment.startswith("Response 7: the nurses")
    actions = list(AuditEvent.objects.filter(object_type="feedback.importjob").values_list("action", flat=True))
    assert actions.count("feedback.import.start") == 2 and actions.count("feedback.import.finish") == 2


@pytest.mark.django_db
def test_a_larger_file_imports_in_memory_that_does_not_grow_with_it(cast: Cast, tmp_path: Path) -> None:
    small = fft_file(tmp_path / "small.csv", 3_000)
    large = fft_file(tmp_path / "large.csv", 30_000, start=3_000)
    run(cast, make_source(cast, "warm-up"), fft_file(tmp_path / "warm.csv", 1_500, start=50_000))

    def peak(path: Path, name: str) -> int:
        source = make_source(cast, name)
        gc.collect()
        tracemalloc.start()
        try:
            job = run(cast, source, path)
            used = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert job.rows_added == job.rows_seen
        return used

    small_peak, large_peak = peak(small, "small"), peak(large, "large")
    # Ten times the rows; the same batch of 1,000 in memory at a time.
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)


@pytest.mark.django_db
def test_malformed_rows_are_reported_with_reasons_and_the_rest_kept(cast: Cast, tmp_path: Path) -> None:
    today = date.today()
    rows = [fft_row(i) for i in range(10)]
    rows[1][3] = "31/02/2024"  # no such day
    rows[2][3] = f"{today + timedelta(days=40):%d/%m/%Y}"
    rows[3][6] = "9"
    rows[4][6], rows[4][8] = "", ""
    rows[5] = rows[5][:6]  # cut short
    rows[6][8] = '=HYPERLINK("http://evil.example","Click")'
    rows[7][3] = "yesterday"
    source = make_source(cast)
    job = run(cast, source, write_csv(tmp_path / "bad.csv", rows))
    assert job.status == ImportStatus.DONE
    assert (job.rows_seen, job.rows_added, job.rows_rejected) == (10, 4, 6)
    found = reasons(job)
    assert found[3] == "Date “31/02/2024” is not a date (use 2024-03-31 or 31/03/2024)"
    assert "is in the future" in found[4]
    assert found[5] == "FFT score “9” is not 1–6 or very good … very poor, don't know"
    assert found[6] == "No comment and no FFT score"
    assert found[7] == "The row has 6 columns; the headings row has 9"
    assert "“yesterday” is not a date" in found[9]
    rejection = job.rejections.get(row_number=5)
    assert rejection.raw.startswith("RGH 3 - Q1,RGH,RGH 3,") and rejection.raw.endswith("wait was 3 hours.")
    # A formula is data: it is kept as it came, and made harmless only when exported.
    kept = FeedbackResponse.objects.get(source=source, row_key="RGH 6 - Q1")
    assert kept.comment == '=HYPERLINK("http://evil.example","Click")'


@pytest.mark.django_db
def test_a_windows_1252_file_is_read_as_such(cast: Cast, tmp_path: Path) -> None:
    rows = [fft_row(i) for i in range(3)]
    rows[0][8] = "Café staff were great – £5 parking though"
    path = write_csv(tmp_path / "cp1252.csv", rows, encoding="cp1252")
    job = run(cast, make_source(cast), path)
    assert (job.rows_added, job.rows_rejected) == (3, 0)
    assert FeedbackResponse.objects.get(row_key="RGH 0 - Q1").comment == "Café staff were great – £5 parking though"


@pytest.mark.django_db
def test_a_utf8_file_with_a_byte_order_mark_and_one_undecodable_row(cast: Cast, tmp_path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADINGS)
    for i in range(4):
        writer.writerow(fft_row(i))
    data = bytearray(b"\xef\xbb\xbf" + buffer.getvalue().encode())
    # Row 3 holds a byte that is not UTF-8 (a cp1252 "é" in the middle of a UTF-8 file).
    at = data.index(b"Response 1:")
    data[at : at + len(b"Response")] = b"R\xe9sponse"
    data += "RGH 9 - Q1,RGH,RGH 9,01/02/2024,,,1,FFT Why?,Très bien — merci\r\n".encode()
    data += b"RGH 10 - Q1,RGH,RGH 10,01/02/2024,,,1,FFT Why?,a NUL\x00 byte\r\n"
    path = tmp_path / "bom.csv"
    path.write_bytes(bytes(data))
    source = make_source(cast)
    job = run(cast, source, path)
    assert (job.rows_added, job.rows_rejected) == (4, 2)
    assert reasons(job) == {
        3: "The row has bytes that are not UTF-8 text (b'\\xe9spo')",
        7: "The row holds a NUL byte (0x00)",
    }
    assert FeedbackResponse.objects.get(row_key="RGH 9 - Q1").comment == "Très bien — merci"
    assert source.mapping["external_id"] == "Comment ID"  # the BOM did not stick to the first heading


@pytest.mark.django_db
def test_a_file_without_a_mapped_column_fails_before_any_row(cast: Cast, tmp_path: Path) -> None:
    headings = [h for h in HEADINGS if h != "Date"]
    path = write_csv(tmp_path / "nodate.csv", ([*r[:3], *r[4:]] for r in map(fft_row, range(5))), headings=headings)
    job = run(cast, make_source(cast), path)
    assert job.status == ImportStatus.FAILED
    assert job.error.startswith("The file has no column “Date”, which the mapping of “FFT export” needs.")
    assert (job.rows_seen, job.rejections.count(), FeedbackResponse.objects.count()) == (0, 0, 0)


@pytest.mark.django_db
def test_an_excel_workbook_with_dates_words_departments_and_no_ids(cast: Cast, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["Received", "Ward", "How was it?", "Comments", "Likelihood"])
    sheet.append([datetime(2024, 5, 6, 14, 30), "ED", "Very good", "Quick and kind", 9])
    sheet.append([45419, "cardiology", "Don’t know", "", None])  # an Excel serial: 7 May 2024
    sheet.append(["2024-05-08", "Emergency Department", 4, "Long wait", "10"])
    sheet.append(["08/05/2024", "Maternity", 1, "Lovely", None])  # no such department here
    sheet.append(["09/05/2024", "", "Good", "", 11])
    sheet.append([None, None, None, None, None])  # an empty formatted row is skipped
    book.save(tmp_path / "cards.xlsx")
    mapping = {
        "received_on": "Received",
        "department": "Ward",
        "fft_score": "How was it?",
        "comment": "Comments",
        "likelihood": "Likelihood",
    }
    source = make_source(cast, "Comment cards", mapping)
    job = run(cast, source, tmp_path / "cards.xlsx")
    assert (job.status, job.rows_seen, job.rows_added, job.rows_rejected) == ("done", 5, 3, 2)
    got = list(
        FeedbackResponse.objects.filter(source=source)
        .order_by("received_on")
        .values_list("received_on", "department__code", "fft_score", "likelihood", "comment")
    )
    assert got == [
        (date(2024, 5, 6), "ED", 1, 9, "Quick and kind"),
        (date(2024, 5, 7), "CARD", 6, None, ""),
        (date(2024, 5, 8), "ED", 4, 10, "Long wait"),
    ]
    assert reasons(job) == {
        5: "Department “Maternity” is not a department code or name at RGH",
        6: "Likelihood “11” is not a whole number from 0 to 10",
    }
    again = run(cast, source, tmp_path / "cards.xlsx")
    assert (again.rows_added, again.rows_already_there) == (0, 3)


@pytest.mark.django_db
def test_without_ids_the_same_row_in_a_re_export_is_recognised(cast: Cast, tmp_path: Path) -> None:
    mapping = {"received_on": "Date", "fft_score": "Score", "comment": "Comment"}
    source = make_source(cast, "Cards", mapping)
    first = write_csv(
        tmp_path / "a.csv",
        [["06/05/2024", "Very good", "Kind  staff"], ["07/05/2024", "Poor", "Cold food"]],
        headings=["Date", "Score", "Comment"],
    )
    second = write_csv(
        tmp_path / "b.csv",
        [["Cold food", "4", "2024-05-07"], ["Kind staff", "1", "2024-05-06"], ["New one", "2", "2024-05-08"]],
        headings=["Comment", "Score", "Date"],
    )
    assert run(cast, source, first).rows_added == 2
    job = run(cast, source, second)
    assert (job.rows_added, job.rows_already_there) == (1, 2)


def test_dates_in_every_accepted_form() -> None:
    today = date(2025, 1, 1)
    for value in (
        "2024-03-31",
        "2024-03-31 10:15:00",
        "31/03/2024",
        "31/3/24",
        "31.03.2024",
        45382,
        "45382",
        "45382.5",
    ):
        assert parse_date(value, today=today) == date(2024, 3, 31), value
    assert parse_date(datetime(2024, 3, 31, 23, 0), today=today) == date(2024, 3, 31)
    for value in ("", "03/31/2024", "soon", "2024-13-01", "31/12/1899"):
        with pytest.raises(ValueError):
            parse_date(value, today=today)


@pytest.mark.skipif(not FFT_SAMPLE.exists(), reason="The NHS FFT sample in ../shared/data is absent.")
@pytest.mark.django_db
def test_the_real_nhs_fft_export_imports_with_its_mapping_guessed(cast: Cast) -> None:
    source = make_source(cast, "NHS FFT", guess_mapping(read_headings(FFT_SAMPLE)))
    job = run(cast, source, FFT_SAMPLE)
    assert job.status == ImportStatus.DONE and job.rows_seen == 6334
    # The export codes a missing answer as 7, which is not an FFT score, and some dates are American.
    kinds = {reason.split("“")[0] for reason in job.rejections.values_list("reason", flat=True)}
    assert kinds == {"FFT score ", "Date "}
    assert job.rejections.filter(reason__contains="looks like month/day/year").count() > 100
    assert job.rows_added == 6334 - job.rows_rejected > 5700
    # Each comment keeps the question it answered, for the text model and for the reader.
    questions = set(FeedbackResponse.objects.exclude(comment="").values_list("comment_question", flat=True))
    assert {"What was good?", "What could we do better?", "FFT Why?"} <= questions


# -- Export -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_export_and_the_rejections_report_neutralise_formula_cells(cast: Cast, tmp_path: Path) -> None:
    rows = [fft_row(0), fft_row(1)]
    rows[0][8] = "=1+2"
    rows[1][3], rows[1][8] = "@SUM(A1)", "+cmd|' /C calc'!A0"
    job = run(cast, make_source(cast), write_csv(tmp_path / "formula.csv", rows))
    exported = list(csv.reader(io.StringIO("".join(export_responses_csv(FeedbackResponse.objects.all())))))
    header = exported[0]
    assert exported[1][header.index("comment")] == "'=1+2"
    report = list(csv.reader(io.StringIO("".join(export_rejections_csv(job)))))
    assert report[0] == ["row", "reason", "raw"]
    assert report[1][0] == "3"
    assert report[1][1].startswith("Date “@SUM(A1)” is not a date")
    assert report[1][2].startswith("RGH 1 - Q1")


# -- The command ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_saves_a_guessed_mapping_then_reuses_it_with_a_progress_line(cast: Cast, tmp_path: Path) -> None:
    path = fft_file(tmp_path / "fft.csv", 1200)
    out, err = io.StringIO(), io.StringIO()
    call_command("feedback_import", str(path), "--source", "Community FFT", "--site", "rgh", stdout=out, stderr=err)
    assert "1,200 rows read, 1,200 added, 0 already there, 0 rejected" in out.getvalue()
    source = ImportSource.objects.get(name="Community FFT", site=cast.rgh)
    assert source.mapping == guess_mapping(HEADINGS)
    out = io.StringIO()
    call_command("feedback_import", str(path), "--source", "Community FFT", "--site", "RGH", stdout=out, stderr=err)
    assert "0 added, 1,200 already there" in out.getvalue()
    assert "\r[" in err.getvalue() and "100%  1,200 rows" in err.getvalue()
    source.mapping["comment"] = "FFT question"  # the saved mapping is the one used from now on
    source.save()
    call_command(
        "feedback_import",
        str(fft_file(tmp_path / "more.csv", 5, start=5000)),
        "--source",
        "Community FFT",
        "--site",
        "RGH",
        stdout=out,
    )
    assert FeedbackResponse.objects.get(row_key="RGH 5 - Q1").comment.startswith("Response 5")
    assert FeedbackResponse.objects.get(row_key="RGH 5001 - Q1").comment == "FFT Why?"
    mapping = '{"received_on": "Date", "comment": "FFT answer"}'
    call_command("feedback_import", str(path), "--source", "Community FFT", "--site", "RGH", "--mapping", mapping)
    source.refresh_from_db()
    assert source.mapping == {"received_on": "Date", "comment": "FFT answer"}


@pytest.mark.django_db
def test_the_command_fails_loudly_on_a_file_it_cannot_import(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "odd.csv", [["a", "b"]], headings=["Foo", "Bar"])
    with pytest.raises(CommandError, match="date each response was received"):
        call_command("feedback_import", str(path), "--source", "Odd", "--site", "RGH")
    make_source(cast, "FFT export")
    with pytest.raises(CommandError, match="failed: The file has no column"):
        call_command("feedback_import", str(path), "--source", "FFT export", "--site", "RGH")


@pytest.mark.django_db(transaction=True)
def test_an_import_killed_half_way_and_run_again_has_each_row_exactly_once(
    tmp_path: Path, sqlite_flushable_audit
) -> None:  # type: ignore[no-untyped-def]
    make_cast()
    total = 40_000
    path = fft_file(tmp_path / "big.csv", total)
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LIAISON_", "DATABASE_URL"))},
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url,
    }
    command = [sys.executable, "-m", "liaison.cli", "feedback_import", str(path), "--source", "FFT", "--site", "RGH"]
    worker = subprocess.Popen(
        [*command, "--batch-size", "250"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and worker.poll() is None:
        done = ImportJob.objects.filter(source__name="FFT").values_list("rows_seen", flat=True).first() or 0
        if done >= 2_000:
            break
        time.sleep(0.01)
    assert worker.poll() is None, f"the import ended before it could be killed: {worker.stderr.read()!r}"  # type: ignore[union-attr]
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    killed = ImportJob.objects.get(source__name="FFT")
    assert killed.status == ImportStatus.RUNNING and 0 < killed.rows_added < total
    kept = FeedbackResponse.objects.count()
    assert kept == killed.rows_added  # the counters moved with the rows, batch by batch

    call_command(
        "feedback_import", str(path), "--source", "FFT", "--site", "RGH", "--no-progress", stdout=io.StringIO()
    )
    rerun = ImportJob.objects.filter(source__name="FFT").latest("pk")
    assert (rerun.status, rerun.rows_seen, rerun.rows_already_there, rerun.rows_added) == (
        "done",
        total,
        kept,
        total - kept,
    )
    assert FeedbackResponse.objects.count() == total
    assert not FeedbackResponse.objects.values("row_key").annotate(n=Count("pk")).filter(n__gt=1).exists()
    killed.refresh_from_db()
    assert killed.status == ImportStatus.FAILED and f"import #{rerun.pk} of the same file" in killed.error


@pytest.mark.django_db
def test_a_workbook_that_claims_rows_past_excel_s_last_is_refused_without_reading_them_all(
    cast: Cast, tmp_path: Path
) -> None:
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADINGS)
    sheet.append(fft_row(1))
    sheet.cell(row=1_000_000, column=1, value="far below")  # a few bytes, a million empty rows on the way
    made = tmp_path / "made.xlsx"
    book.save(made)
    # openpyxl writes no row past Excel's last; a hand-edited file can name one.
    path = tmp_path / "tall.xlsx"
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b"1000000", b"1100000")
            target.writestr(item, data)
    job = run(cast, make_source(cast), path)
    assert job.status == ImportStatus.FAILED
    assert "1,048,576" in job.error
    assert FeedbackResponse.objects.count() == job.rows_added
