"""Feedback imports in the browser: upload a file, map its columns, watch the job, read the rejected rows, export.

Only officers and managers of the source's site reach these pages; to anyone else they do not exist (404).
"""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from liaison.accounts.models import User
from liaison.audit.services import audit_record
from liaison.feedback.imports import (
    FIELDS,
    MAX_UPLOAD_MB,
    clean_mapping,
    export_rejections_csv,
    export_responses_csv,
    file_kind,
    get_import_job_for_user,
    get_import_site_for_user,
    guess_mapping,
    import_job_resumable,
    import_job_resume,
    import_job_start,
    import_job_task,
    import_jobs_for_user,
    import_sites_for_user,
    import_source_save,
    open_table,
    responses_to_export_for_user,
    upload_dir,
    upload_path,
)
from liaison.feedback.models import ImportSource, ImportStatus
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site

SESSION_KEY = "feedback_import_uploads"
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
STALE_UPLOAD_SECONDS = 7 * 24 * 3600
PREVIEW_ROWS = 3


def _user(request: HttpRequest) -> User:
    if not request.user.is_authenticated:
        raise Http404
    return request.user


class UploadForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.none(), empty_label=None)
    source = forms.CharField(
        label="Source",
        max_length=200,
        help_text="The feed this file comes from, e.g. “FFT export — community services”. "
        "Its column mapping is saved and offered again next time.",
    )
    file = forms.FileField(label="File", help_text=f"CSV or Excel workbook (.xlsx), up to {MAX_UPLOAD_MB} MB.")

    def __init__(self, *args: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]

    def clean_source(self) -> str:
        return " ".join(self.cleaned_data["source"].split())

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {(upload.size or 0) / 1048576:.0f} MB; the limit is {MAX_UPLOAD_MB} MB. "
                "Split it, or import it with the liaison feedback_import command."
            )
        return upload


