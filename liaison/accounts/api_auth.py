"""How the API knows who calls it with a token, and what the token lets them do (see ``tokens.py``).

Kept here, below every app, so that each app's ``api.py`` can ask for a scope without importing the API root.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from liaison.accounts.tokens import TokenUse, token_authenticate
from liaison.lib.ratelimit import allow


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: the token's user, for the token's scopes."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        use = token_authenticate(token, ip_address=request.META.get("REMOTE_ADDR") or None)
        if use is None:
            return None
        limit = settings.LIAISON_API_TOKEN_RATE_PER_MINUTE
        if not allow("api-token", use.token.prefix, limit=limit, window=timedelta(minutes=1)):
            raise HttpError(429, f"Too many requests with this token: at most {limit} a minute.")
        request.user = use.user  # what the operations and the audit trail read
        return use


def require_scope(request: HttpRequest, scope: str) -> None:
    """Refuse (403) a token call whose token lacks ``scope``; a signed-in session passes."""
    use = getattr(request, "auth", None)
    if isinstance(use, TokenUse) and scope not in use.scopes:
        raise HttpError(403, f"This token does not have the {scope} scope.")


def sessions_only(request: HttpRequest) -> None:
    """Refuse (403) a token call to an operation that is not open to tokens yet."""
    if isinstance(getattr(request, "auth", None), TokenUse):
        raise HttpError(403, "This operation is open to signed-in people only, not to API tokens.")
