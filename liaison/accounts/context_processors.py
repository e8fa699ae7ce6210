from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from liaison.accounts.navigation import navigation_for


def liaison(request: HttpRequest) -> dict[str, Any]:
    return {
        "mfa_disabled": not settings.LIAISON_REQUIRE_MFA,
        "demo_mode": settings.DEMO,
        "nav_items": navigation_for(request),
        "session_idle_minutes": settings.LIAISON_SESSION_IDLE_MINUTES,
    }
