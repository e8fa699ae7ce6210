"""Single sign-on through the hospital's OpenID Connect provider: authorization code flow with PKCE.

mozilla-django-oidc speaks the protocol. This module decides the rest (see docs/sso.md):

- who the person is in Liaison: the provider's subject (``sub``) once linked, else a verified email address of an
  account an administrator made (or, when allowed, a new account the group map gives a role);
- what the provider's groups grant: roles and site memberships, from ``LIAISON_OIDC_GROUP_MAP``;
- whether the provider's second factor counts: only when its ID token says so (``amr`` or ``acr``);
- how long the session lasts: until the ID token expires, then it renews at the provider without a prompt, and a
  person disabled there in the meantime is signed out.

Nothing here logs a token or a claim; failures are written to the audit trail with a short reason.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import django_otp
import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model, logout
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.middleware import SessionRefresh
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from liaison.accounts.models import ProviderIdentity, ProviderMfaDevice, Role, RoleGrant, User
from liaison.audit.context import origin_from_request
from liaison.audit.services import audit_record
from liaison.lib.ratelimit import allow, client_key
from liaison.org.models import Site

log = logging.getLogger(__name__)

CALLBACK_URL_NAME = "accounts:sso-callback"
# mozilla-django-oidc's own session key for "renew after": its middleware code reads it under this name.
EXPIRY_SESSION_KEY = "oidc_id_token_expiration"
_RESULT_ATTR = "_liaison_sso_result"
_FAILURE_ATTR = "_liaison_sso_failure"
_DISCOVERY_SECONDS = 3600
_HOUR = timedelta(hours=1)


def enabled() -> bool:
    return bool(settings.LIAISON_OIDC_ISSUER)


# -- The group map ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupGrant:
    """What one provider group gives: a role, membership of a site (by its code), or both."""

    role: str = ""
    site_code: str = ""


def parse_group_map(text: str) -> dict[str, tuple[GroupGrant, ...]]:
    """Read ``LIAISON_OIDC_GROUP_MAP``: ``"PALS officers=officer@RGH; PALS leads=manager@RGH manager@HPM"``.

    Entries are separated by semicolons or new lines. Each is a group name as the provider sends it, ``=``, then
    grants separated by spaces or commas: ``role@SITE`` (the role, and membership of the site with that code),
    ``role`` (the role alone) or ``@SITE`` (membership alone). A group named twice gets the grants of both.
    """
    result: dict[str, tuple[GroupGrant, ...]] = {}
    for raw in re.split(r"[;\n]", text):
        entry = raw.strip()
        if not entry:
            continue
        group, sep, grants_text = entry.partition("=")
        group = group.strip()
        if not sep or not group:
            raise ImproperlyConfigured(
                f"LIAISON_OIDC_GROUP_MAP: {entry!r} should read 'group=role@SITE …' (see docs/sso.md)."
            )
        grants: list[GroupGrant] = []
        for item in re.split(r"[\s,]+", grants_text.strip()):
            if not item:
                continue
            role, _, site_code = item.partition("@")
            role, site_code = role.strip().lower(), site_code.strip().upper()
            if role and role not in Role.values:
                raise ImproperlyConfigured(
                    f"LIAISON_OIDC_GROUP_MAP: unknown role {role!r} for group {group!r}; "
                    f"the roles are {', '.join(Role.values)}."
                )
            if not role and not site_code:
                raise ImproperlyConfigured(f"LIAISON_OIDC_GROUP_MAP: an empty grant for group {group!r}.")
            grants.append(GroupGrant(role=role, site_code=site_code))
        if not grants:
            raise ImproperlyConfigured(f"LIAISON_OIDC_GROUP_MAP: group {group!r} grants nothing.")
        result[group] = result.get(group, ()) + tuple(grants)
    return result


def group_map() -> dict[str, tuple[GroupGrant, ...]]:
    return parse_group_map(settings.LIAISON_OIDC_GROUP_MAP)


def groups_in(claims: Mapping[str, Any]) -> list[str]:
    value = claims.get(settings.LIAISON_OIDC_GROUPS_CLAIM)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(item) for item in value if isinstance(item, str | int)]
    return []


def grants_for(groups: Iterable[str], mapping: Mapping[str, tuple[GroupGrant, ...]]) -> tuple[set[str], set[str]]:
    """The roles and site codes the person's groups give them under the map."""
    roles: set[str] = set()
    site_codes: set[str] = set()
    for group in groups:
        for grant in mapping.get(group, ()):
            if grant.role:
                roles.add(grant.role)
            if grant.site_code:
                site_codes.add(grant.site_code)
    return roles, site_codes