class MappingForm(forms.Form):
    def __init__(self, *args: Any, headings: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "— not in this file —"), *((h, h) for h in headings if h)]
        for field, label in FIELDS.items():
            self.fields[field] = forms.ChoiceField(label=label, choices=choices, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            cleaned["mapping"] = _clean_mapping_for_form(cleaned)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None
        return cleaned


def _clean_mapping_for_form(cleaned: dict[str, Any]) -> dict[str, str]:
    return clean_mapping({field: cleaned.get(field, "") for field in FIELDS})


def _sweep_stale_uploads() -> None:
    """Uploads whose mapping step was never finished hold patient feedback; they go after a week."""
    cutoff = time.time() - STALE_UPLOAD_SECONDS
    for path in upload_dir().glob("*"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _store(upload: UploadedFile) -> str:
    """Copy the upload under MEDIA_ROOT/imports/ by chunks, named by a random token and its real kind."""
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    partial = folder / f"{token}.part"
    with partial.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    try:
        kind = file_kind(partial)
    except ApplicationError:
        partial.unlink(missing_ok=True)
        raise
    stored = f"{token}.{kind}"
    partial.rename(folder / stored)
    return stored


def upload(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    sites = import_sites_for_user(user=user)
    if not sites.exists():
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None, sites=sites, initial={"site": sites.first()})
    if request.method == "POST" and form.is_valid():
        _sweep_stale_uploads()
        stored = ""
        try:
            stored = _store(form.cleaned_data["file"])
            with open_table(upload_path(stored)) as table:
                if not any(table.headings):
                    raise ApplicationError("The first row of the file should hold the column headings; it is empty.")
        except ApplicationError as exc:
            if stored:
                upload_path(stored).unlink(missing_ok=True)
            form.add_error("file", exc.message)
        else:
            uploads = request.session.get(SESSION_KEY, {})
            uploads[stored] = {
                "site": form.cleaned_data["site"].pk,
                "source": form.cleaned_data["source"],
                "file_name": form.cleaned_data["file"].name[:255],
            }
            request.session[SESSION_KEY] = uploads
            return redirect("feedback_import:mapping", stored=stored)
    return render(
        request,
        "feedback/import_upload.html",
        {
            "form": form,
            "jobs": import_jobs_for_user(user=user)[:20],
            "sources": ImportSource.objects.filter(site__in=sites).select_related("site").order_by("site", "name"),
            "max_mb": MAX_UPLOAD_MB,
        },
    )


def mapping(request: HttpRequest, stored: str) -> HttpResponse:
    user = _user(request)
    entry = request.session.get(SESSION_KEY, {}).get(stored)
    if entry is None:
        raise Http404
    site = import_sites_for_user(user=user).filter(pk=entry["site"]).first()
    if site is None:
        raise Http404
    path = upload_path(stored)
    if not path.exists():
        messages.error(request, "That upload is no longer there. Upload the file again.")
        return redirect("feedback_import:upload")
    try:
        with open_table(path) as table:
            headings = table.headings
            preview = [row.cells[: len(headings)] for row in itertools.islice(table.rows(), PREVIEW_ROWS)]
    except ApplicationError as exc:  # a workbook damaged in the rows the preview reads
        path.unlink(missing_ok=True)
        messages.error(request, exc.message)
        return redirect("feedback_import:upload")
    source = ImportSource.objects.filter(site=site, name=entry["source"]).first()
    proposed = source.mapping if source else guess_mapping(headings)
    missing = {field: heading for field, heading in proposed.items() if heading not in headings}
    form = MappingForm(
        request.POST or None,
        headings=headings,
        initial={field: heading for field, heading in proposed.items() if heading in headings},
    )
    if request.method == "POST" and form.is_valid():
        try:
            source = import_source_save(
                acting_user=user, site=site, name=entry["source"], mapping=form.cleaned_data["mapping"]
            )
            started = import_job_start(
                acting_user=user, source=source, path=path, file_name=entry["file_name"], stored_name=stored
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            transaction.on_commit(lambda: import_job_task.enqueue(started.pk, stored))
            uploads = request.session.get(SESSION_KEY, {})
            uploads.pop(stored, None)
            request.session[SESSION_KEY] = uploads
            return redirect("feedback_import:job", pk=started.pk)
    return render(
        request,
        "feedback/import_mapping.html",
        {
            "form": form,
            "site": site,
            "source_name": entry["source"],
            "file_name": entry["file_name"],
            "saved": source is not None,
            "missing": {FIELDS[field]: heading for field, heading in missing.items()},
            "headings": headings,
            "preview": preview,
        },
    )


def _progress_context(job: Any) -> dict[str, Any]:
    percent = 100 if not job.bytes_total else min(100, round(100 * job.bytes_done / job.bytes_total))
    return {
        "job": job,
        "percent": percent,
        "running": job.status == ImportStatus.RUNNING,
        "resumable": import_job_resumable(job),
    }


def job(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_import_job_for_user(user=_user(request), pk=pk)
    page = Paginator(found.rejections.all(), 50).get_page(request.GET.get("page"))
    return render(request, "feedback/import_job.html", {**_progress_context(found), "page": page})


def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the job page polls; once the job has ended, the whole page reloads for the report."""
    found = get_import_job_for_user(user=_user(request), pk=pk)
    if found.status != ImportStatus.RUNNING and request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRefresh()
    return render(request, "feedback/import_job.html#progress", _progress_context(found))


@require_POST
def job_resume(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    found = get_import_job_for_user(user=user, pk=pk)
    try:
        import_job_resume(acting_user=user, job=found)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The import continues from where it stopped.")
    return redirect("feedback_import:job", pk=pk)


def rejections_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    user = _user(request)
    found = get_import_job_for_user(user=user, pk=pk)
    audit_record(
        action="feedback.import.rejections_export",
        actor=user,
        obj=found,
        site=found.source.site,
        details={"rows": found.rows_rejected},
    )
    response = StreamingHttpResponse(export_rejections_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="liaison-import-{found.pk}-rejected-rows.csv"'
    return response


def export(request: HttpRequest, code: str) -> StreamingHttpResponse:
    """All the site's feedback as CSV, or one source's (``?source=ID``)."""
    user = _user(request)
    site = get_import_site_for_user(user=user, code=code)
    source: ImportSource | None = None
    if wanted := request.GET.get("source"):
        plain_number = wanted.isascii() and wanted.isdigit()  # str.isdigit() also takes "²"
        source = ImportSource.objects.filter(site=site, pk=wanted).first() if plain_number else None
        if source is None:
            raise Http404
    responses = responses_to_export_for_user(user=user, site=site, source=source)
    audit_record(
        action="feedback.export",
        actor=user,
        object_type="feedback.feedbackresponse",
        site=site,
        details={"source": source.name if source else "", "rows": responses.count()},
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(export_responses_csv(responses), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="liaison-feedback-{site.code}-{stamp}.csv"'
    return response
