"""Whether a request's user has given their second factor (django-otp adds ``is_verified`` at run time)."""

from __future__ import annotations

from typing import Any


def is_verified(user: Any) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False
