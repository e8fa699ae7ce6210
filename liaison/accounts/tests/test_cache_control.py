"""Nothing shown to signed-in staff is kept by a browser or proxy cache; public pages and static files still are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.cache import get_max_age

from conftest import Cast
from liaison.cases.services import case_open
from liaison.correspondence import services as letters
from liaison.feedback.imports import feedback_import_file, guess_mapping, import_source_save
from liaison.feedback.tests.test_imports import HEADINGS, fft_file
from liaison.lib.pdf import PDF_MISSING_REASON, pdf_available


def directives(response: Any) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.fixture
def case(cast: Cast) -> Any:
    return case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="letter",
        owner=cast.officer,
        patient_name="Nora Cachetest",
        patient_email="nora@example.com",
        patient_address="3 Quay Street\nMillbridge",
        account="The ward did not tell us about the transfer.",
        issues=[{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Not explained"}],
    )


def test_a_case_page_is_never_stored(cast: Cast, case: Any, as_user) -> None:  # type: ignore[no-untyped-def]
    response = as_user(cast.officer).get(reverse("cases:detail", args=[case.reference]))
    assert response.status_code == 200 and "Nora Cachetest" in response.content.decode()
    assert {"no-store", "private"} <= directives(response)


def test_a_csv_export_is_never_stored(cast: Cast, as_user, tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    source = import_source_save(acting_user=cast.officer, site=cast.rgh, name="FFT", mapping=guess_mapping(HEADINGS))
    feedback_import_file(acting_user=cast.officer, source=source, path=fft_file(tmp_path / "fft.csv", 3))
    response = as_user(cast.manager).get(reverse("feedback_import:export", args=["RGH"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert b"".join(response.streaming_content).count(b"\n") == 4  # the heading and three responses
    assert {"no-store", "private"} <= directives(response)


@pytest.mark.skipif(not pdf_available(), reason=PDF_MISSING_REASON)
def test_a_letter_pdf_download_is_never_stored(cast: Cast, case: Any, as_user) -> None:  # type: ignore[no-untyped-def]
    letter = letters.letter_draft(acting_user=cast.officer, case=case, kind="acknowledgement")
    letter = letters.letter_submit(acting_user=cast.officer, letter=letter)
    letter = letters.letter_sign(acting_user=cast.manager, letter=letter)
    response = as_user(cast.officer).get(reverse("correspondence:pdf", args=[letter.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert {"no-store", "private"} <= directives(response)


def test_public_pages_and_static_files_keep_their_caching(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    public = Client().get(reverse("public:home", args=["RGH"]))
    assert public.status_code == 200 and "no-store" not in directives(public)
    style = as_user(cast.officer).get("/static/liaison.css")  # even for a signed-in user
    assert style.status_code == 200 and "no-store" not in directives(style)
    assert (get_max_age(style) or 0) > 0
