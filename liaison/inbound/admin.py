"""Inbound messages, read-only: what came in and what became of it. Only the ingest command writes them,
and the one action here: re-filing messages kept aside, with today's parser."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.audit.services import audit_view
from liaison.inbound.models import InboundMessage, InboundStatus
from liaison.inbound.services import inbound_message_refile
from liaison.lib.errors import ApplicationError


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "status", "site", "case", "received_at", "from_address", "subject"]
    list_filter = ["status", "site"]
    search_fields = ["sha256", "message_id", "case__reference"]
    list_select_related = ["site", "case"]
    date_hierarchy = "created_at"
    actions = ["refile"]
    fields = readonly_fields = (
        "status",
        "reason",
        "site",
        "case",
        "received_at",
        "sender_date",
        "from_address",
        "to_addresses",
        "subject",
        "message_id",
        "sha256",
        "raw_file",
        "created_at",
    )

    def has_refile_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return isinstance(user, User) and can(user, Cap.ADMIN)

    @admin.action(description="Re-file: read the messages kept aside again and file them", permissions=["refile"])
    def refile(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        assert isinstance(request.user, User)
        outcomes: list[str] = []
        skipped = 0
        for message in queryset.order_by("pk"):
            if message.status != InboundStatus.QUARANTINED:
                skipped += 1
                continue
            try:
                result = inbound_message_refile(acting_user=request.user, message=message)
            except ApplicationError as exc:
                outcomes.append(f"{message.pk}: {exc.message}")
                continue
            filed = result.message
            where = f" ({filed.case.reference})" if filed.case else ""
            outcomes.append(f"{filed.pk}: {filed.get_status_display().lower()}{where}")
        if outcomes:
            self.message_user(request, "Re-filed. " + "; ".join(outcomes), messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} message{'s were' if skipped > 1 else ' was'} not kept aside, so not re-filed.",
                messages.WARNING,
            )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The raw message is the record of what the office was sent; it is never deleted from here.
        return False

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        message = self.get_object(request, object_id)
        if message is not None:
            audit_view(request=request, obj=message, site=message.site, what="admin inbound message")
        return super().change_view(request, object_id, form_url, extra_context)
