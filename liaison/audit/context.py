"""Where the current request came from, so services can audit without being handed the request."""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class RequestOrigin:
    ip_address: str | None
    user_agent: str


current_origin: ContextVar[RequestOrigin | None] = ContextVar("liaison_audit_origin", default=None)


def origin_from_request(request: HttpRequest) -> RequestOrigin:
    raw_ip = request.META.get("REMOTE_ADDR") or ""
    try:
        ip: str | None = str(ipaddress.ip_address(raw_ip))
    except ValueError:
        ip = None
    return RequestOrigin(ip_address=ip, user_agent=(request.META.get("HTTP_USER_AGENT") or "")[:400])
