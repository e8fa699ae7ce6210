"""Patients on a phone: a complaint in Spanish with a photo, a compliment in English; every public page is
accessible in both languages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from conftest import make_cast
from liaison.cases.models import Case
from tests.e2e.conftest import assert_accessible, screenshot

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(browser: Any, live_app: Any):  # type: ignore[no-untyped-def]
    contexts: list[Any] = []

    def _open(locale: str) -> Any:
        context = browser.new_context(
            base_url=live_app.url, locale=locale, extra_http_headers={"Accept-Language": locale}, **PHONE
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield _open
    for context in contexts:
        context.close()


def test_a_spanish_complaint_with_a_photo_from_a_phone(phone: Any, smtp_server: Any, tmp_path: Any) -> None:
    cast = make_cast()
    photo = tmp_path / "pasillo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 256)
    page = phone("es-ES")
    page.goto(f"/p/RGH/tell-us/complaint/?department={cast.ed.pk}")
    assert page.get_by_role("heading", name="Qué ocurrió").is_visible()
    assert page.get_by_label("¿En qué parte del hospital?").input_value() == str(cast.ed.pk)
    screenshot(page, "public-complaint-es")
    page.get_by_label("¿Qué ocurrió?").fill("Mi madre esperó cuatro horas en el pasillo sin agua.")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Otra persona (escribo en su nombre)").check()
    page.get_by_label("Nombre completo del paciente").fill("Rosa Ejemplo")
    page.get_by_label("Su relación con el paciente").fill("hija")
    page.get_by_label(re.compile("El paciente está de acuerdo")).check()
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("¿Qué le ayudaría a resolverlo?").fill("Una disculpa y una explicación.")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Su nombre completo").fill("Lucía Ejemplo")
    page.get_by_label("Correo electrónico").fill("lucia@example.com")
    assert page.get_by_label("¿En qué idioma prefiere que le escribamos?").input_value() == "es"
    page.get_by_role("button", name="Continuar").click()
    assert page.get_by_role("heading", name="Revisar y enviar").is_visible()
    page.get_by_label("Añadir un archivo").set_input_files(str(photo))
    page.get_by_role("button", name="Enviar").click()
    assert page.get_by_role("heading", name="Gracias").is_visible()
    reference = page.locator("#reference").inner_text()
    code = page.locator("#progress-code").inner_text()
    assert_accessible(page, "thank-you (es)")
    screenshot(page, "public-thanks-es")

    case = Case.objects.get(reference=reference)
    assert (case.site, case.reported_department, case.preferred_language, case.channel, case.owner) == (
        cast.rgh,
        cast.ed,
        "es",
        "web_form",
        None,
    )
    assert abs((timezone.now() - case.received_at).total_seconds()) < 120
    assert case.attachments.get().original_name == "pasillo.png"
    [confirmation] = smtp_server.to("lucia@example.com")
    assert reference in confirmation["Subject"] and "Hemos recibido" in confirmation["Subject"]

    page.goto("/p/RGH/progress/")
    page.get_by_label("Su referencia").fill(reference)
    page.get_by_label("Su código de seguimiento").fill(code)
    page.get_by_role("button", name="Consultar el estado").click()
    assert page.get_by_text("Recibido: nos pondremos en contacto con usted pronto.").is_visible()
    assert_accessible(page, "progress result (es)")
    screenshot(page, "public-progress-es")


def test_an_english_compliment_from_a_phone(phone: Any, smtp_server: Any) -> None:
    cast = make_cast()
    page = phone("en-GB")
    page.goto("/p/RGH/")
    page.get_by_role("link", name=re.compile("Give a compliment")).click()
    page.get_by_label("What would you like to thank us for?").fill(
        "The night staff on the children's ward were wonderful."
    )
    page.get_by_label("Where in the hospital?").select_option(label="Cardiology")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Your full name").fill("Sam Grateful")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send").click()
    reference = page.locator("#reference").inner_text()
    case = Case.objects.get(reference=reference)
    assert (case.case_type, case.reported_department, case.preferred_language) == ("compliment", cast.cardiology, "en")
    assert smtp_server.to("sam@example.com")
    assert_accessible(page, "thank-you (en)")
    screenshot(page, "public-thanks-en")


@pytest.mark.parametrize("locale", ["en-GB", "es-ES"])
def test_every_public_page_is_accessible(phone: Any, locale: str) -> None:
    from liaison.knowledge.services import seed_articles_for_site

    cast = make_cast()
    seed_articles_for_site(cast.rgh)
    page = phone(locale)
    page.goto("/p/RGH/")
    assert_accessible(page, f"home ({locale})")
    if locale == "en-GB":
        screenshot(page, "public-home-en")
    for kind in ("complaint", "compliment", "question"):
        page.goto(f"/p/RGH/tell-us/{kind}/")
        assert_accessible(page, f"{kind} first step ({locale})")
        page.locator("main form button").first.click()  # submit empty: the errors must be accessible too
        assert_accessible(page, f"{kind} errors ({locale})")
    page.goto("/p/RGH/tell-us/complaint/")
    page.locator("#id_what").fill("x")
    page.locator("main form button").first.click()
    assert_accessible(page, f"who step ({locale})")
    page.locator("main form button").first.click()
    assert_accessible(page, f"outcome step ({locale})")
    page.locator("#id_outcome").fill("y")
    page.locator("main form button").first.click()
    assert_accessible(page, f"contact step ({locale})")
    page.locator("#id_name").fill("Pat")
    page.locator("#id_email").fill("pat@example.com")
    page.locator("main form button").first.click()
    assert_accessible(page, f"check step ({locale})")
    page.goto("/p/RGH/progress/")
    assert_accessible(page, f"progress ({locale})")
    page.locator("#id_reference").fill("RGH-2026-99999")
    page.locator("#id_secret").fill("AAAA-BBBB-CCCC")
    page.locator("main form button").last.click()
    assert_accessible(page, f"progress not found ({locale})")
    page.goto("/p/RGH/info/")
    assert_accessible(page, f"information ({locale})")
    page.locator("main a[href*='/p/RGH/info/']").first.click()
    assert_accessible(page, f"an article ({locale})")
    if locale == "es-ES":
        screenshot(page, "public-article-es")
