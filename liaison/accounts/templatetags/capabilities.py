"""``{% if user|can:"letter.sign" %}``: templates ask the capability table, never a role."""

from __future__ import annotations

from typing import Any

from django import template

from liaison.accounts.permissions import Cap, can

register = template.Library()


@register.filter(name="can")
def can_filter(user: Any, capability: str) -> bool:
    # An unknown name raises rather than quietly hiding a link: a typo must fail the page's tests.
    return can(user, Cap(capability))
