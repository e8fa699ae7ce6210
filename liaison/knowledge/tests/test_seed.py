"""The articles shipped for each policy pack: written for both packs in both languages, seeded once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.knowledge import services
from liaison.knowledge.content import render_body
from liaison.knowledge.models import Article, Visibility
from liaison.org.models import Site

KEYS = {
    "your-rights",
    "how-to-complain",
    "where-else",
    "visiting-and-belongings",
    "health-records",
    "after-you-complain",
    "handling-phone-complaints",
}


def _body(site: Site, key: str, language: str = "en") -> str:
    article = Article.objects.get(site=site, key=key, language=language)
    return str(render_body(article.versions.get().body, site))


@pytest.mark.parametrize("pack", ["england_nhs", "us_cms"])
def test_each_pack_ships_every_article_in_english_and_spanish(pack: str) -> None:
    seeds = services.seed_articles(pack)
    assert {s.key for s in seeds} == KEYS
    public = {s.key for s in seeds if s.visibility == Visibility.PUBLIC}
    assert {s.key for s in seeds if s.language == "es"} == public
    assert [s.key for s in seeds if s.visibility == Visibility.INTERNAL] == ["handling-phone-complaints"]
    assert all(s.content.title and s.content.summary and s.content.body for s in seeds)
    # Titles and summaries are shown as written: only the body may quote the pack.
    assert not [s.key for s in seeds if "{" in s.content.title + s.content.summary]


def test_seeding_is_idempotent_and_adds_only_missing_articles(cast: Cast) -> None:
    site = cast.rgh
    site.responsible_person = cast.manager
    site.save()
    added = services.seed_articles_for_site(site)
    assert added == len(services.seed_articles("england_nhs")) == 13
    assert services.seed_articles_for_site(site) == 0
    Article.objects.filter(site=site, key="where-else", language="es").delete()
    assert services.seed_articles_for_site(site) == 1
    assert Article.objects.filter(site=site).count() == 13
    article = Article.objects.get(site=site, key="your-rights", language="en")
    assert article.owner == cast.manager
    assert article.review_date == timezone.localdate() + timedelta(days=365)
    assert article.versions.get().version == 1
    assert AuditEvent.objects.filter(action="knowledge.seed", site=site).count() == 14


def test_the_seed_leaves_the_owner_empty_without_a_responsible_person(cast: Cast) -> None:
    services.seed_articles_for_site(cast.hpm)
    assert not Article.objects.filter(site=cast.hpm, owner__isnull=False).exists()


def test_the_england_how_to_complain_article_quotes_the_packs_timescales(cast: Cast) -> None:
    services.seed_articles_for_site(cast.rgh)
    english = _body(cast.rgh, "how-to-complain")
    assert "within 3 working days" in english
    assert "25 working days" in english
    assert "6 months" in english
    assert "12 months" in english
    assert "Parliamentary and Health Service Ombudsman" in english
    spanish = _body(cast.rgh, "how-to-complain", "es")
    assert "3 días hábiles" in spanish
    assert "6 meses" in spanish


def test_the_us_how_to_complain_article_quotes_the_7_days_and_the_sites_agencies(cast: Cast) -> None:
    site = cast.hpm
    site.state_agency_name, site.state_agency_contact = "State Department of Health", "Hotline (555) 010-0000"
    site.qio_name = "Harbor QIO Partners"
    site.save()
    services.seed_articles_for_site(site)
    english = _body(site, "how-to-complain")
    assert "Within 7 days" in english
    assert "State Department of Health" in english and "Hotline (555) 010-0000" in english
    assert "Harbor QIO Partners" in english
    assert "En un plazo de 7 días" in _body(site, "how-to-complain", "es")
    where_else = _body(site, "where-else")
    for body in (
        "State Department of Health",
        "Harbor QIO Partners",
        "Office of Quality Monitoring",
        "Office for Civil Rights",
    ):
        assert body in where_else


def test_the_england_where_else_article_names_the_independent_bodies(cast: Cast) -> None:
    services.seed_articles_for_site(cast.rgh)
    where_else = _body(cast.rgh, "where-else")
    for body in ("Parliamentary and Health Service Ombudsman", "advocacy", "Healthwatch", "Care Quality Commission"):
        assert body in where_else


@pytest.mark.parametrize("pack", ["england_nhs", "us_cms"])
def test_every_shipped_article_renders_without_leftover_template_syntax(cast: Cast, pack: str) -> None:
    site = cast.rgh
    site.policy_pack = pack
    site.save()
    services.seed_articles_for_site(site)
    for article in Article.objects.filter(site=site):
        html = _body(site, article.key, article.language)
        assert "{{" not in html and "{%" not in html, (article.key, article.language)


def test_a_pack_without_shipped_articles_seeds_nothing(cast: Cast) -> None:
    site = cast.rgh
    site.policy_pack = "wales_nhs"
    site.save()
    assert services.seed_articles_for_site(site) == 0
