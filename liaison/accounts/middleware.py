from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import patch_cache_control

from liaison.accounts.mfa import is_verified
from liaison.accounts.services import mfa_is_enrolled

# Paths a signed-in user may reach before the second factor: the MFA pages themselves, logout, static files.
_OPEN_PREFIXES = (
    "/static/",
    "/api/",
    "/accounts/mfa/verify/",
    # The identity provider's callback: it may renew a session whose second factor is still to come.
    "/accounts/sso/",
    "/accounts/mfa/enrol/",
    "/accounts/logout/",
    "/favicon.ico",
)


class MfaRequiredMiddleware:
    """Every staff page needs a verified second factor (unless the demo has switched MFA off)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.LIAISON_REQUIRE_MFA
            and user.is_authenticated
            and not is_verified(user)
            and not request.path.startswith(_OPEN_PREFIXES)
        ):
            target = "accounts:mfa-verify" if mfa_is_enrolled(user) else "accounts:mfa-enrol"
            query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
            return HttpResponseRedirect(reverse(target) + (f"?{query}" if query else ""))
        return self.get_response(request)


SIGNED_IN_HINT_COOKIE = "liaison_was_signed_in"


class SessionEndHintMiddleware:
    """Remember, without any personal data, that this browser was signed in.

    When the idle timeout ends a session, the session cookie is simply gone; this hint lets the sign-in page
    say why the person is there instead of leaving them to wonder.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        signed_in = request.user.is_authenticated
        had_hint = SIGNED_IN_HINT_COOKIE in request.COOKIES
        if signed_in and not had_hint:
            response.set_cookie(
                SIGNED_IN_HINT_COOKIE, "1", httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE
            )
        elif not signed_in and had_hint and getattr(request, "liaison_hint_consumed", False):
            response.delete_cookie(SIGNED_IN_HINT_COOKIE, samesite="Lax")
        return response


class NoStoreForStaffMiddleware:
    """Nothing shown to signed-in staff may be kept by a browser cache or a proxy.

    Case pages, letters and exports hold patient data; on a shared ward computer the back button or the disk
    cache would show them to the next person. ``no-store`` keeps them out of every cache, ``private`` out of
    shared ones for clients that ignore ``no-store``. Anonymous pages (the public front door) and static files
    (served by WhiteNoise before this runs) keep their own caching. API clients authenticate with a header,
    not the session, so a request carrying one counts as staff too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        if signed_in or "HTTP_AUTHORIZATION" in request.META:
            patch_cache_control(response, no_store=True, private=True)
        return response


SESSION_RENEWED_KEY = "_liaison_renewed_at"
SESSION_RENEW_SECONDS = 60


class SessionRenewalMiddleware:
    """Keep the idle timeout running without writing the session row on every request.

    Saving every session on every request (Django's ``SESSION_SAVE_EVERY_REQUEST``) costs a database write per
    page and per API call. Renewing at most once a minute keeps the 15-minute idle logoff: a session ends at
    most a minute earlier than it would have, never later.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty() or response.status_code >= 500:
            return response
        now = int(time.time())
        renewed = session.get(SESSION_RENEWED_KEY)
        if not isinstance(renewed, int) or now - renewed >= SESSION_RENEW_SECONDS or renewed > now:
            session[SESSION_RENEWED_KEY] = now  # marks it modified: the session middleware saves it and its cookie
        return response
