"""Changes to sites, departments and the staff directory. Each writes the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from liaison.accounts.models import User
from liaison.audit.services import audit_record, model_changes, snapshot
from liaison.lib.errors import ApplicationError
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
