"""Checking uploaded files by their content, not their name."""

from __future__ import annotations

import zipfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from liaison.lib.errors import ApplicationError

MAX_UPLOAD_BYTES = getattr(settings, "LIAISON_MAX_UPLOAD_MB", 20) * 1024 * 1024

ALLOWED_DESCRIPTION = "PDF, Word (.docx), JPEG, PNG, GIF or plain text"


def _sniff(head: bytes, upload: UploadedFile) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        finally:
            upload.seek(0)
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return None
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            # A multi-byte character cut at the end of the sample is still text.
            try:
                head[:-3].decode("utf-8")
            except UnicodeDecodeError:
                return None
        return "text/plain"
    return None


def check_upload(upload: UploadedFile) -> str:
    """Return the file's real content type, or refuse it with a message saying what is allowed."""
    size = upload.size or 0
    if size == 0:
        raise ApplicationError("The file is empty.")
    if size > MAX_UPLOAD_BYTES:
        raise ApplicationError(f"The file is {size / 1048576:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 1048576} MB.")
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    content_type = _sniff(head, upload)
    if content_type is None:
        raise ApplicationError(f"This kind of file cannot be attached. Use {ALLOWED_DESCRIPTION}.")
    return content_type
