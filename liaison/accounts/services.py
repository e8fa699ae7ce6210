"""Changes to staff accounts and their second factor. Each writes the audit trail."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from liaison.accounts.models import Role, RoleGrant, User
from liaison.audit.services import audit_record
from liaison.lib.errors import ApplicationError
from liaison.org.models import Department, Site

RECOVERY_DEVICE_NAME = "Recovery codes"
TOTP_DEVICE_NAME = "Authenticator app"


def _roles_of(user: User) -> list[str]:
    return sorted(user.role_grants.values_list("role", flat=True))


def user_create(
    *,
    acting_user: User | None,
    email: str,
    full_name: str,
    password: str | None,
    roles: Iterable[str] = (),
    sites: Iterable[Site] = (),
    departments: Iterable[Department] = (),
) -> User:
    """Create a staff account. ``password=None`` leaves it unusable until a reset by email."""
    email = User.objects.normalize_email(email).strip().lower()
    roles = sorted(set(roles))
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ApplicationError(f"Unknown role(s): {', '.join(sorted(unknown))}.")
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError("A user with this email address already exists.")
    sites = list(sites)
    departments = list(departments)
    site_ids = {site.pk for site in sites}
    if any(dept.site_id not in site_ids for dept in departments):
        raise ApplicationError("Each department must belong to one of the user's sites.")
    with transaction.atomic():
        user = User(email=email, full_name=full_name)
        if password is None:
            user.set_unusable_password()
        else:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ApplicationError(" ".join(exc.messages)) from exc
            user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        RoleGrant.objects.bulk_create([RoleGrant(user=user, role=role) for role in roles])
        user.sites.set(sites)
        user.departments.set(departments)
        audit_record(
            action="user.create",
            actor=acting_user,
            obj=user,
            details={
                "email": email,
                "roles": roles,
                "sites": sorted(site_ids),
                "departments": sorted(d.pk for d in departments),
            },
        )
    return user


def user_set_roles(*, acting_user: User, user: User, roles: Iterable[str]) -> None:
    wanted = set(roles)
    if wanted - set(Role.values):
        raise ApplicationError(f"Unknown role(s): {', '.join(sorted(wanted - set(Role.values)))}.")
    with transaction.atomic():
        before = _roles_of(user)
        RoleGrant.objects.filter(user=user).exclude(role__in=wanted).delete()
        RoleGrant.objects.bulk_create(
            [RoleGrant(user=user, role=role) for role in sorted(wanted - set(before))], ignore_conflicts=True
        )
        user.__dict__.pop("role_codes", None)
        audit_record(action="user.roles", actor=acting_user, obj=user, details={"roles": [before, sorted(wanted)]})


def user_deactivate(*, acting_user: User, user: User) -> None:
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_record(action="user.deactivate", actor=acting_user, obj=user)


# -- Multi-factor authentication -------------------------------------------------------------------------


def mfa_is_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def mfa_start_enrolment(*, user: User) -> TOTPDevice:
    """A fresh, unconfirmed authenticator for the user to scan; earlier unconfirmed ones are dropped."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def mfa_pending_device(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def mfa_confirm_enrolment(*, user: User, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the authenticator with a code from it; returns the new recovery codes (shown once)."""
    if device.user_id != user.pk or device.confirmed:
        raise ApplicationError("This enrolment is no longer valid. Start again.")
    if not device.verify_token(token.strip().replace(" ", "")):
        audit_record(action="auth.mfa_enrol_failed", actor=user, obj=user)
        raise ApplicationError("That code did not match. Check the time on your phone and enter the current code.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_recovery_codes(user)
        audit_record(action="auth.mfa_enrol", actor=user, obj=user, details={"device": device.persistent_id})
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [f"{secrets.randbelow(10**10):010d}" for _ in range(settings.LIAISON_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def mfa_regenerate_recovery_codes(*, acting_user: User) -> list[str]:
    with transaction.atomic():
        codes = _replace_recovery_codes(acting_user)
        audit_record(action="auth.mfa_recovery_codes", actor=acting_user, obj=acting_user)
    return codes


def mfa_reset(*, acting_user: User, user: User) -> None:
    """An administrator removes a user's second factors; the user must enrol again at next login."""
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
        audit_record(action="auth.mfa_reset", actor=acting_user, obj=user, details={"devices_removed": removed})
