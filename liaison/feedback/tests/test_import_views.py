"""The import pages: who may open them, the mapping step, the background job and its progress, the reports."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import include, path, reverse

from conftest import Cast
from liaison import urls as main_urls
from liaison.audit.models import AuditEvent
from liaison.feedback import import_views
from liaison.feedback.imports import feedback_import_file, guess_mapping, import_source_save, upload_dir
from liaison.feedback.models import FeedbackResponse, ImportJob, ImportSource, ImportStatus
from liaison.feedback.tests.test_imports import HEADINGS, fft_row

# Until liaison/urls.py includes the import pages, these tests mount them beside the project's own.
_wired = any(getattr(p, "namespace", None) == "feedback_import" for p in main_urls.urlpatterns)
urlpatterns = [
    *main_urls.urlpatterns,
    *([] if _wired else [path("feedback/imports/", include("liaison.feedback.import_urls"))]),
]
pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

ROLES = ["officer", "manager", "investigator", "executive", "auditor", "admin", "outsider"]
ALLOWED = {"officer", "manager"}
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


def csv_bytes(rows: list[list[Any]], headings: list[str] = HEADINGS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headings)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def finished_job(cast: Cast, tmp_path: Path) -> ImportJob:
    rows = [fft_row(i) for i in range(5)]
    rows[2][6] = "9"
    rows[3][8] = "=cmd|' /C calc'!A0"
    file = tmp_path / "fft.csv"
    file.write_bytes(csv_bytes(rows))
    source = import_source_save(acting_user=cast.officer, site=cast.rgh, name="FFT", mapping=guess_mapping(HEADINGS))
    return feedback_import_file(acting_user=cast.officer, source=source, path=file)


def test_only_officers_and_managers_of_the_site_may_open_the_import_pages(cast: Cast, as_user, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    job = finished_job(cast, tmp_path)
    pages = [
        reverse("feedback_import:job", args=[job.pk]),
        reverse("feedback_import:job-progress", args=[job.pk]),
        reverse("feedback_import:rejections-csv", args=[job.pk]),
        reverse("feedback_import:export", args=["RGH"]),
        reverse("feedback_import:export", args=["RGH"]) + f"?source={job.source_id}",
    ]
    for role, user in cast.everyone().items():
        client = as_user(user)
        # The outsider imports at their own site, so they see the upload page, but nothing of Riverside's.
        expected_upload = 200 if role in ALLOWED | {"outsider"} else 404
        assert client.get(reverse("feedback_import:upload")).status_code == expected_upload, role
        for url in pages:
            assert client.get(url).status_code == (200 if role in ALLOWED else 404), (role, url)


def test_the_upload_site_choice_offers_only_the_users_own_sites(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    page = as_user(cast.outsider).get(reverse("feedback_import:upload")).content.decode()
    assert "Harbor Point" in page and "Riverside" not in page
    response = as_user(cast.outsider).post(
        reverse("feedback_import:upload"),
        {"site": cast.rgh.pk, "source": "FFT", "file": SimpleUploadedFile("f.csv", csv_bytes([fft_row(0)]))},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


@override_settings(TASKS=IMMEDIATE)
def test_upload_map_and_import_in_the_background(  # type: ignore[no-untyped-def]
    cast: Cast, as_user, django_capture_on_commit_callbacks
) -> None:
    client = as_user(cast.officer)
    rows = [fft_row(i) for i in range(30)]
    rows[4][3] = "not a date"
    upload = SimpleUploadedFile("fft-march.csv", csv_bytes(rows), content_type="text/csv")
    response = client.post(
        reverse("feedback_import:upload"), {"site": cast.rgh.pk, "source": "FFT — community", "file": upload}
    )
    assert response.status_code == 302
    mapping_url = response["Location"]
    page = client.get(mapping_url).content.decode()
    # The guessed mapping is preselected, and the first rows are shown to check it against.
    assert '<option value="FFT answer" selected>FFT answer</option>' in page
    assert "Response 0: the nurses were kind" in page

    chosen = {"received_on": "Date", "comment": "FFT answer", "fft_score": "FFT categorical answer"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(mapping_url, {**dict.fromkeys(import_views.FIELDS, ""), **chosen})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("feedback_import:job", args=[job.pk])
    source = ImportSource.objects.get(site=cast.rgh, name="FFT — community")
    assert source.mapping == chosen  # saved for next time, without the ID column left out here
    assert (job.status, job.rows_added, job.rows_rejected, job.started_by) == ("done", 29, 1, cast.officer)
    assert FeedbackResponse.objects.filter(source=source).count() == 29
    assert list(upload_dir().glob("*")) == []  # the uploaded copy is deleted once imported
    page = client.get(response["Location"]).content.decode()
    assert "Done" in page and "Date “not a date” is not a date" in page and "hx-trigger" not in page
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"feedback.import_source.create", "feedback.import.start", "feedback.import.finish"} <= actions

    # Next time the saved mapping is offered, not a new guess.
    upload = SimpleUploadedFile("fft-april.csv", csv_bytes([fft_row(100)]), content_type="text/csv")
    response = client.post(
        reverse("feedback_import:upload"), {"site": cast.rgh.pk, "source": "FFT — community", "file": upload}
    )
    page = client.get(response["Location"]).content.decode()
    assert "The columns saved for this source are chosen below." in page
    assert '<option value="Comment ID" selected>' not in page


def test_the_mapping_step_refuses_a_mapping_without_a_date(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.manager)
    upload = SimpleUploadedFile("cards.csv", csv_bytes([fft_row(0)]))
    response = client.post(reverse("feedback_import:upload"), {"site": cast.rgh.pk, "source": "Cards", "file": upload})
    response = client.post(response["Location"], {"comment": "FFT answer"})
    assert response.status_code == 200
    assert "Choose the column that holds the date" in response.content.decode()
    assert not ImportSource.objects.exists() and not ImportJob.objects.exists()


def test_an_upload_belongs_to_the_session_that_made_it(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("fft.csv", csv_bytes([fft_row(0)]))
    response = as_user(cast.officer).post(
        reverse("feedback_import:upload"), {"site": cast.rgh.pk, "source": "FFT", "file": upload}
    )
    assert as_user(cast.manager).get(response["Location"]).status_code == 404


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV file or an Excel workbook."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "Old Excel files (.xls) cannot be read."),
    ],
)
def test_a_file_that_is_not_csv_or_xlsx_is_refused(cast: Cast, as_user, content: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("feedback.csv", content)
    response = as_user(cast.officer).post(
        reverse("feedback_import:upload"), {"site": cast.rgh.pk, "source": "FFT", "file": upload}
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert list(upload_dir().glob("*")) == []


def test_a_file_over_the_limit_is_refused(cast: Cast, as_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(import_views, "MAX_UPLOAD_BYTES", 100)
    upload = SimpleUploadedFile("big.csv", csv_bytes([fft_row(i) for i in range(5)]))
    response = as_user(cast.officer).post(
        reverse("feedback_import:upload"), {"site": cast.rgh.pk, "source": "FFT", "file": upload}
    )
    assert "the limit is 200 MB" in response.content.decode()


def test_the_job_page_polls_its_progress_fragment_while_running(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    source = import_source_save(acting_user=cast.officer, site=cast.rgh, name="FFT", mapping=guess_mapping(HEADINGS))
    job = ImportJob.objects.create(
        source=source, file_name="big.csv", bytes_total=2000, bytes_done=500, rows_seen=1000, rows_added=990
    )
    client = as_user(cast.officer)
    page = client.get(reverse("feedback_import:job", args=[job.pk])).content.decode()
    fragment_url = reverse("feedback_import:job-progress", args=[job.pk])
    assert f'hx-get="{fragment_url}" hx-trigger="every 2s"' in page
    assert f'<a href="{reverse("feedback_import:job", args=[job.pk])}">Refresh</a>' in page  # without JavaScript
    fragment = client.get(fragment_url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section id="progress"')
    assert '<progress max="100" value="25"' in fragment and "<dd>990</dd>" in fragment
    assert "<html" not in fragment

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, bytes_done=2000)
    finished = client.get(fragment_url, headers={"HX-Request": "true"})
    assert finished.headers["HX-Refresh"] == "true"  # the whole page comes back with the report


def test_the_rejected_rows_and_the_export_download_neutralised_and_audited(  # type: ignore[no-untyped-def]
    cast: Cast, as_user, tmp_path: Path
) -> None:
    job = finished_job(cast, tmp_path)
    client = as_user(cast.manager)
    response = client.get(reverse("feedback_import:rejections-csv", args=[job.pk]))
    report = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[arg-type]
    assert report[0] == ["row", "reason", "raw"] and report[1][0] == "4"
    assert report[1][1] == "FFT score “9” is not 1–6 or very good … very poor, don't know"

    response = client.get(reverse("feedback_import:export", args=["RGH"]))
    exported = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[arg-type]
    comments = [row[exported[0].index("comment")] for row in exported[1:]]
    assert len(comments) == 4 and "'=cmd|' /C calc'!A0" in comments
    events = AuditEvent.objects.filter(actor=cast.manager, action__startswith="feedback.")
    assert set(events.values_list("action", flat=True)) == {"feedback.import.rejections_export", "feedback.export"}
    assert events.get(action="feedback.export").details == {"source": "", "rows": 4}


def test_starting_an_import_queues_it_for_the_database_worker(  # type: ignore[no-untyped-def]
    cast: Cast, as_user, django_capture_on_commit_callbacks
) -> None:
    from django_tasks_db.models import DBTaskResult

    from liaison.feedback.imports import import_job_task

    client = as_user(cast.officer)
    upload = SimpleUploadedFile("fft.csv", csv_bytes([fft_row(i) for i in range(3)]))
    response = client.post(reverse("feedback_import:upload"), {"site": cast.rgh.pk, "source": "FFT", "file": upload})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], guess_mapping(HEADINGS))
    job = ImportJob.objects.get()
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "liaison.feedback.imports.import_job_task"
    assert job.status == ImportStatus.RUNNING and job.rows_seen == 0
    # What the db_worker does with it:
    import_job_task.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"])
    job.refresh_from_db()
    assert (job.status, job.rows_added) == ("done", 3)
