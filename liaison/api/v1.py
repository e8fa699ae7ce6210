"""The REST API, /api/v1/. Each app's api.py adds its router here; OpenAPI is generated from the code.

Authentication is an API token (``Authorization: Bearer lsn_…``, see ``liaison.accounts.tokens``) or the
signed-in session (with its second factor); anything else gets 401. A token is held to its scopes: an
operation names the scope it needs (``auth=scoped(...)``, see ``liaison.accounts.api_auth``), which a session
always passes (the person's capabilities still apply inside the operation, as on the pages). Token calls are
rate limited per token.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from liaison.accounts.api_auth import sessions_only
from liaison.cases.services import EditConflict
from liaison.lib.errors import ApplicationError, NotAllowed

# The default closes an operation to tokens: each operation open to them names its scope (``scoped``).
api = NinjaAPI(title="Liaison API", version="1", urls_namespace="api-v1", auth=sessions_only())


# Every error has one shape, {"message": what a person can act on, "extra": details for a program}, whatever
# raised it: a service's refusal, the API's own checks, a missing object, a malformed request.
def _error(request: HttpRequest, message: str, status: int, extra: dict[str, Any] | None = None) -> HttpResponse:
    return api.create_response(request, {"message": message, "extra": extra or {}}, status=status)


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return _error(request, exc.message, 400, exc.extra)


@api.exception_handler(NotAllowed)
def not_allowed(request: HttpRequest, exc: NotAllowed) -> HttpResponse:
    return _error(request, exc.message, 403, exc.extra)


@api.exception_handler(EditConflict)
def edit_conflict(request: HttpRequest, exc: EditConflict) -> HttpResponse:
    return _error(request, exc.message, 409, exc.extra)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = "Sign in first: send an API token (Authorization: Bearer …) or call from a signed-in session."
    return _error(request, message, 401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, str(exc), exc.status_code)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, "Not found, or not open to you.", 404)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, "The request is not valid: see extra.errors.", 422, {"errors": exc.errors})


def _register() -> None:
    from liaison.cases.api import router as cases

    api.add_router("/cases", cases)
    from liaison.investigations.api import router as investigations

    api.add_router("/investigations/", investigations)
    from liaison.hiring.api import router as hiring

    api.add_router("/hiring/", hiring)
    from liaison.correspondence.api import router as letters

    api.add_router("", letters)
    from liaison.meetings.api import router as meetings

    api.add_router("", meetings)
    from liaison.advocacy.api import router as advocacy

    api.add_router("", advocacy)
    from liaison.feedback.api import router as feedback

    api.add_router("/feedback", feedback)
    from liaison.improvement.api import router as improvement

    api.add_router("/improvement", improvement)
    from liaison.insights.api import router as insights

    api.add_router("/measures", insights)


_register()


# Ninja's own pages: the OpenAPI document, the browsable docs, the root. They stay behind the site's sign-in.
_DOCUMENTATION = {"openapi-json", "openapi-view", "api-root"}


def api_urls() -> Any:
    """The API's URL patterns. Each operation is left to the API's own authentication (a token or a session,
    else 401) instead of the site's sign-in redirect, which a program calling with a token could not follow;
    the documentation stays for signed-in staff."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if pattern.callback is not None and pattern.name not in _DOCUMENTATION:
            login_not_required(pattern.callback)
    return patterns, app_name, namespace
