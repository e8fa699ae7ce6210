"""Reading the organisation with the user's scope applied. Views fetch sites and departments only here."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from liaison.accounts.models import Role, User
from liaison.org.models import Department, Site, StaffMember

# Who may browse the organisation pages of their sites.
ORG_READERS = (Role.OFFICER, Role.MANAGER, Role.ADMIN)
# Who may change a site's departments.
ORG_EDITORS = (Role.MANAGER, Role.ADMIN)


def sites_for_user(*, user: User) -> QuerySet[Site]:
    if user.has_role(Role.ADMIN):
        return Site.objects.all()
    if user.has_role(*ORG_READERS):
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
    return user.has_role(Role.ADMIN) or (user.has_role(Role.MANAGER) and site.pk in user.site_ids)


def staff_directory(*, site: Site, query: str = "") -> QuerySet[StaffMember]:
    staff = StaffMember.objects.filter(site=site, is_active=True).select_related("department")
    if query:
        staff = staff.filter(full_name__icontains=query) | staff.filter(job_title__icontains=query)
    return staff.order_by("full_name")
