"""API tokens: made for a person or a service account, shown once, stored as a digest, scoped, expiring.

A token is ``lsn_`` followed by 40 random URL-safe characters (240 bits). It is looked up by the SHA-256 of the
whole secret: a secret that long cannot be guessed, so a plain digest (no salt, no slow hash) is enough and
lets one indexed lookup find it. Each scope needs a capability of the token's user (``SCOPE_NEEDS``): a token
never lets a program do what its user may not, and losing a role takes the scope away from the token too.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from liaison.accounts.models import ApiScope, ApiToken, User
from liaison.accounts.permissions import Cap, can, require
from liaison.audit.services import audit_record
from liaison.lib.errors import ApplicationError

TOKEN_PREFIX = "lsn_"
SHOWN_PREFIX_LENGTH = 12  # "lsn_" and 8 characters of the secret: enough to recognise, far too few to use
MAX_DAYS = 366
DEFAULT_DAYS = 90
# A token's last use is written at most this often, so a busy integration does not write on every call.
LAST_USE_EVERY = timedelta(minutes=1)

# Each scope and the capabilities that allow it (any one of them). Investigators read and answer the
# requests sent to their departments: for them "cases" are those requests.
SCOPE_NEEDS: dict[str, tuple[Cap, ...]] = {
    ApiScope.READ_CASES: (Cap.CASE_READ, Cap.REQUEST_ANSWER),
    ApiScope.WRITE_CASES: (Cap.CASE_WORK, Cap.REQUEST_ANSWER),
    ApiScope.INGEST_FEEDBACK: (Cap.FEEDBACK_WORK,),
    ApiScope.READ_MEASURES: (Cap.INSIGHTS_READ,),
}


def _allowed(user: User, scope: str) -> bool:
    return any(can(user, cap) for cap in SCOPE_NEEDS.get(scope, ()))


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def scopes_for(user: User) -> list[str]:
    """The scopes a token of ``user`` may carry: those whose capability the user holds."""
    return [scope for scope in SCOPE_NEEDS if _allowed(user, scope)]


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown to the person once, never stored


def token_create(*, acting_user: User, user: User, name: str, scopes: list[str], days: int = DEFAULT_DAYS) -> NewToken:
    """A new token for ``user``: one's own, or (administrators) a service account's or anyone's."""
    if user.pk != acting_user.pk:
        require(acting_user, Cap.ADMIN)
    else:
        require(acting_user, Cap.API_TOKEN_OWN)
    name = name.strip()
    if not name:
        raise ApplicationError("Name the token after what will use it.", extra={"fields": {"name": ["Required."]}})
    if not scopes:
        raise ApplicationError("Choose at least one scope.", extra={"fields": {"scopes": ["Required."]}})
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown:
        raise ApplicationError(f"Unknown scope: {', '.join(unknown)}.", extra={"fields": {"scopes": unknown}})
    beyond = sorted(set(scopes) - set(scopes_for(user)))
    if beyond:
        raise ApplicationError(
            f"{user.full_name or user.email} may not do what these scopes allow: {', '.join(beyond)}.",
            extra={"fields": {"scopes": beyond}},
        )
    if not 1 <= days <= MAX_DAYS:
        raise ApplicationError(f"A token lasts from 1 to {MAX_DAYS} days.", extra={"fields": {"days": [str(days)]}})
    # The same name twice is, in practice, the form sent again (a reload of the page that showed the token).
    live = ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True, expires_at__gt=timezone.now())
    if live.exists():
        raise ApplicationError(
            f"There is already a token named “{name}”. Revoke it first, or give this one another name.",
            extra={"fields": {"name": ["A live token has this name."]}},
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(30)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=secret[:SHOWN_PREFIX_LENGTH],
            digest=digest_of(secret),
            scopes=sorted(set(scopes)),
            created_by=acting_user,
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_record(
            action="api_token.create",
            actor=acting_user,
            obj=token,
            details={"user": user.pk, "prefix": token.prefix, "scopes": token.scopes, "days": days},
        )
    return NewToken(token=token, secret=secret)


def token_revoke(*, acting_user: User, token: ApiToken) -> ApiToken:
    if token.user_id != acting_user.pk:
        require(acting_user, Cap.ADMIN)
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise ApplicationError("This token was revoked already.")
        locked.revoked_at, locked.revoked_by = timezone.now(), acting_user
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(action="api_token.revoke", actor=acting_user, obj=locked, details={"prefix": locked.prefix})
    return locked


@dataclass(frozen=True)
class TokenUse:
    user: User
    token: ApiToken
    scopes: frozenset[str]  # the token's scopes that its user still holds the capability for


def token_authenticate(secret: str, *, ip_address: str | None, now: datetime | None = None) -> TokenUse | None:
    """The user and scopes a presented secret stands for; None for anything not a live token."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=digest_of(secret)).first()
    now = now or timezone.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_EVERY or token.last_used_ip != ip_address:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip_address)
    held = frozenset(scope for scope in token.scopes if _allowed(token.user, scope))
    return TokenUse(user=token.user, token=token, scopes=held)
