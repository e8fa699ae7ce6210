"""Inbound messages, read-only: what came in and what became of it. Only the ingest command writes them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from liaison.audit.services import audit_view
from liaison.inbound.models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "status", "site", "case", "received_at", "from_address", "subject"]
    list_filter = ["status", "site"]
    search_fields = ["sha256", "message_id", "case__reference"]
    list_select_related = ["site", "case"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "status",
        "reason",
        "site",
        "case",
        "received_at",
        "from_address",
        "to_addresses",
        "subject",
        "message_id",
        "sha256",
        "raw_file",
        "created_at",
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
