from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.password_validation import validate_password
from django.db.models import QuerySet
from django.http import HttpRequest

from liaison.accounts import services
from liaison.accounts.models import ProviderIdentity, Role, RoleGrant, User
from liaison.audit.admin import AuditedModelAdmin
from liaison.audit.services import audit_record


class UserAdminForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple)
    new_password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=(
            "Leave empty to keep the password (or, for a new user, to have them set one through ‘Forgot password’)."
        ),
    )

    class Meta:
        model = User
        fields = ["email", "full_name", "is_active", "sites", "departments"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = sorted(self.instance.role_codes)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_new_password(self) -> str:
        password = self.cleaned_data.get("new_password") or ""
        if password:
            validate_password(password, self.instance)
        return password

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        site_ids = {site.pk for site in data.get("sites") or []}
        if any(dept.site_id not in site_ids for dept in data.get("departments") or []):
            raise forms.ValidationError("Each department must belong to one of the user's sites.")
        return data


@admin.register(User)
class UserAdmin(AuditedModelAdmin):
    form = UserAdminForm
    list_display = ["email", "full_name", "roles_display", "is_active", "mfa_display"]
    list_filter = ["is_active", "role_grants__role", "sites"]
    search_fields = ["email", "full_name"]
    filter_horizontal = ["sites", "departments"]
    actions = ["reset_mfa", "deactivate"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "is_active", "new_password"]}),
        ("Access", {"fields": ["roles", "sites", "departments"]}),
    ]

    @admin.display(description="Roles")
    def roles_display(self, obj: User) -> str:
        return ", ".join(obj.role_labels())

    @admin.display(description="MFA enrolled", boolean=True)
    def mfa_display(self, obj: User) -> bool:
        return services.mfa_is_enrolled(obj)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        password = form.cleaned_data.get("new_password")
        if password:
            obj.set_password(password)
        elif not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)
        if password and change:
            audit_record(action="user.password_set_by_admin", actor=request.user, obj=obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        user: User = form.instance
        wanted = set(form.cleaned_data.get("roles") or [])
        before = set(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
        RoleGrant.objects.filter(user=user).exclude(role__in=wanted).delete()
        RoleGrant.objects.bulk_create([RoleGrant(user=user, role=r) for r in wanted], ignore_conflicts=True)
        user.__dict__.pop("role_codes", None)
        if change and before != wanted:
            audit_record(
                action="user.roles", actor=request.user, obj=user, details={"roles": [sorted(before), sorted(wanted)]}
            )
        elif not change:
            audit_record(action="user.roles", actor=request.user, obj=user, details={"roles": [[], sorted(wanted)]})
        super().save_related(request, form, formsets, change)

    @admin.action(description="Reset MFA: the user must enrol a new authenticator at next login")
    def reset_mfa(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.mfa_reset(acting_user=request.user, user=user)  # type: ignore[arg-type]
        self.message_user(request, f"MFA reset for {queryset.count()} user(s).", messages.SUCCESS)

    @admin.action(description="Deactivate: the user can no longer sign in")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.user_deactivate(acting_user=request.user, user=user)  # type: ignore[arg-type]
        self.message_user(request, f"{queryset.count()} user(s) deactivated.", messages.SUCCESS)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Users are deactivated, never deleted: the audit trail refers to them.
        return False


@admin.register(ProviderIdentity)
class ProviderIdentityAdmin(AuditedModelAdmin):
    """Links made by single sign-on (docs/sso.md). Deleting one lets the next sign-in link by email again,
    e.g. after the provider recreated the person's account with a new subject."""

    list_display = ["user", "issuer", "subject", "linked_at", "last_sign_in_at"]
    search_fields = ["user__email", "subject"]
    readonly_fields = ["user", "issuer", "subject", "linked_at", "last_sign_in_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
