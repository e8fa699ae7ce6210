"""The main navigation: each person sees links only to what they may open, by the capability each page asks."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from liaison.accounts.mfa import is_verified
from liaison.accounts.permissions import Cap, can


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


# Each link names the capability of the page it opens, so a link never shows for a page that would refuse.
_ITEMS: list[tuple[str, str, Cap | None]] = [
    ("My work", "home:my-work", None),
    ("Cases", "cases:worklist", Cap.CASE_READ),
    ("Log a case", "cases:intake", Cap.CASE_WORK),
    ("Requests", "investigations:list", Cap.REQUEST_ANSWER),
    ("Letters", "correspondence:list", Cap.LETTER_WORK),
    ("Numbers", "insights:dashboard", Cap.INSIGHTS_READ),
    ("Feedback", "feedback:dashboard", Cap.FEEDBACK_DASHBOARD),
    ("Improvements", "improvement:list", Cap.IMPROVEMENT_READ),
    ("Information", "knowledge:staff-list", Cap.KNOWLEDGE_READ),
    ("Practice", "hiring:practice", Cap.PRACTICE),
    ("Hiring", "hiring:vacancies", Cap.HIRING_READ),
    ("Organisation", "org:site-list", Cap.ORG_READ),
    ("Retention", "retention:index", Cap.RETENTION_MANAGE),
    ("Audit trail", "audit:search", Cap.AUDIT_READ),
    ("Administration", "admin:index", Cap.ADMIN),
]


def navigation_for(request: HttpRequest) -> list[NavItem]:
    user = request.user
    if not user.is_authenticated:
        return []
    if settings.LIAISON_REQUIRE_MFA and not is_verified(user):
        return []  # nothing behind these links opens before the second factor
    allowed = [(label, reverse(name)) for label, name, cap in _ITEMS if cap is None or can(user, cap)]
    # The current section is the longest link the path starts with ("/cases/new/" rather than "/cases/").
    matches = [url for _, url in allowed if (request.path == url if url == "/" else request.path.startswith(url))]
    current = max(matches, key=len, default=None)
    return [NavItem(label, url, url == current) for label, url in allowed]
