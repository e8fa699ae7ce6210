"""Reading the organisation with the user's scope applied. Views fetch sites and departments only here."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.org.models import Department, Site, StaffMember


def sites_for_user(*, user: User) -> QuerySet[Site]:
    # Administrators look after every site, including ones they are not a member of.
    if can(user, Cap.ADMIN):
        return Site.objects.all()
    if can(user, Cap.ORG_READ):
        return Site.objects.filter(pk__in=user.site_ids)
    return Site.objects.none()


def get_site_for_user(*, user: User, code: str) -> Site:
    try:
        return sites_for_user(user=user).get(code=code)
    except Site.DoesNotExist:
        raise Http404("No such site") from None


def get_department_for_user(*, user: User, pk: int) -> Department:
    try:
        return Department.objects.select_related("site").get(pk=pk, site__in=sites_for_user(user=user))
    except Department.DoesNotExist:
        raise Http404("No such department") from None


def user_can_edit_site(*, user: User, site: Site) -> bool:
    return can(user, Cap.ADMIN) or can(user, Cap.ORG_EDIT, site.pk)


def staff_directory(*, site: Site, query: str = "") -> QuerySet[StaffMember]:
    staff = StaffMember.objects.filter(site=site, is_active=True).select_related("department")
    if query:
        staff = staff.filter(full_name__icontains=query) | staff.filter(job_title__icontains=query)
    return staff.order_by("full_name")
