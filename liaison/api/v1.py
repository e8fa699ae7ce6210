"""The REST API, /api/v1/. Each app's api.py adds its router here; OpenAPI is generated from the code.

Authentication is the signed-in session (with its second factor); unauthenticated calls get 401.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import SessionAuth

from liaison.accounts.mfa import is_verified
from liaison.lib.errors import ApplicationError


class VerifiedSessionAuth(SessionAuth):
    """A signed-in user who has also given the second factor (unless the demo switched MFA off)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user and (not settings.LIAISON_REQUIRE_MFA or is_verified(user)):
            return user
        return None


api = NinjaAPI(title="Liaison API", version="1", urls_namespace="api-v1", auth=VerifiedSessionAuth())


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(request, {"message": exc.message, "extra": exc.extra}, status=400)


def _register() -> None:
    from liaison.investigations.api import router as investigations

    api.add_router("/investigations/", investigations)
    from liaison.hiring.api import router as hiring

    api.add_router("/hiring/", hiring)


_register()
