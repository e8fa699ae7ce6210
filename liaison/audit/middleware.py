from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from liaison.audit.context import current_origin, origin_from_request


class AuditContextMiddleware:
    """Make the request's IP address and user agent available to the audit services."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_origin.set(origin_from_request(request))
        try:
            return self.get_response(request)
        finally:
            current_origin.reset(token)
