"""Changes to sites, departments and the staff directory. Each writes the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, require
from liaison.audit.services import audit_record, model_changes, snapshot
from liaison.lib.errors import ApplicationError
from liaison.lib.fhir import FhirError, check_connection
from liaison.org.fhir import fhir_config, time_budget
from liaison.org.models import Department, Site, StaffMember


def _validated(obj: Any) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise ApplicationError("; ".join(exc.messages), extra={"fields": exc.message_dict}) from exc


def site_create(*, acting_user: User | None, **fields: Any) -> Site:
    with transaction.atomic():
        site = Site(**fields)
        _validated(site)
        site.save()
        audit_record(action="site.create", actor=acting_user, obj=site, site=site, details=snapshot(site))
    return site


def department_create(
    *, acting_user: User | None, site: Site, name: str, code: str = "", leads: Iterable[User] = ()
) -> Department:
    with transaction.atomic():
        department = Department(site=site, name=name.strip(), code=code.strip())
        _validated(department)
        department.save()
        department.leads.set(list(leads))
        audit_record(
            action="department.create", actor=acting_user, obj=department, site=site, details=snapshot(department)
        )
    return department


def department_update(
    *, acting_user: User, department: Department, name: str, code: str, leads: Iterable[User], is_active: bool
) -> Department:
    with transaction.atomic():
        locked = Department.objects.select_for_update().get(pk=department.pk)
        before = snapshot(locked)
        locked.name, locked.code, locked.is_active = name.strip(), code.strip(), is_active
        _validated(locked)
        locked.save()
        locked.leads.set(list(leads))
        changes = model_changes(before, snapshot(locked))
        if changes:
            audit_record(action="department.update", actor=acting_user, obj=locked, site=locked.site, details=changes)
    return locked


def staff_member_create(*, acting_user: User | None, site: Site, **fields: Any) -> StaffMember:
    with transaction.atomic():
        member = StaffMember(site=site, **fields)
        _validated(member)
        member.save()
        audit_record(action="staff.create", actor=acting_user, obj=member, site=site, details=snapshot(member))
    return member


FHIR_FIELDS = (
    "fhir_base_url",
    "fhir_token_url",
    "fhir_client_id",
    "fhir_auth_method",
    "fhir_scope",
    "fhir_mrn_system",
)
_NOT_FHIR = tuple(f.name for f in Site._meta.concrete_fields if f.name not in FHIR_FIELDS)


def site_fhir_update(*, acting_user: User, site: Site, **fields: Any) -> Site:
    """Change where and how the site's patient lookup searches (administrators only: the secret is sent to
    the token endpoint named here)."""
    require(acting_user, Cap.ADMIN, what="change a site's patient record system")
    unknown = set(fields) - set(FHIR_FIELDS)
    if unknown:
        raise ApplicationError(f"Not a patient record setting: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = Site.objects.select_for_update().get(pk=site.pk)
        before = snapshot(locked, exclude=_NOT_FHIR)
        for name, value in fields.items():
            setattr(locked, name, (value or "").strip())
        _validated(locked)
        locked.save(update_fields=list(fields))
        changes = model_changes(before, snapshot(locked, exclude=_NOT_FHIR))
        if changes:
            audit_record(action="site.fhir_update", actor=acting_user, obj=locked, site=locked, details=changes)
    return locked


def site_fhir_check(*, acting_user: User, site: Site) -> str:
    """Sign in to the site's FHIR server and read its CapabilityStatement; audited either way."""
    require(acting_user, Cap.ADMIN, what="test a site's patient record system")
    config = fhir_config(site)
    if config is None:
        raise ApplicationError("Set the FHIR server base URL first.")
    try:
        said = check_connection(config, budget=time_budget())
    except FhirError as exc:
        audit_record(
            action="site.fhir_check", actor=acting_user, obj=site, site=site, details={"ok": False, "error": exc.kind}
        )
        raise ApplicationError(exc.message) from None
    audit_record(action="site.fhir_check", actor=acting_user, obj=site, site=site, details={"ok": True})
    return said
