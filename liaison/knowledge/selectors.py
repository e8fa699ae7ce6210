"""Reading articles: staff see every article of their sites; the public only public articles, in their language."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.knowledge.models import Article, ArticleVersion, Category, Language, Visibility
from liaison.org.models import Site

# "Due for review" lists articles whose review date has passed or falls within this many days.
REVIEW_WARNING_DAYS = 30
FALLBACK_LANGUAGE = Language.ENGLISH


def can_read(user: User) -> bool:
    return can(user, Cap.KNOWLEDGE_READ)


def can_edit(user: User, site_id: int | None = None) -> bool:
    return can(user, Cap.KNOWLEDGE_EDIT, site_id)


def review_cutoff(today: date | None = None) -> date:
    return (today or timezone.localdate()) + timedelta(days=REVIEW_WARNING_DAYS)


def with_current(articles: QuerySet[Article]) -> QuerySet[Article]:
    """Annotate ``current_version_id`` (the highest version) and drop articles that have none."""
    latest = ArticleVersion.objects.filter(article=OuterRef("pk")).order_by("-version").values("pk")[:1]
    return articles.annotate(current_version_id=Subquery(latest)).filter(current_version_id__isnull=False)


def attach_current(articles: Iterable[Article]) -> list[Article]:
    """Give each article (annotated by :func:`with_current`) its current version as ``.current``: one query."""
    articles = list(articles)
    ids = {article.pk: article.current_version_id for article in articles}  # type: ignore[attr-defined]
    versions = ArticleVersion.objects.in_bulk(list(ids.values()))
    for article in articles:
        article.current = versions[ids[article.pk]]
    return articles


def search(articles: QuerySet[Article], query: str) -> QuerySet[Article]:
    """Articles whose current version has every word of the query in its title, summary or body."""
    words = [word for word in query.split() if len(word) > 1][:8]
    if not words:
        return articles
    highest = ArticleVersion.objects.filter(article=OuterRef("article")).order_by("-version").values("version")[:1]
    matching = ArticleVersion.objects.filter(article__in=articles, version=Subquery(highest))
    for word in words:
        matching = matching.filter(Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word))
    return articles.filter(pk__in=matching.values("article_id"))


# -- Staff ------------------------------------------------------------------------------------------------


def articles_for_user(*, user: User) -> QuerySet[Article]:
    if not can_read(user):
        return Article.objects.none()
    return Article.objects.filter(site_id__in=user.site_ids)


def get_article_for_user(*, user: User, pk: int) -> Article:
    try:
        return articles_for_user(user=user).select_related("site", "owner").get(pk=pk)
    except Article.DoesNotExist:
        raise Http404("No such article") from None


@dataclass(frozen=True)
class StaffFilters:
    q: str = ""
    due_for_review: bool = False


def staff_list(*, user: User, filters: StaffFilters) -> list[Article]:
    articles = articles_for_user(user=user)
    if filters.due_for_review:
        articles = articles.filter(review_date__lte=review_cutoff())
    if filters.q.strip():
        articles = search(articles, filters.q)
    articles = with_current(articles).select_related("site", "owner")
    order = ["review_date", "site__name", "key"] if filters.due_for_review else ["site__name", "category", "key"]
    return attach_current(articles.order_by(*order, "language"))


def versions_of(article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("created_by").order_by("-version")


def sendable_articles(*, site: Site) -> list[Article]:
    """The public articles an officer can send to a complainant of this site, in every language."""
    articles = with_current(Article.objects.filter(site=site, visibility=Visibility.PUBLIC))
    return attach_current(articles.order_by("category", "key", "language"))


# -- Public -----------------------------------------------------------------------------------------------


def _public(site: Site, language: str) -> QuerySet[Article]:
    languages = {language, FALLBACK_LANGUAGE}
    return with_current(Article.objects.filter(site=site, visibility=Visibility.PUBLIC, language__in=languages))


def _prefer(articles: Iterable[Article], language: str) -> list[Article]:
    """One article per key: in the reader's language where there is one, otherwise in English."""
    chosen: dict[str, Article] = {}
    for article in articles:
        if article.key not in chosen or article.language == language:
            chosen[article.key] = article
    return list(chosen.values())


def public_articles(*, site: Site, language: str, query: str = "") -> list[tuple[str, list[Article]]]:
    """The site's public articles as a reader sees them, grouped by category in the category order."""
    chosen = _prefer(_public(site, language), language)
    if query.strip():
        found = set(search(Article.objects.filter(pk__in=[a.pk for a in chosen]), query).values_list("pk", flat=True))
        chosen = [a for a in chosen if a.pk in found]
    articles = attach_current(chosen)
    groups: list[tuple[str, list[Article]]] = []
    for code, label in Category.choices:
        in_group = sorted((a for a in articles if a.category == code), key=lambda a: a.current.title.casefold())
        if in_group:
            groups.append((str(label), in_group))
    return groups


def public_article(*, site: Site, key: str, language: str) -> Article:
    """A public article in the reader's language, or in English; internal or unknown articles are a 404."""
    chosen = _prefer(_public(site, language).filter(key=key), language)
    if not chosen:
        raise Http404("No such article")
    return attach_current(chosen)[0]
