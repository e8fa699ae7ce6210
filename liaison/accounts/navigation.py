"""The main navigation, by role: each person sees links only to what they may open."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from liaison.accounts.mfa import is_verified
from liaison.accounts.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


_ITEMS: list[tuple[str, str, tuple[str, ...] | None]] = [
    ("My work", "home:my-work", None),
    ("Cases", "cases:worklist", (Role.OFFICER, Role.MANAGER, Role.EXECUTIVE)),
    ("Log a case", "cases:intake", (Role.OFFICER, Role.MANAGER)),
    ("Requests", "investigations:list", (Role.INVESTIGATOR,)),
    ("Letters", "correspondence:list", (Role.OFFICER, Role.MANAGER)),
    ("Feedback", "feedback:dashboard", (Role.OFFICER, Role.MANAGER, Role.EXECUTIVE)),
    ("Improvements", "improvement:list", (Role.OFFICER, Role.MANAGER, Role.EXECUTIVE)),
    ("Information", "knowledge:staff-list", (Role.OFFICER, Role.MANAGER, Role.ADMIN)),
    ("Practice", "hiring:practice", (Role.OFFICER, Role.MANAGER)),
    ("Hiring", "hiring:vacancies", (Role.MANAGER, Role.OFFICER)),
    ("Organisation", "org:site-list", (Role.OFFICER, Role.MANAGER, Role.ADMIN)),
    ("Audit trail", "audit:search", (Role.AUDITOR,)),
    ("Administration", "admin:index", (Role.ADMIN,)),
]


def navigation_for(request: HttpRequest) -> list[NavItem]:
    user = request.user
    if not user.is_authenticated:
        return []
    if settings.LIAISON_REQUIRE_MFA and not is_verified(user):
        return []  # nothing behind these links opens before the second factor
    allowed = [(label, reverse(name)) for label, name, roles in _ITEMS if roles is None or user.has_role(*roles)]
    # The current section is the longest link the path starts with ("/cases/new/" rather than "/cases/").
    matches = [url for _, url in allowed if (request.path == url if url == "/" else request.path.startswith(url))]
    current = max(matches, key=len, default=None)
    return [NavItem(label, url, url == current) for label, url in allowed]
