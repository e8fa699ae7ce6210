"""Every page names an icon, and /favicon.ico finds it, so browsers stop logging a 404 on each visit."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import Cast


def test_favicon_ico_leads_to_the_icon_without_signing_in(db: None) -> None:
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
    icon = client.get(response["Location"])
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert b"".join(icon.streaming_content).startswith(b"<svg")  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_staff_and_public_pages_link_the_icon(cast: Cast, as_user) -> None:  # type: ignore[no-untyped-def]
    link = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
    assert link in Client().get(reverse("accounts:login")).content.decode()
    assert link in as_user(cast.officer).get(reverse("home:my-work")).content.decode()
    assert link in Client().get(reverse("public:home", args=["RGH"])).content.decode()
