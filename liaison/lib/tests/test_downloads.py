"""A download whose file storage has lost is a clear "file missing" page, never a server error."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import Cast
from liaison.cases import services
from liaison.cases.models import Attachment
from liaison.correspondence import services as letters
from liaison.correspondence.models import Letter
from liaison.lib.pdf import PDF_MISSING_REASON, pdf_available


@pytest.fixture
def case(cast: Cast) -> Any:
    return services.case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="letter",
        owner=cast.officer,
        patient_name="Imogen Missingfile",
        patient_address="4 Quay Street\nMillbridge",
        issues=[{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Not explained"}],
    )


def test_an_attachment_lost_from_storage_gives_the_file_missing_page(
    cast: Cast, case: Any, as_user, caplog: pytest.LogCaptureFixture
) -> None:
    attachment = services.case_add_attachment(
        acting_user=cast.officer, case=case, upload=SimpleUploadedFile("scan.pdf", b"%PDF-1.4 scan")
    )
    url = reverse("cases:attachment", args=[case.reference, attachment.pk])
    client = as_user(cast.officer)
    assert b"".join(client.get(url).streaming_content) == b"%PDF-1.4 scan"

    attachment.file.storage.delete(attachment.file.name)
    with caplog.at_level(logging.ERROR, logger="liaison.lib.downloads"):
        response = client.get(url)
    assert response.status_code == 404
    page = response.content.decode()
    assert "This file is missing from storage" in page
    assert f"attachment {attachment.pk} of case {case.reference}" in page
    assert response["Cache-Control"].startswith("private") or "no-store" in response["Cache-Control"]
    # The record stays, and the case page still opens and lists it.
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    detail = client.get(reverse("cases:detail", args=[case.reference]))
    assert detail.status_code == 200 and "scan.pdf" in detail.content.decode()
    # The log names the record for the administrator, and nothing about the patient.
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert f"attachment {attachment.pk}" in logged and "Missingfile" not in logged


@pytest.mark.skipif(not pdf_available(), reason=PDF_MISSING_REASON)
def test_a_letter_whose_pdf_is_lost_gives_the_file_missing_page(cast: Cast, case: Any, as_user) -> None:
    letter = letters.letter_draft(acting_user=cast.officer, case=case, kind="acknowledgement")
    letter = letters.letter_submit(acting_user=cast.officer, letter=letter)
    letter = letters.letter_sign(acting_user=cast.manager, letter=letter)
    letter.pdf.storage.delete(letter.pdf.name)

    response = as_user(cast.officer).get(reverse("correspondence:pdf", args=[letter.pk]))
    assert response.status_code == 404
    assert f"letter {letter.pk} of case {case.reference}" in response.content.decode()
    assert Letter.objects.get(pk=letter.pk).pdf.name == letter.pdf.name
