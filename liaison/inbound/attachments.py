"""Which attachments of an inbound email may go on a case, and under what name.

The check is the one every upload passes (``liaison.lib.uploads``): the content decides, never the name or
the type the sender's program claimed. An accepted file is renamed to match what it really is
(``photo.exe`` that is a JPEG is kept as ``photo.jpg``); a withheld one is named, cleaned of the characters
that disguise a name, with the reason it was withheld. Withheld files are never lost: they stay inside the
original message, which is kept whole.

A forwarded email sent as an attachment (``message/rfc822``) is read as part of the message, its text on the
timeline and its own attachments checked like any other; a saved email sent as a file (``.eml``) or an
Outlook item (``.msg``) is withheld, because what it carries would not be checked.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from liaison.inbound.parsing import ParsedAttachment
from liaison.lib.errors import ApplicationError
from liaison.lib.uploads import check_upload, clean_filename, safe_filename


def attachments_screen(
    attachments: list[ParsedAttachment],
) -> tuple[list[SimpleUploadedFile], list[tuple[str, str]]]:
    """Split the attachments into files the case may hold, under safe names, and those withheld with why."""
    accepted: list[SimpleUploadedFile] = []
    withheld: list[tuple[str, str]] = []
    for number, attachment in enumerate(attachments, start=1):
        shown = clean_filename(attachment.filename) or f"attachment {number}"
        upload = SimpleUploadedFile(shown, attachment.content, attachment.content_type)
        try:
            content_type = check_upload(upload)
        except ApplicationError as exc:
            withheld.append((shown, exc.message))
            continue
        accepted.append(
            SimpleUploadedFile(
                safe_filename(attachment.filename, content_type, default=f"attachment-{number}"),
                attachment.content,
                content_type,
            )
        )
    return accepted, withheld
