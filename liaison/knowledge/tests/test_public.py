"""The public information pages: no sign-in, public articles only, in the reader's language or English."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import Cast
from liaison.knowledge import services
from liaison.knowledge.tests.helpers import write

XSS = '<script>alert("x")</script>'


def list_url(code: str = "RGH") -> str:
    return reverse("knowledge:public-list", args=[code])


def detail_url(key: str, code: str = "RGH") -> str:
    return reverse("knowledge:public-detail", args=[code, key])


@pytest.fixture
def seeded(cast: Cast) -> Cast:
    services.seed_articles_for_site(cast.rgh)
    return cast


def test_the_list_shows_public_articles_grouped_by_category_without_signing_in(client: Client, seeded: Cast) -> None:
    response = client.get(list_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your rights as a patient" in page
    assert "How to raise a concern or make a complaint" in page
    assert "Where else you can go" in page  # the category heading
    assert "Handling a complaint by phone" not in page
    assert page.index("Your rights as a patient") < page.index("How to raise a concern")


def test_an_internal_article_is_a_404_on_the_public_pages(client: Client, seeded: Cast) -> None:
    assert client.get(detail_url("handling-phone-complaints")).status_code == 404
    assert client.get(detail_url("handling-phone-complaints"), HTTP_ACCEPT_LANGUAGE="es").status_code == 404


def test_unknown_articles_and_sites_are_a_404(client: Client, seeded: Cast) -> None:
    assert client.get(detail_url("no-such-article")).status_code == 404
    assert client.get(list_url("NOPE")).status_code == 404
    # Riverside's article is not found under another site's address.
    assert client.get(detail_url("your-rights", "HPM")).status_code == 404


def test_the_detail_page_renders_the_packs_numbers(client: Client, seeded: Cast) -> None:
    response = client.get(detail_url("how-to-complain"))
    assert response.status_code == 200
    assert "within 3 working days" in response.content.decode()


def test_search_finds_words_in_the_title_summary_and_body(client: Client, seeded: Cast) -> None:
    page = client.get(list_url(), {"q": "Healthwatch"}).content.decode()
    assert "Where else you can go for help" in page
    assert "Your rights as a patient" not in page
    page = client.get(list_url(), {"q": "valuables"}).content.decode()  # in a summary
    assert "Visiting and your belongings" in page
    assert "Where else you can go for help" not in page
    page = client.get(list_url(), {"q": "no-such-word-anywhere"}).content.decode()
    assert "No page matches your search" in page


def test_search_never_finds_an_internal_article(client: Client, seeded: Cast) -> None:
    page = client.get(list_url(), {"q": "staff guide"}).content.decode()
    assert "Handling a complaint by phone" not in page


def test_spanish_readers_get_the_spanish_articles(client: Client, seeded: Cast) -> None:
    page = client.get(list_url(), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Sus derechos como paciente" in page
    assert "Your rights as a patient" not in page
    page = client.get(detail_url("how-to-complain"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Cómo expresar una inquietud" in page
    assert "3 días hábiles" in page
    assert 'lang="es"' in page


def test_an_article_without_a_spanish_version_falls_back_to_english(client: Client, cast: Cast) -> None:
    write(
        cast.manager, cast.rgh, "parking", category="policy", title="Parking at the hospital", body="<p>Car park B.</p>"
    )
    write(cast.manager, cast.rgh, "your-rights", title="Your rights", body="<p>English rights.</p>")
    write(cast.manager, cast.rgh, "your-rights", language="es", title="Sus derechos", body="<p>Derechos.</p>")
    page = client.get(list_url(), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Parking at the hospital" in page
    assert "Sus derechos" in page and "English rights" not in page
    detail = client.get(detail_url("parking"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Car park B." in detail
    assert 'lang="en"' in detail


def test_an_internal_translation_does_not_hide_the_public_english_article(client: Client, cast: Cast) -> None:
    write(cast.manager, cast.rgh, "parking", category="policy", title="Parking", body="<p>Car park B.</p>")
    write(cast.manager, cast.rgh, "parking", language="es", visibility="internal", title="Borrador", body="<p>B.</p>")
    detail = client.get(detail_url("parking"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Car park B." in detail and "Borrador" not in detail


def test_a_link_from_a_letter_opens_in_the_letters_language(client: Client, seeded: Cast) -> None:
    response = client.get(detail_url("your-rights") + "?lang=es")
    assert response.status_code == 302
    assert response["Location"] == detail_url("your-rights")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = client.get(response["Location"]).content.decode()
    assert "Sus derechos como paciente" in page


def test_script_in_a_title_summary_or_body_is_escaped_or_removed(client: Client, cast: Cast) -> None:
    write(
        cast.manager,
        cast.rgh,
        "tricky",
        title=f"Title {XSS}",
        summary=f"Summary {XSS}",
        body=f'<p>Body</p>{XSS}<p><a href="javascript:alert(1)">click</a></p>',
    )
    for url in (list_url(), detail_url("tricky")):
        page = client.get(url).content.decode()
        assert XSS not in page
        assert "javascript:alert" not in page
    assert "Title &lt;script&gt;" in client.get(detail_url("tricky")).content.decode()


def test_the_public_list_does_not_query_per_article(client: Client, seeded: Cast) -> None:
    client.get(list_url())
    with CaptureQueriesContext(connection) as before:
        client.get(list_url())
    write(seeded.manager, seeded.rgh, "extra-1", category="faq", title="Extra one")
    write(seeded.manager, seeded.rgh, "extra-2", category="faq", title="Extra two")
    with CaptureQueriesContext(connection) as after:
        assert "Extra two" in client.get(list_url()).content.decode()
    assert len(after) == len(before)


def test_the_search_words_are_escaped(client: Client, seeded: Cast) -> None:
    page = client.get(list_url(), {"q": XSS}).content.decode()
    assert XSS not in page
    assert "&lt;script&gt;" in page
