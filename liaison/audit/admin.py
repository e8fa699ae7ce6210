"""Changes made in Django's admin are audited like changes made anywhere else."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.forms import ModelForm
from django.http import HttpRequest

from liaison.audit.services import audit_record, model_changes, snapshot

_BEFORE_ATTR = "_liaison_audit_before"
# Secrets that must never reach the audit trail (password hashes, OTP keys).
_NEVER_RECORDED = ("password", "key", "token")


def _site_of(obj: models.Model) -> Any:
    if obj._meta.label_lower == "org.site":
        return obj
    return getattr(obj, "site", None)


class AuditedModelAdmin(admin.ModelAdmin):
    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST":
            setattr(request, _BEFORE_ATTR, snapshot(obj, exclude=_NEVER_RECORDED))
        return obj

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        after = snapshot(obj, exclude=_NEVER_RECORDED)
        label = obj._meta.model_name
        if change:
            changes = model_changes(getattr(request, _BEFORE_ATTR, {}), after)
            if changes:
                audit_record(action=f"{label}.update", actor=request.user, obj=obj, site=_site_of(obj), details=changes)
        else:
            audit_record(action=f"{label}.create", actor=request.user, obj=obj, site=_site_of(obj), details=after)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        details = snapshot(obj, exclude=_NEVER_RECORDED)
        label, pk, site = obj._meta.model_name, obj.pk, _site_of(obj)
        super().delete_model(request, obj)
        audit_record(
            action=f"{label}.delete",
            actor=request.user,
            object_type=obj._meta.label_lower,
            object_id=pk,
            site=site,
            details=details,
        )

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
