"""Articles built through the services, for the knowledge tests."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from liaison.accounts.models import User
from liaison.knowledge import services
from liaison.knowledge.models import Article
from liaison.org.models import Site


def write(
    user: User,
    site: Site,
    key: str,
    *,
    language: str = "en",
    category: str = "rights",
    visibility: str = "public",
    title: str = "Your rights",
    summary: str = "",
    body: str = "<p>Text.</p>",
    review_date: date | None = None,
) -> Article:
    return services.article_create(
        acting_user=user,
        site=site,
        key=key,
        language=language,
        category=category,
        visibility=visibility,
        owner=user,
        review_date=review_date or timezone.localdate() + timedelta(days=365),
        title=title,
        summary=summary,
        body=body,
    )
