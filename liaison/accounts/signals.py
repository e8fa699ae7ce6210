"""Authentication events into the audit trail."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from liaison.audit.context import origin_from_request
from liaison.audit.services import audit_record


def _origin(request: HttpRequest | None) -> Any:
    return origin_from_request(request) if request is not None else None


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(action="auth.login", actor=user, obj=user, origin=_origin(request))


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action="auth.logout", actor=user, obj=user, origin=_origin(request))


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    if "nonce" in credentials:
        return  # single sign-on's callback: it writes auth.sso_failed itself, with the reason (liaison/accounts/sso.py)
    # The email typed is kept so an auditor can see attacks on an account; the password never is.
    email = str(credentials.get("username") or credentials.get("email") or "")[:254]
    audit_record(action="auth.login_failed", details={"email": email}, origin=_origin(request))


@receiver(user_locked_out)
def _locked_out(sender: Any, request: HttpRequest | None, username: str | None, **kwargs: Any) -> None:
    audit_record(action="auth.lockout", details={"email": (username or "")[:254]}, origin=_origin(request))
