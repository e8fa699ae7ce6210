"""Every email that came in, whatever became of it: the raw bytes are kept for each one."""

from __future__ import annotations

from django.db import models


class InboundStatus(models.TextChoices):
    ATTACHED = "attached", "Added to a case"
    NEW_CASE = "new_case", "Opened a new case"
    QUARANTINED = "quarantined", "Kept aside"


class InboundMessage(models.Model):
    sha256 = models.CharField(
        max_length=64, unique=True, help_text="Of the raw bytes: the same message read twice is filed once."
    )
    message_id = models.CharField("Message-ID", max_length=255, blank=True)
    received_at = models.DateTimeField(help_text="The Date header when it is readable and not in the future.")
    from_address = models.CharField(max_length=320, blank=True)
    to_addresses = models.JSONField(default=list, blank=True, help_text="The To and Cc addresses.")
    subject = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=20, choices=InboundStatus.choices)
    reason = models.TextField(
        blank=True, help_text="Why it was kept aside, or which attachments were withheld from the case."
    )
    site = models.ForeignKey(
        "org.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="inbound_messages"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="inbound_messages"
    )
    raw_file = models.FileField(upload_to="inbound/", max_length=200, help_text="The message exactly as received.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="inbound_status_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=InboundStatus.values), name="inbound_known_status"),
            # Filed messages point at their case; a message kept aside belongs to none.
            models.CheckConstraint(
                condition=models.Q(status=InboundStatus.QUARANTINED, case__isnull=True)
                | (~models.Q(status=InboundStatus.QUARANTINED) & models.Q(case__isnull=False)),
                name="inbound_case_iff_filed",
            ),
        ]

    def __str__(self) -> str:
        return f"Inbound message {self.sha256[:12]} ({self.get_status_display().lower()})"
