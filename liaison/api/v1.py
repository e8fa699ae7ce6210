"""The REST API, /api/v1/. Each app's api.py adds its router here; OpenAPI is generated from the code.

Authentication is an API token (``Authorization: Bearer lsn_…``, see ``liaison.accounts.tokens``) or the
signed-in session (with its second factor); anything else gets 401. A token is held to its scopes: an
operation calls :func:`require_scope`, which a session always passes (the person's capabilities still apply
inside the operation, as on the pages). Token calls are rate limited per token.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import SessionAuth

from liaison.accounts.api_auth import TokenAuth
from liaison.accounts.mfa import is_verified
from liaison.lib.errors import ApplicationError


class VerifiedSessionAuth(SessionAuth):
    """A signed-in user who has also given the second factor (unless the demo switched MFA off)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user and (not settings.LIAISON_REQUIRE_MFA or is_verified(user)):
            return user
        return None


api = NinjaAPI(title="Liaison API", version="1", urls_namespace="api-v1", auth=[TokenAuth(), VerifiedSessionAuth()])


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(request, {"message": exc.message, "extra": exc.extra}, status=400)


def _register() -> None:
    from liaison.investigations.api import router as investigations

    api.add_router("/investigations/", investigations)
    from liaison.hiring.api import router as hiring

    api.add_router("/hiring/", hiring)


_register()


def api_urls() -> Any:
    """The API's URL patterns, each left to the API's own authentication (a token or a session, else 401)
    instead of the site's sign-in redirect, which a program calling with a token could not follow."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if pattern.callback is not None:
            login_not_required(pattern.callback)
    return patterns, app_name, namespace
