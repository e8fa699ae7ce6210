"""Printable posters: the QR code opens the public form with the department filled in."""

from __future__ import annotations

import pypdfium2
import pytest
import zxingcpp
from django.urls import reverse

from conftest import Cast
from liaison.lib.pdf import PDF_MISSING_REASON, pdf_available

pytestmark = pytest.mark.skipif(not pdf_available(), reason=PDF_MISSING_REASON)


def decode(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=2).to_pil()
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_the_department_poster_qr_decodes_to_the_form_with_the_department(cast: Cast, as_user, settings) -> None:
    settings.LIAISON_BASE_URL = "https://liaison.riverside.example"
    response = as_user(cast.officer).get(reverse("org:department-poster", args=[cast.ed.pk]))
    assert response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    assert decode(pdf) == [f"https://liaison.riverside.example/p/RGH/tell-us/complaint/?department={cast.ed.pk}"]
    # And the link really opens the form with that department chosen.
    page = as_user(cast.officer).get(f"/p/RGH/tell-us/complaint/?department={cast.ed.pk}").content.decode()
    assert f'<option value="{cast.ed.pk}" selected>' in page


def test_the_site_poster_and_who_may_print_it(cast: Cast, as_user) -> None:
    assert decode(as_user(cast.manager).get(reverse("org:site-poster", args=["RGH"])).content)[0].endswith(
        "/p/RGH/tell-us/complaint/"
    )
    assert as_user(cast.outsider).get(reverse("org:site-poster", args=["RGH"])).status_code == 404
    assert as_user(cast.investigator).get(reverse("org:department-poster", args=[cast.ed.pk])).status_code == 404
