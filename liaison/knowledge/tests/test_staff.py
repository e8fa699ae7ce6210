"""The staff knowledge base: officers read, managers and administrators write, everyone else gets a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.knowledge import services
from liaison.knowledge.models import Article, ArticleVersion
from liaison.knowledge.tests.helpers import write
from liaison.lib.errors import ApplicationError


@pytest.fixture
def article(cast: Cast) -> Article:
    return write(
        cast.manager,
        cast.rgh,
        "parking",
        category="policy",
        title="Parking",
        summary="Where to park.",
        body="<p>Car park B is free for blue badge holders.</p>",
    )


@pytest.fixture
def internal(cast: Cast) -> Article:
    return write(
        cast.manager, cast.rgh, "phone-guide", visibility="internal", title="Phone guide", body="<p>Listen.</p>"
    )


def edit_data(article: Article, **changes: str) -> dict[str, object]:
    current = article.versions.order_by("-version").first()
    assert current is not None
    data: dict[str, object] = {
        "version": current.version,
        "category": article.category,
        "visibility": article.visibility,
        "owner": article.owner_id or "",
        "review_date": article.review_date.isoformat(),
        "title": current.title,
        "summary": current.summary,
        "body": current.body,
        "note": "",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("who", ["officer", "manager", "admin"])
def test_officers_managers_and_admins_see_every_article_of_their_sites(
    as_user, cast: Cast, article, internal, who
) -> None:  # type: ignore[no-untyped-def]
    client = as_user(getattr(cast, who))
    page = client.get(reverse("knowledge:staff-list")).content.decode()
    assert "Parking" in page and "Phone guide" in page
    assert client.get(reverse("knowledge:staff-detail", args=[internal.pk])).status_code == 200


@pytest.mark.parametrize("who", ["investigator", "auditor", "executive"])
def test_other_roles_get_a_404(as_user, cast: Cast, article, who) -> None:  # type: ignore[no-untyped-def]
    client = as_user(getattr(cast, who))
    for url in (
        reverse("knowledge:staff-list"),
        reverse("knowledge:staff-new"),
        reverse("knowledge:staff-detail", args=[article.pk]),
        reverse("knowledge:staff-edit", args=[article.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_an_officer_of_another_site_gets_a_404(as_user, cast: Cast, article, internal) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.outsider)
    assert "Parking" not in client.get(reverse("knowledge:staff-list")).content.decode()
    assert client.get(reverse("knowledge:staff-detail", args=[article.pk])).status_code == 404
    assert client.get(reverse("knowledge:staff-detail", args=[internal.pk])).status_code == 404


def test_the_staff_pages_need_sign_in(client, article) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("knowledge:staff-detail", args=[article.pk]))
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_a_manager_writes_an_article(as_user, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.manager)
    assert client.get(reverse("knowledge:staff-new")).status_code == 200
    response = client.post(
        reverse("knowledge:staff-new"),
        {
            "site": cast.rgh.pk,
            "key": "interpreters",
            "language": "en",
            "category": "rights",
            "visibility": "public",
            "owner": cast.officer.pk,
            "review_date": (timezone.localdate() + timedelta(days=200)).isoformat(),
            "title": "Interpreters",
            "summary": "Free interpreters.",
            "body": "<p>Ask for an interpreter.</p><script>x()</script>",
        },
    )
    assert response.status_code == 302
    article = Article.objects.get(key="interpreters")
    assert article.owner == cast.officer
    version = article.versions.get()
    assert version.body == "<p>Ask for an interpreter.</p>"
    assert version.created_by == cast.manager
    assert AuditEvent.objects.filter(action="knowledge.create", object_id=str(article.pk), actor=cast.manager).exists()


def test_a_key_is_unique_per_site_and_language(cast: Cast, article) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError, match="already has an article"):
        write(cast.manager, cast.rgh, "parking")
    write(cast.manager, cast.rgh, "parking", language="es", title="Aparcamiento")


def test_a_body_with_a_template_error_is_refused(cast: Cast) -> None:
    with pytest.raises(ApplicationError, match="template error"):
        write(cast.manager, cast.rgh, "broken", body="<p>{% if %}</p>")


def test_an_officer_reads_but_cannot_write_or_edit(as_user, cast: Cast, article) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.officer)
    page = client.get(reverse("knowledge:staff-detail", args=[article.pk])).content.decode()
    assert "Car park B" in page
    assert reverse("knowledge:staff-edit", args=[article.pk]) not in page
    assert client.get(reverse("knowledge:staff-new")).status_code == 404
    assert client.get(reverse("knowledge:staff-edit", args=[article.pk])).status_code == 404
    response = client.post(reverse("knowledge:staff-edit", args=[article.pk]), edit_data(article, title="Hacked"))
    assert response.status_code == 404
    with pytest.raises(ApplicationError):
        services.article_update(
            acting_user=cast.officer,
            article=article,
            expected_version=1,
            title="Hacked",
            summary="",
            body="<p>x</p>",
            category="policy",
            visibility="public",
            owner=None,
            review_date=article.review_date,
        )
    assert article.versions.count() == 1


def test_a_manager_edit_adds_a_version_and_keeps_the_old_one_readable(as_user, cast: Cast, article) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.manager)
    assert client.get(reverse("knowledge:staff-edit", args=[article.pk])).status_code == 200
    response = client.post(
        reverse("knowledge:staff-edit", args=[article.pk]),
        edit_data(article, body="<p>Car park C now.</p>", note="Moved car park"),
    )
    assert response.status_code == 302
    assert list(article.versions.order_by("version").values_list("version", flat=True)) == [1, 2]
    detail = reverse("knowledge:staff-detail", args=[article.pk])
    officer = as_user(cast.officer)
    assert "Car park C now." in officer.get(detail).content.decode()
    old = officer.get(detail, {"version": 1}).content.decode()
    assert "Car park B is free" in old and "an earlier version" in old
    event = AuditEvent.objects.get(action="knowledge.update", object_id=str(article.pk))
    assert event.details["version"] == 2 and event.details["new_version"] is True


def test_changing_only_the_review_date_adds_no_version_but_is_audited(cast: Cast, article) -> None:  # type: ignore[no-untyped-def]
    later = article.review_date + timedelta(days=30)
    version = services.article_update(
        acting_user=cast.admin,
        article=article,
        expected_version=1,
        title="Parking",
        summary="Where to park.",
        body="<p>Car park B is free for blue badge holders.</p>",
        category="policy",
        visibility="public",
        owner=cast.manager,
        review_date=later,
    )
    assert version.version == 1
    article.refresh_from_db()
    assert article.review_date == later
    event = AuditEvent.objects.get(action="knowledge.update", object_id=str(article.pk))
    assert event.details["changes"]["review_date"] == [
        (later - timedelta(days=30)).isoformat(),
        later.isoformat(),
    ]


def test_an_edit_from_a_stale_page_is_refused(cast: Cast, article) -> None:  # type: ignore[no-untyped-def]
    fields = dict(summary="", category="policy", visibility="public", owner=None, review_date=article.review_date)
    services.article_update(
        acting_user=cast.manager, article=article, expected_version=1, title="A", body="<p>A</p>", **fields
    )
    with pytest.raises(ApplicationError, match="Someone else changed"):
        services.article_update(
            acting_user=cast.admin, article=article, expected_version=1, title="B", body="<p>B</p>", **fields
        )
    assert ArticleVersion.objects.filter(article=article).count() == 2


def test_the_detail_page_gives_the_public_link_for_letters(as_user, cast: Cast, article, internal) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.officer)
    page = client.get(reverse("knowledge:staff-detail", args=[article.pk])).content.decode()
    assert "Copy this link into a letter" in page
    assert "/p/RGH/info/parking/?lang=en" in page
    page = client.get(reverse("knowledge:staff-detail", args=[internal.pk])).content.decode()
    assert "Copy this link into a letter" not in page


def test_search_and_the_due_for_review_filter(as_user, cast: Cast, article) -> None:  # type: ignore[no-untyped-def]
    write(cast.manager, cast.rgh, "old", title="Old leaflet", body="<p>Stale.</p>", review_date=timezone.localdate())
    client = as_user(cast.officer)
    url = reverse("knowledge:staff-list")
    page = client.get(url, {"q": "blue badge"}).content.decode()
    assert "Parking" in page and "Old leaflet" not in page
    page = client.get(url, {"due": "on"}).content.decode()
    assert "Old leaflet" in page and "Parking" not in page


def test_the_list_does_not_query_per_article(as_user, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.officer)
    url = reverse("knowledge:staff-list")
    services.seed_articles_for_site(cast.rgh)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    write(cast.manager, cast.rgh, "extra-1", title="Extra one")
    write(cast.manager, cast.rgh, "extra-2", title="Extra two")
    with CaptureQueriesContext(connection) as after:
        assert "Extra two" in client.get(url).content.decode()
    assert len(after) == len(before)
