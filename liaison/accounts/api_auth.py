"""How the API knows who calls it with a token, and what the token lets them do (see ``tokens.py``).

Kept here, below every app, so that each app's ``api.py`` can ask for a scope without importing the API root.

An operation names the scope a token needs in its decorator, ``auth=scoped(ApiScope.READ_CASES)``: the
token is checked for it before the request is even read, so a token without the scope gets 403 whatever it
sends. A signed-in session passes (with its second factor); the person's capabilities still apply inside the
operation, as on the pages. An operation that names no scope is closed to tokens.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from liaison.accounts.mfa import is_verified
from liaison.accounts.models import User
from liaison.accounts.tokens import token_authenticate
from liaison.lib.ratelimit import allow


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: the token's user, if the token holds ``scope`` (else 403).

    With no scope, the operation is closed to tokens: a live token gets 403, never the operation.
    """

    def __init__(self, scope: str | None = None) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        use = token_authenticate(token, ip_address=request.META.get("REMOTE_ADDR") or None)
        if use is None:
            return None
        limit = settings.LIAISON_API_TOKEN_RATE_PER_MINUTE
        if not allow("api-token", use.token.prefix, limit=limit, window=timedelta(minutes=1)):
            raise HttpError(429, f"Too many requests with this token: at most {limit} a minute.")
        if self.scope is None:
            raise HttpError(403, "This operation is open to signed-in people only, not to API tokens.")
        if self.scope not in use.scopes:
            raise HttpError(403, f"This token does not have the {self.scope} scope.")
        request.user = use.user  # what the operations and the audit trail read
        return use


class VerifiedSessionAuth(SessionAuth):
    """A signed-in user who has also given the second factor (unless the demo switched MFA off)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user and (not settings.LIAISON_REQUIRE_MFA or is_verified(user)):
            return user
        return None


def scoped(scope: str) -> list[Any]:
    """An operation's ``auth``: a token holding ``scope``, or a signed-in, verified session."""
    return [TokenAuth(scope), VerifiedSessionAuth()]


def sessions_only() -> list[Any]:
    """An operation's ``auth`` where no token may call it (the API's default)."""
    return [TokenAuth(None), VerifiedSessionAuth()]


def caller(request: HttpRequest) -> User:
    """The person calling: the token's user, or the signed-in user."""
    return request.user  # type: ignore[return-value]


class ErrorOut(Schema):
    """Every error the API answers: a sentence a person can act on, and details for a program."""

    message: str
    extra: dict[str, Any]


# The error answers any operation may give, so that the OpenAPI document describes every response a client
# can see (an operation's own success answer is added beside them).
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 409, 422, 429)}


def answers(schema: Any, status: int = 200) -> dict[int, Any]:
    """An operation's responses: ``schema`` for ``status``, and the error shape for every error code."""
    return {status: schema, **ERRORS}
