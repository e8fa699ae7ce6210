"""Django's admin, for Liaison administrators only, behind the same login and second factor as every page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from liaison.accounts.mfa import is_verified


class LiaisonAdminSite(AdminSite):
    site_header = "Liaison administration"
    site_title = "Liaison administration"
    index_title = "Users, sites and settings"

    def has_permission(self, request: HttpRequest) -> bool:
        from liaison.accounts.permissions import Cap, can

        user = request.user
        if not can(user, Cap.ADMIN):  # type: ignore[arg-type]
            return False
        return not settings.LIAISON_REQUIRE_MFA or is_verified(user)

    def login(self, request: HttpRequest, extra_context: dict[str, object] | None = None) -> HttpResponse:
        # One login page for everything: ours, with lockout and MFA.
        return HttpResponseRedirect(reverse("accounts:login") + "?" + urlencode({"next": request.get_full_path()}))


class LiaisonAdminConfig(AdminConfig):
    default_site = "liaison.admin_site.LiaisonAdminSite"