# -- The second factor ------------------------------------------------------------------------------------------


def provider_asserted_mfa(id_token_claims: Mapping[str, Any]) -> bool:
    """Whether the provider's signed ID token says it asked for a second factor.

    ``amr`` (RFC 8176) must list one of ``LIAISON_OIDC_MFA_AMR``, or ``acr`` must be one of
    ``LIAISON_OIDC_MFA_ACR``. Claims from the userinfo endpoint are not considered: only the ID token is signed.
    """
    amr = id_token_claims.get("amr")
    methods = [amr] if isinstance(amr, str) else amr if isinstance(amr, list) else []
    if any(isinstance(method, str) and method in settings.LIAISON_OIDC_MFA_AMR for method in methods):
        return True
    acr = id_token_claims.get("acr")
    return isinstance(acr, str) and acr in settings.LIAISON_OIDC_MFA_ACR


# -- The provider's metadata and the settings mozilla-django-oidc asks for ---------------------------------------


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read or does not describe this issuer."""


_discovery_lock = threading.Lock()
_discovery: dict[str, tuple[float, dict[str, Any]]] = {}


def provider_metadata() -> dict[str, Any]:
    """The issuer's discovery document (``/.well-known/openid-configuration``), read on first use, kept an hour."""
    issuer = settings.LIAISON_OIDC_ISSUER
    with _discovery_lock:
        cached = _discovery.get(issuer)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
    try:
        response = requests.get(
            f"{issuer}/.well-known/openid-configuration", timeout=settings.LIAISON_OIDC_TIMEOUT_SECONDS
        )
        response.raise_for_status()
        metadata = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"discovery failed: {type(exc).__name__}") from exc
    if not isinstance(metadata, dict) or str(metadata.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderUnavailable("the discovery document names another issuer")
    needed = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
    if any(not isinstance(metadata.get(key), str) for key in needed):
        raise ProviderUnavailable("the discovery document lacks an endpoint Liaison needs")
    with _discovery_lock:
        _discovery[issuer] = (time.monotonic() + _DISCOVERY_SECONDS, metadata)
    return metadata


_FROM_METADATA = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_FROM_SETTINGS = {
    "OIDC_RP_CLIENT_ID": "LIAISON_OIDC_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "LIAISON_OIDC_CLIENT_SECRET",
    "OIDC_RP_SCOPES": "LIAISON_OIDC_SCOPES",
    "OIDC_RP_SIGN_ALGO": "LIAISON_OIDC_SIGN_ALGO",
    "OIDC_TIMEOUT": "LIAISON_OIDC_TIMEOUT_SECONDS",
}
_FIXED: dict[str, Any] = {
    "OIDC_USE_PKCE": True,
    "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
    "OIDC_USE_NONCE": True,
    "OIDC_RP_IDP_SIGN_KEY": None,
    "OIDC_AUTHENTICATION_CALLBACK_URL": CALLBACK_URL_NAME,
    # Accounts are matched and made here (provider_sign_in), never by the library.
    "OIDC_CREATE_USER": False,
    # Tokens are not kept: the session holds only when it must renew.
    "OIDC_STORE_ACCESS_TOKEN": False,
    "OIDC_STORE_ID_TOKEN": False,
    "OIDC_ALLOW_UNSECURED_JWT": False,
}


def oidc_setting(name: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings, from Liaison's own (``LIAISON_OIDC_*``) and the provider's metadata."""
    if name in _FROM_METADATA:
        return provider_metadata()[_FROM_METADATA[name]]
    if name in _FROM_SETTINGS:
        return getattr(settings, _FROM_SETTINGS[name])
    if name in _FIXED:
        return _FIXED[name]
    if name == "LOGIN_REDIRECT_URL_FAILURE":
        return reverse("accounts:login")
    return import_from_settings(name, *default)


# -- Matching the person ----------------------------------------------------------------------------------------


class SignInRefused(Exception):
    """The provider vouched for someone Liaison will not sign in; ``reason`` is a short code for the audit trail."""

    def __init__(self, reason: str, *, user: User | None = None, email: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user
        self.email = email


def _email_in(claims: Mapping[str, Any]) -> tuple[str, bool]:
    email = claims.get("email")
    email = email.strip().lower()[:254] if isinstance(email, str) else ""
    verified = claims.get("email_verified")
    return email, verified is True or (isinstance(verified, str) and verified.lower() == "true")


def provider_sign_in(*, issuer: str, claims: Mapping[str, Any]) -> User:
    """The Liaison account the provider's claims stand for, with roles and sites from the group map.

    Raises :class:`SignInRefused` for no account (unless ``LIAISON_OIDC_CREATE_USERS`` and the map gives a role),
    a disabled account, an unverified email address for a first sign-in, or an account already linked to another
    subject at this provider.
    """
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise SignInRefused("no_subject")
    email, email_verified = _email_in(claims)
    mapping = group_map()
    roles, site_codes = grants_for(groups_in(claims), mapping)

    identity = ProviderIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    user = identity.user if identity is not None else None
    if user is None:
        # A first sign-in: only a verified address may be trusted to name the account.
        if not email or not email_verified:
            raise SignInRefused("email_not_verified", email=email)
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and ProviderIdentity.objects.filter(user=user, issuer=issuer).exists():
            raise SignInRefused("linked_to_another_subject", user=user, email=email)
        if user is None and not (settings.LIAISON_OIDC_CREATE_USERS and roles):
            raise SignInRefused("no_account", email=email)
    if user is not None and not user.is_active:
        raise SignInRefused("account_disabled", user=user, email=user.email)

    with transaction.atomic():
        if user is None:
            from liaison.accounts.services import user_create

            name = claims.get("name")
            user = user_create(
                acting_user=None,
                email=email,
                full_name=(name if isinstance(name, str) and name.strip() else email)[:150],
                password=None,
            )
            audit_record(action="auth.sso_account_created", obj=user, details={"issuer": issuer})
        if identity is None:
            identity = ProviderIdentity.objects.create(user=user, issuer=issuer, subject=subject)
            audit_record(action="auth.sso_linked", obj=user, details={"issuer": issuer})
        if mapping:
            _apply_grants(user=user, roles=roles, site_codes=site_codes, issuer=issuer)
        identity.last_sign_in_at = timezone.now()
        identity.save(update_fields=["last_sign_in_at"])
    return user


def _apply_grants(*, user: User, roles: set[str], site_codes: set[str], issuer: str) -> None:
    """With a group map, the provider decides roles and sites: the account gets exactly what its groups give."""
    sites_by_code = {site.code.upper(): site for site in Site.objects.all()}
    unknown = sorted(code for code in site_codes if code not in sites_by_code)
    if unknown:
        log.warning("LIAISON_OIDC_GROUP_MAP names site codes Liaison does not have: %s", ", ".join(unknown))
    sites = [sites_by_code[code] for code in sorted(site_codes) if code in sites_by_code]
    roles_before = set(user.role_grants.values_list("role", flat=True))
    sites_before = {site.code.upper() for site in user.sites.all()}
    sites_after = {site.code.upper() for site in sites}
    if roles_before == roles and sites_before == sites_after:
        return
    RoleGrant.objects.filter(user=user).exclude(role__in=roles).delete()
    RoleGrant.objects.bulk_create(
        [RoleGrant(user=user, role=role) for role in sorted(roles - roles_before)], ignore_conflicts=True
    )
    user.sites.set(sites)
    # A department belongs to a site; answering for it ends with membership of that site.
    user.departments.remove(*user.departments.exclude(site__in=sites))
    audit_record(
        action="user.grants_from_provider",
        obj=user,
        details={
            "issuer": issuer,
            "roles": [sorted(roles_before), sorted(roles)],
            "sites": [sorted(sites_before), sorted(sites_after)],
        },
    )


# -- The authentication backend ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SignInResult:
    mfa: bool
    expires_at: float


class ProviderBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, reading its settings only when a sign-in needs them.

    Django builds a backend each time it loads a session's user, so nothing here may call the provider then.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = get_user_model()

    get_settings = staticmethod(oidc_setting)

    # The library reads these as attributes; they come from the provider's metadata, fetched on first use.
    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return str(oidc_setting("OIDC_OP_TOKEN_ENDPOINT"))

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return str(oidc_setting("OIDC_OP_USER_ENDPOINT"))

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return str(oidc_setting("OIDC_OP_JWKS_ENDPOINT"))

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.LIAISON_OIDC_CLIENT_ID)

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return str(settings.LIAISON_OIDC_CLIENT_SECRET)

    @property
    def OIDC_RP_SIGN_ALGO(self) -> str:
        return str(settings.LIAISON_OIDC_SIGN_ALGO)

    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        # Only the provider's callback signs in here, and only while single sign-on is on: a password form
        # posted to a URL carrying ?code=…&state=… must never make Liaison call the provider.
        if request is None or not enabled() or "nonce" not in kwargs or request.path != reverse(CALLBACK_URL_NAME):
            return None
        try:
            user: User | None = super().authenticate(request, **kwargs)
        except SignInRefused as exc:
            setattr(request, _FAILURE_ATTR, exc)
            return None
        except ProviderUnavailable:
            setattr(request, _FAILURE_ATTR, SignInRefused("provider_unavailable"))
            return None
        except requests.RequestException:
            setattr(request, _FAILURE_ATTR, SignInRefused("token_request_failed"))
            return None
        except (SuspiciousOperation, jwt.InvalidTokenError, ValueError, KeyError, TypeError):
            setattr(request, _FAILURE_ATTR, SignInRefused("token_invalid"))
            return None
        if user is None and not hasattr(request, _FAILURE_ATTR):
            setattr(request, _FAILURE_ATTR, SignInRefused("token_invalid"))
        return user

    def get_user(self, user_id: Any) -> User | None:
        # As Django's own backend does: a session of an account deactivated since is no longer served.
        user = User.objects.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The library checks the signature, the nonce and the expiry; the issuer and the audience are checked here."""
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        if str(payload.get("iss", "")).rstrip("/") != settings.LIAISON_OIDC_ISSUER:
            raise SuspiciousOperation("ID token from another issuer")
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
        if settings.LIAISON_OIDC_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another client")
        if not isinstance(payload.get("exp"), int | float):
            raise SuspiciousOperation("ID token without an expiry")
        return payload

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            raise SignInRefused("userinfo_subject_mismatch")
        # Who and how strongly come from the signed ID token; the rest (email, groups) may come from either.
        claims = {**payload, **userinfo, "sub": payload["sub"]}
        user = provider_sign_in(issuer=settings.LIAISON_OIDC_ISSUER, claims=claims)
        setattr(
            self.request, _RESULT_ATTR, _SignInResult(mfa=provider_asserted_mfa(payload), expires_at=payload["exp"])
        )
        return user


# -- The views --------------------------------------------------------------------------------------------------


def _record_failure(request: HttpRequest, failure: SignInRefused) -> None:
    details: dict[str, Any] = {"reason": failure.reason, "issuer": settings.LIAISON_OIDC_ISSUER}
    if failure.email:
        details["email"] = failure.email
    audit_record(action="auth.sso_failed", obj=failure.user, details=details, origin=origin_from_request(request))


def _provider_name() -> str:
    return str(settings.LIAISON_OIDC_PROVIDER_NAME)


class ProviderStartView(OIDCAuthenticationRequestView):
    """Send the browser to the provider, with a fresh state, nonce and PKCE challenge kept in the session."""

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)

    get_settings = staticmethod(oidc_setting)

    @property
    def OIDC_OP_AUTH_ENDPOINT(self) -> str:
        return str(oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT"))

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.LIAISON_OIDC_CLIENT_ID)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404
        if not allow("sso-start", client_key(request), limit=settings.LIAISON_OIDC_SIGN_INS_PER_CLIENT, window=_HOUR):
            _record_failure(request, SignInRefused("too_many"))
            messages.error(request, "Too many sign-ins from this computer. Wait a while, then try again.")
            return HttpResponseRedirect(reverse("accounts:login"))
        try:
            response: HttpResponse = super().get(request)
        except ProviderUnavailable:
            _record_failure(request, SignInRefused("provider_unavailable"))
            messages.error(
                request,
                f"Liaison cannot reach {_provider_name()} just now. Try again in a minute, "
                "or sign in with your Liaison email and password if you have one.",
            )
            return HttpResponseRedirect(reverse("accounts:login"))
        return response


class ProviderCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: a new sign-in, or a session renewing without a prompt."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404
        error = request.GET.get("error")
        if error:
            # Only the provider's error code: its description may quote what the person typed.
            code = re.sub(r"[^a-z_]", "", error.lower())[:40] or "unknown"
            user = request.user if isinstance(request.user, User) else None  # a renewal: whose session ends
            setattr(request, _FAILURE_ATTR, SignInRefused(f"provider:{code}", user=user))
        response: HttpResponse = super().get(request)
        return response

    def login_success(self) -> HttpResponse:
        request = self.request
        previous = request.user if request.user.is_authenticated else None
        response: HttpResponse = super().login_success()
        result: _SignInResult = getattr(request, _RESULT_ATTR)
        # The session lasts as long as the provider's ID token; then the middleware renews it there.
        request.session[EXPIRY_SESSION_KEY] = float(result.expires_at)
        if result.mfa:
            device, _ = ProviderMfaDevice.objects.get_or_create(
                user=self.user, defaults={"name": "Identity provider", "confirmed": True}
            )
            django_otp.login(request, device)
        renewed = previous is not None and previous.pk == self.user.pk
        audit_record(
            action="auth.sso_renewed" if renewed else "auth.sso_login",
            actor=self.user,
            obj=self.user,
            details={"issuer": settings.LIAISON_OIDC_ISSUER, "mfa_from_provider": result.mfa},
            origin=origin_from_request(request),
        )
        return response

    def login_failure(self) -> HttpResponse:
        request = self.request
        failure: SignInRefused = getattr(request, _FAILURE_ATTR, None) or SignInRefused("callback_invalid")
        _record_failure(request, failure)
        if request.user.is_authenticated:
            # A renewal that failed for any reason ends the session: it must not be served past the token.
            logout(request)
        if failure.reason in ("provider:login_required", "provider:interaction_required"):
            messages.info(request, f"Your session with {_provider_name()} has ended. Sign in again to carry on.")
        else:
            messages.error(
                request,
                f"Signing in with {_provider_name()} did not work. If this keeps happening, ask your Liaison "
                "administrator to check that your account exists and is active.",
            )
        return HttpResponseRedirect(reverse("accounts:login"))


# -- Renewing the session at the provider -------------------------------------------------------------------------


class ProviderSessionMiddleware(SessionRefresh):
    """A session signed in through the provider is served only until its ID token expires.

    Then the browser goes back to the provider with ``prompt=none``: a person still allowed in comes straight
    back with a new token (and the page they asked for); a person disabled at the provider comes back with an
    error and is signed out. Requests that cannot follow a redirect (htmx, scripts, the API) are refused instead.
    Sessions signed in with a password are left alone.
    """

    def __init__(self, get_response: Any) -> None:
        MiddlewareMixin.__init__(self, get_response)

    get_settings = staticmethod(oidc_setting)
    OIDC_STATE_SIZE = 32
    OIDC_NONCE_SIZE = 32
    OIDC_USE_NONCE = True
    OIDC_AUTHENTICATION_CALLBACK_URL = CALLBACK_URL_NAME

    @property
    def OIDC_OP_AUTHORIZATION_ENDPOINT(self) -> str:
        return str(oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT"))

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.LIAISON_OIDC_CLIENT_ID)

    @property
    def OIDC_RP_SCOPES(self) -> str:
        return str(settings.LIAISON_OIDC_SCOPES)

    @cached_property
    def exempt_urls(self) -> set[str]:
        return {reverse("accounts:sso-start"), reverse(CALLBACK_URL_NAME), reverse("accounts:logout")}

    @cached_property
    def exempt_url_patterns(self) -> set[Any]:
        return set()

    def is_refreshable_url(self, request: HttpRequest) -> bool:
        # Every method, not only GET as the library does: a form posted after expiry must not be served either.
        return (
            enabled()
            and request.user.is_authenticated
            and request.session.get(BACKEND_SESSION_KEY) == f"{ProviderBackend.__module__}.{ProviderBackend.__name__}"
            and request.path not in self.exempt_urls
            and not request.path.startswith(settings.STATIC_URL)
        )

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if not self.is_refreshable_url(request):
            return None
        if request.session.get(EXPIRY_SESSION_KEY, 0) > time.time():
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"message": "The session has expired; sign in again.", "extra": {}}, status=401)
        try:
            response: HttpResponse | None = super().process_request(request)
        except ProviderUnavailable:
            # Without the provider the session cannot be renewed, so it is not served.
            logout(request)
            messages.error(request, f"Liaison cannot reach {_provider_name()} to renew your session. Sign in again.")
            return HttpResponseRedirect(reverse("accounts:login"))
        if request.method not in ("GET", "HEAD"):
            # Coming back, go to the page the form was on: the form's own address may not answer a GET.
            request.session["oidc_login_next"] = _same_site_referer(request) or reverse(settings.LOGIN_REDIRECT_URL)
        if response is not None and request.headers.get("HX-Request") and "Location" in response:
            return HttpResponse(status=204, headers={"HX-Redirect": response["Location"]})
        return response


def _same_site_referer(request: HttpRequest) -> str:
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return ""


# -- Configuration checks ---------------------------------------------------------------------------------------


def check_configuration(**kwargs: Any) -> list[CheckMessage]:
    """A bad group map or scope list stops ``manage.py check`` (and so a deploy) instead of the first sign-in."""
    errors: list[CheckMessage] = []
    if not enabled():
        return errors
    try:
        group_map()
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), id="liaison.sso.E001"))
    if "openid" not in settings.LIAISON_OIDC_SCOPES.split():
        errors.append(Error("LIAISON_OIDC_SCOPES must include 'openid'.", id="liaison.sso.E002"))
    return errors
