"""Article bodies are templates written by managers and shown to anyone: whatever they write, the public page
shows only the site's published values, a refused body is a form error naming the problem, and nothing is a
server error."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from liaison.cases.services import case_open, case_set_restriction
from liaison.knowledge.models import Article, ArticleVersion
from liaison.knowledge.tests.helpers import write
from liaison.lib.tests.hostile_templates import LEAK_BODY, REFUSED, REFUSED_IDS, secrets_absent


@pytest.fixture
def patients(cast: Cast) -> list[str]:
    """A restricted case and an ordinary one at the article's site: their details must never show."""
    site = cast.rgh
    site.responsible_person = cast.manager
    site.save()
    restricted = case_open(
        acting_user=cast.manager,
        site=site,
        case_type="complaint",
        channel="letter",
        patient_name="Rita Restricted",
        patient_address="9 Secret Lane",
    )
    case_set_restriction(acting_user=cast.manager, case=restricted, restricted=True, reason="vip", users=[])
    case_open(acting_user=cast.officer, site=site, case_type="complaint", channel="phone", patient_name="Paul Other")
    return ["Rita Restricted", "9 Secret Lane", "Paul Other"]


def new_article_data(cast: Cast, body: str, key: str = "hostile") -> dict[str, object]:
    return {
        "site": cast.rgh.pk,
        "key": key,
        "language": "en",
        "category": "rights",
        "visibility": "public",
        "owner": cast.manager.pk,
        "review_date": (timezone.localdate() + timedelta(days=200)).isoformat(),
        "title": "Your rights",
        "summary": "",
        "body": body,
    }


def secrets(cast: Cast, patients: list[str]) -> list[str]:
    return [settings.SECRET_KEY, cast.manager.password, "manager@rgh.example", *patients]


def public_page(key: str) -> str:
    response = Client().get(reverse("knowledge:public-detail", args=["RGH", key]))
    assert response.status_code == 200
    return response.content.decode()


def test_an_article_reaching_for_models_is_saved_but_its_pages_show_no_secret(
    as_user: Any, cast: Cast, patients: list[str]
) -> None:
    manager: Client = as_user(cast.manager)
    saved = manager.post(reverse("knowledge:staff-new"), new_article_data(cast, f"<p>Intro</p>{LEAK_BODY}"))
    assert saved.status_code == 302
    article = Article.objects.get(key="hostile")

    assert "Intro" in public_page("hostile")
    assert secrets_absent(public_page("hostile"), *secrets(cast, patients)) == []
    staff = manager.get(reverse("knowledge:staff-detail", args=[article.pk]))
    assert staff.status_code == 200 and not staff.context["body_problem"]
    assert secrets_absent(staff.content.decode(), *secrets(cast, patients)) == []


@pytest.mark.parametrize(("name", "body", "message"), REFUSED, ids=REFUSED_IDS)
def test_the_article_editor_refuses_a_hostile_body_with_a_form_error(
    as_user: Any, cast: Cast, name: str, body: str, message: str
) -> None:
    response = as_user(cast.manager).post(reverse("knowledge:staff-new"), new_article_data(cast, f"<p>{body}</p>"))

    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert error.startswith("The article text has a template error: ") and message in error
    assert not Article.objects.filter(key="hostile").exists()


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [row for row in REFUSED if row[0] in ("include", "extends", "load", "nested-loops")],
    ids=["include", "extends", "load", "nested-loops"],
)
def test_editing_an_article_to_a_hostile_body_is_a_form_error(
    as_user: Any, cast: Cast, name: str, body: str, message: str
) -> None:
    article = write(cast.manager, cast.rgh, "rights", body="<p>Fine.</p>")
    data = {**new_article_data(cast, body), "version": 1, "note": ""}

    response = as_user(cast.manager).post(reverse("knowledge:staff-edit", args=[article.pk]), data)

    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert message in error
    assert list(article.versions.values_list("body", flat=True)) == ["<p>Fine.</p>"]


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [row for row in REFUSED if row[0] in ("include", "extends", "debug", "huge-ljust", "output-over-1mb")],
    ids=["include", "extends", "debug", "huge-ljust", "output-over-1mb"],
)
def test_a_hostile_body_saved_before_the_checks_is_shown_as_written_not_a_server_error(
    as_user: Any, cast: Cast, name: str, body: str, message: str
) -> None:
    article = write(cast.manager, cast.rgh, "legacy", body="<p>Fine.</p>")
    ArticleVersion.objects.create(article=article, version=2, title="Your rights", summary="", body=body)

    page = public_page("legacy")
    assert len(page) < 100_000
    assert body.replace('"', "&quot;") in page or body in page
    staff = as_user(cast.manager).get(reverse("knowledge:staff-detail", args=[article.pk]))
    assert staff.status_code == 200
    assert message in staff.context["body_problem"]
    assert "could not be filled in" in staff.content.decode()
