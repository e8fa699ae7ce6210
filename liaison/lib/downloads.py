"""Sending a stored file (an attachment, evidence, a letter's PDF) to the person who asked for it.

A file can be missing from storage while its record remains: a restore that brought back the database but
not the files, a bucket emptied by mistake, a disk replaced. That is not a server error for the person who
clicked the link: they get a page that says the file is missing and what to do, with status 404, and the
log names the record (never its contents or the patient) so that an administrator can restore it.
"""

from __future__ import annotations

import logging

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

logger = logging.getLogger(__name__)


def stored_file_response(
    request: HttpRequest,
    file: FieldFile,
    *,
    filename: str,
    content_type: str,
    what: str,
) -> HttpResponseBase:
    """The file as a private attachment download, or the "file missing" page when storage has lost it.

    ``what`` names the record in the log and on the page ("attachment 12", "letter 7"): no patient data.
    """
    try:
        # Checked first: an object store opens lazily and would fail half-way through the response instead.
        if not file.name or not file.storage.exists(file.name):
            raise FileNotFoundError(file.name)
        handle = file.open("rb")
    except OSError:
        logger.error("Stored file missing for %s", what)
        return render(request, "errors/file_missing.html", {"what": what}, status=404)
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
