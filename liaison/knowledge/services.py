"""Writing the knowledge base: create and edit articles (each edit a new version), send one to a complainant,
and seed a site with the articles shipped for its policy pack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from liaison.accounts.models import User
from liaison.audit.services import audit_record, model_changes, snapshot
from liaison.cases import selectors as case_selectors
from liaison.cases.models import Case, TimelineEvent, TimelineKind
from liaison.correspondence.content import recipient
from liaison.knowledge.content import article_public_url, check_template, sanitise
from liaison.knowledge.models import Article, ArticleVersion, Category, Language, Visibility
from liaison.knowledge.selectors import can_edit
from liaison.lib.emails import send_templated
from liaison.lib.errors import ApplicationError
from liaison.lib.sandbox import TemplateRefused
from liaison.org.models import Site

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"
REVIEW_AFTER_DAYS = 365


@dataclass(frozen=True)
class Content:
    title: str
    summary: str
    body: str


def _clean_content(content: Content, site: Site) -> Content:
    title, summary = " ".join(content.title.split()), " ".join(content.summary.split())
    if not title:
        raise ApplicationError("Give the article a title.")
    body = sanitise(content.body).strip()
    if not body:
        raise ApplicationError("Write the article's text.")
    try:
        check_template(body, site)
    except TemplateRefused as exc:
        raise ApplicationError(f"The article text has a template error: {exc.message}") from exc
    return Content(title=title[:200], summary=summary[:400], body=body)


def _check_owner(owner: User | None, site: Site) -> None:
    if owner is not None and site.pk not in owner.site_ids:
        raise ApplicationError("The owner must be a member of the article's site.")


def _create(
    *,
    actor: User | None,
    site: Site,
    key: str,
    language: str,
    category: str,
    visibility: str,
    owner: User | None,
    review_date: date,
    content: Content,
    note: str,
    action: str,
) -> Article:
    content = _clean_content(content, site)
    article = Article(
        site=site,
        key=key.strip().lower(),
        language=language,
        category=category,
        visibility=visibility,
        owner=owner,
        review_date=review_date,
    )
    try:
        article.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages)) from exc
    with transaction.atomic():
        if Article.objects.filter(site=site, key=article.key, language=language).exists():
            raise ApplicationError(
                f"This site already has an article “{article.key}” in {Language(language).label}: edit that one."
            )
        article.save()
        version = ArticleVersion.objects.create(
            article=article,
            version=1,
            title=content.title,
            summary=content.summary,
            body=content.body,
            note=note.strip()[:300],
            created_by=actor,
        )
        audit_record(
            action=action,
            actor=actor,
            obj=article,
            site=site,
            details={"key": article.key, "language": language, "visibility": visibility, "version": version.version},
        )
    return article


def article_create(
    *,
    acting_user: User,
    site: Site,
    key: str,
    language: str,
    category: str,
    visibility: str,
    owner: User | None,
    review_date: date,
    title: str,
    summary: str,
    body: str,
    note: str = "",
) -> Article:
    if not can_edit(acting_user, site.pk):
        raise ApplicationError("Only a manager or an administrator of this site can write articles.")
    _check_owner(owner, site)
    return _create(
        actor=acting_user,
        site=site,
        key=key,
        language=language,
        category=category,
        visibility=visibility,
        owner=owner,
        review_date=review_date,
        content=Content(title=title, summary=summary, body=body),
        note=note or "First version.",
        action="knowledge.create",
    )


_IDENTITY_FIELDS = ("category", "visibility", "owner", "review_date")


def article_update(
    *,
    acting_user: User,
    article: Article,
    expected_version: int,
    title: str,
    summary: str,
    body: str,
    note: str = "",
    category: str,
    visibility: str,
    owner: User | None,
    review_date: date,
) -> ArticleVersion:
    """A change of wording adds a version (the old ones stay readable); the owner, review date, category and
    visibility change in place. Both are audited with what changed."""
    if not can_edit(acting_user, article.site_id):
        raise ApplicationError("Only a manager or an administrator of this site can change articles.")
    site = article.site
    _check_owner(owner, site)
    content = _clean_content(Content(title=title, summary=summary, body=body), site)
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        current = locked.versions.order_by("-version").first()
        if current is None or current.version != expected_version:
            raise ApplicationError(
                "Someone else changed this article after you opened it; your changes were not saved. Reload it."
            )
        before = snapshot(locked, exclude=("created_at", "updated_at"))
        locked.category, locked.visibility, locked.owner, locked.review_date = category, visibility, owner, review_date
        try:
            locked.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages)) from exc
        locked.save()
        changes = model_changes(before, snapshot(locked, exclude=("created_at", "updated_at")))
        reworded = (content.title, content.summary, content.body) != (current.title, current.summary, current.body)
        version = current
        if reworded:
            version = ArticleVersion.objects.create(
                article=locked,
                version=current.version + 1,
                title=content.title,
                summary=content.summary,
                body=content.body,
                note=note.strip()[:300],
                created_by=acting_user,
            )
        if reworded or changes:
            audit_record(
                action="knowledge.update",
                actor=acting_user,
                obj=locked,
                site=site,
                details={"version": version.version, "new_version": reworded, "changes": changes},
            )
    article.refresh_from_db()
    return version


def article_send(*, acting_user: User, case: Case, article: Article) -> str:
    """Email a public article's link to the case's complainant; returns the address it goes to.

    The email goes after commit. It holds the article's title, summary and public link, never case details.
    """
    if not (case_selectors.can_see_identity(acting_user) and case.site_id in acting_user.site_ids):
        raise ApplicationError("You cannot work on cases at this site.")
    if article.site_id != case.site_id or article.visibility != Visibility.PUBLIC:
        raise ApplicationError("Only a public article of the case's site can be sent to a complainant.")
    current = article.versions.order_by("-version").first()
    if current is None:
        raise ApplicationError("This article has no text yet.")
    person = recipient(case)
    to = person.email
    if not to:
        raise ApplicationError("There is no email address for the complainant: give them the link in a letter.")
    url = article_public_url(article)
    site = case.site
    with transaction.atomic():
        TimelineEvent.objects.create(
            case=case,
            kind=TimelineKind.EMAIL,
            summary=f"Information emailed to the complainant: {current.title}"[:300],
            actor=acting_user,
            occurred_at=timezone.now(),
            data={"article": article.pk, "version": current.version, "language": article.language},
        )
        audit_record(
            action="knowledge.send",
            actor=acting_user,
            obj=article,
            site=site,
            details={"case": case.reference, "version": current.version, "language": article.language},
        )
        context = {
            "recipient_name": person.name,
            "title": current.title,
            "summary": current.summary,
            "url": url,
            "site": site,
        }
        reply_to = [site.complaints_contact_email] if site.complaints_contact_email else []

        def send() -> None:
            with translation.override(article.language):
                send_templated("knowledge_article", context, to=[to], reply_to=reply_to)

        transaction.on_commit(send)
    return to


# -- Seed -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedArticle:
    key: str
    language: str
    category: str
    visibility: str
    content: Content


def _read_seed(path: Path) -> SeedArticle:
    """``<key>.<language>.html``: header lines (Title, Summary, Category, Visibility), a blank line, the body."""
    key, language = path.name.removesuffix(".html").rsplit(".", 1)
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    fields = {}
    for line in head.splitlines():
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    category, visibility = fields.get("category", ""), fields.get("visibility", Visibility.PUBLIC)
    if language not in Language.values or category not in Category.values or visibility not in Visibility.values:
        raise ValueError(f"{path}: unknown language, category or visibility.")
    return SeedArticle(
        key=key,
        language=language,
        category=category,
        visibility=visibility,
        content=Content(title=fields.get("title", ""), summary=fields.get("summary", ""), body=body.strip()),
    )


def seed_articles(pack: str) -> list[SeedArticle]:
    """The articles shipped with Liaison for a policy pack (none for a pack without a folder)."""
    return [_read_seed(path) for path in sorted((ARTICLES_DIR / pack).glob("*.*.html"))]


def seed_articles_for_site(site: Site) -> int:
    """Add the shipped articles for the site's pack that it lacks (by key and language); returns how many."""
    existing = set(Article.objects.filter(site=site).values_list("key", "language"))
    review_date = timezone.localdate() + timedelta(days=REVIEW_AFTER_DAYS)
    added = 0
    for seed in seed_articles(site.policy_pack):
        if (seed.key, seed.language) in existing:
            continue
        _create(
            actor=None,
            site=site,
            key=seed.key,
            language=seed.language,
            category=seed.category,
            visibility=seed.visibility,
            owner=site.responsible_person,
            review_date=review_date,
            content=seed.content,
            note="Shipped with Liaison.",
            action="knowledge.seed",
        )
        added += 1
    return added
