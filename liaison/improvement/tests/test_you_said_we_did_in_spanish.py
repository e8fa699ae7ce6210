"""The public "You said, we did" page in Spanish: our words are Spanish; what staff wrote keeps its words and
is marked as English."""

from __future__ import annotations

from datetime import date

from django.test import Client
from django.urls import reverse

from conftest import Cast
from liaison.improvement import services


def test_you_said_we_did_is_spanish_around_what_staff_wrote(client: Client, cast: Cast) -> None:
    action = services.action_create(
        acting_user=cast.officer,
        site=cast.rgh,
        what="Hourly waiting-time rounds",
        why="Feedback about waits",
        owner=cast.manager,
        due_date=date(2027, 1, 31),
    )
    services.action_complete(
        acting_user=cast.officer,
        action=action,
        evidence="Rounds started on 1 December.",
        public=True,
        you_said="Nobody told us how long we would wait.",
        we_did="We now tell everyone waiting, every hour.",
    )
    page = client.get(reverse("improvement:you-said-we-did", args=["RGH"]), HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert '<html lang="es">' in page
    assert "Lo que nos dijo y lo que hicimos" in page
    assert "Lo que Riverside General Hospital ha cambiado a raíz de lo que nos han contado" in page
    assert "Lo que nos dijo:" in page
    assert "Lo que hicimos:" in page
    assert "You said" not in page
    assert "We did" not in page
    assert "has changed because of" not in page
    assert '<span lang="en">Nobody told us how long we would wait.</span>' in page
    assert '<span lang="en">We now tell everyone waiting, every hour.</span>' in page


def test_an_empty_you_said_we_did_page_is_spanish(client: Client, cast: Cast) -> None:
    page = client.get(reverse("improvement:you-said-we-did", args=["RGH"]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Todavía no se ha publicado nada aquí." in page
    assert "Nothing has been published here yet." not in page
