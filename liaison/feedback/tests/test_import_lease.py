"""An import whose worker dies does not stay "running" for ever: its lease runs out, and it can be resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conftest import Cast, make_cast
from liaison.audit.models import AuditEvent
from liaison.feedback.imports import (
    IMPORT_LEASE,
    STOPPED_MESSAGE,
    guess_mapping,
    import_job_run,
    import_job_task,
    import_source_save,
    upload_dir,
)
from liaison.feedback.models import FeedbackResponse, ImportJob, ImportRejection, ImportStatus
from liaison.feedback.tests.test_import_views import csv_bytes
from liaison.feedback.tests.test_imports import HEADINGS, REPO, fft_file, fft_row


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def _subprocess_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LIAISON_", "DATABASE_URL"))},
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url,
    }


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_was_killed_is_marked_failed_and_resumes_to_each_row_once(  # type: ignore[no-untyped-def]
    media_root: Path, as_user, sqlite_flushable_audit
) -> None:
    cast = make_cast()
    total = 15_000
    rows = [fft_row(i) for i in range(total)]
    for bad in (100, 12_000):
        rows[bad][3] = "not a date"
    client = as_user(cast.officer)
    upload = SimpleUploadedFile("fft-year.csv", csv_bytes(rows), content_type="text/csv")
    response = client.post(reverse("feedback_import:upload"), {"site": cast.rgh.pk, "source": "FFT", "file": upload})
    client.post(response["Location"], guess_mapping(HEADINGS))  # queued for the database worker
    job = ImportJob.objects.get()
    [stored] = [p.name for p in upload_dir().glob("*")]

    # The worker: the queued task, run in its own process, killed half-way.
    script = (
        "import django; django.setup(); from django.conf import settings; "
        f"settings.MEDIA_ROOT = {str(media_root)!r}; "
        "from liaison.feedback.imports import import_job_task; "
        f"import_job_task.call({job.pk}, {stored!r})"
    )
    worker = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=_subprocess_env(), stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and worker.poll() is None:
        if ImportJob.objects.get(pk=job.pk).rows_seen >= 2_000:
            break
        time.sleep(0.01)
    assert worker.poll() is None, f"the import ended before it could be killed: {worker.stderr.read()!r}"  # type: ignore[union-attr]
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    killed = ImportJob.objects.get(pk=job.pk)
    assert killed.status == ImportStatus.RUNNING and 0 < killed.rows_seen < total
    page_url = reverse("feedback_import:job", args=[job.pk])

    # Within the lease nobody can tell it from a slow import.
    assert "Resume the import" not in client.get(page_url).content.decode()

    with time_machine.travel(timezone.now() + IMPORT_LEASE + timedelta(minutes=1)):
        page = client.get(page_url).content.decode()
        killed.refresh_from_db()
        assert killed.status == ImportStatus.FAILED and killed.error == STOPPED_MESSAGE
        assert STOPPED_MESSAGE in page and "Resume the import" in page
        assert [p.name for p in upload_dir().glob("*")] == [stored]  # kept for the resume
        assert AuditEvent.objects.filter(action="feedback.import.stalled", object_id=str(job.pk)).count() == 1

        response = client.post(reverse("feedback_import:job-resume", args=[job.pk]))
        assert response["Location"] == page_url

    # The resume queued the job again; what the database worker does with it:
    queued = DBTaskResult.objects.filter(task_path="liaison.feedback.imports.import_job_task").latest("enqueued_at")
    assert queued.args_kwargs["args"] == [job.pk, stored]
    import_job_task.call(*queued.args_kwargs["args"])

    job.refresh_from_db()
    assert (job.status, job.error, job.rows_seen, job.rows_added, job.rows_rejected) == (
        "done",
        "",
        total,
        total - 2,
        2,
    )
    assert job.rows_already_there == 0  # it went on from where it stopped, not from the top
    assert job.attempt == 2
    assert FeedbackResponse.objects.count() == total - 2
    assert not FeedbackResponse.objects.values("row_key").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert sorted(ImportRejection.objects.filter(job=job).values_list("row_number", flat=True)) == [102, 12_002]
    assert list(upload_dir().glob("*")) == []  # deleted once the import finished
    resumed = AuditEvent.objects.get(action="feedback.import.resume")
    assert resumed.actor == cast.officer and resumed.details["rows_seen"] == killed.rows_seen


@pytest.mark.django_db
def test_a_running_import_not_heard_from_within_the_lease_is_failed_when_listed(  # type: ignore[no-untyped-def]
    cast: Cast, as_user, media_root: Path
) -> None:
    source = import_source_save(acting_user=cast.officer, site=cast.rgh, name="FFT", mapping=guess_mapping(HEADINGS))
    now = timezone.now()
    silent = ImportJob.objects.create(source=source, file_name="a.csv", heartbeat_at=now - IMPORT_LEASE * 2)
    alive = ImportJob.objects.create(source=source, file_name="b.csv", heartbeat_at=now - timedelta(seconds=30))
    queued = ImportJob.objects.create(source=source, file_name="c.csv")  # no worker has taken it yet
    client = as_user(cast.manager)
    page = client.get(reverse("feedback_import:upload")).content.decode()
    statuses = dict(ImportJob.objects.values_list("file_name", "status"))
    assert statuses == {"a.csv": "failed", "b.csv": "running", "c.csv": "running"}
    assert page.count("<td>Failed</td>") == 1 and page.count("<td>Running</td>") == 2
    job_page = client.get(reverse("feedback_import:job", args=[silent.pk])).content.decode()
    assert STOPPED_MESSAGE in job_page
    # A CLI import keeps no uploaded copy: it is imported again instead, which the page says.
    assert "Resume the import" not in job_page
    for outsider in (cast.outsider, cast.investigator, cast.executive):
        assert as_user(outsider).post(reverse("feedback_import:job-resume", args=[silent.pk])).status_code == 404
    response = client.post(reverse("feedback_import:job-resume", args=[silent.pk]), follow=True)
    assert "cannot be resumed" in response.content.decode()
    assert ImportJob.objects.get(pk=silent.pk).status == ImportStatus.FAILED
    assert AuditEvent.objects.filter(action="feedback.import.stalled").count() == 1  # listed twice, marked once
    assert alive.pk and queued.pk


@pytest.mark.django_db
def test_a_run_that_lost_its_lease_stops_writing(cast: Cast, tmp_path: Path) -> None:
    source = import_source_save(acting_user=cast.officer, site=cast.rgh, name="FFT", mapping=guess_mapping(HEADINGS))
    path = fft_file(tmp_path / "fft.csv", 50)
    job = ImportJob.objects.create(source=source, file_name="fft.csv")

    def taken_over(progress: ImportJob) -> None:
        # After its first batch another run takes the job (it was swept and resumed meanwhile).
        ImportJob.objects.filter(pk=progress.pk).update(attempt=progress.attempt + 1)

    stopped = import_job_run(job=job, path=path, batch_size=10, progress=taken_over)
    assert (stopped.status, stopped.rows_seen, stopped.rows_added) == ("running", 10, 10)
    assert FeedbackResponse.objects.filter(source=source).count() == 10
