"""Every email that came in, whatever became of it: the raw bytes are kept for each one."""

from __future__ import annotations

from django.db import models


class InboundStatus(models.TextChoices):
    ATTACHED = "attached", "Added to a case"
    NEW_CASE = "new_case", "Opened a new case"
    QUARANTINED = "quarantined", "Kept aside"
    AUTOMATIC = "automatic", "Automatic mail (delivery report, read receipt, auto-reply)"


class AutomaticKind(models.TextChoices):
    DSN = "dsn", "Delivery status report (bounce)"
    MDN = "mdn", "Read receipt"
    ARF = "arf", "Abuse or feedback report"
    AUTO_REPLY = "auto_reply", "Automatic reply"


class InboundMessage(models.Model):
    sha256 = models.CharField(
        max_length=64, unique=True, help_text="Of the raw bytes: the same message read twice is filed once."
    )
    message_id = models.CharField("Message-ID", max_length=255, blank=True)
    body_sha256 = models.CharField(
        max_length=64,
        blank=True,
        help_text="Of the normalised body: with the Message-ID, recognises the same message in other bytes.",
    )
    received_at = models.DateTimeField(
        help_text="When the hospital received it: Liaison, or the mail server's Received trace. Clocks start here."
    )
    sender_date = models.DateTimeField(
        null=True, blank=True, help_text="The sender's Date header, kept as information only."
    )
    automatic_kind = models.CharField(max_length=20, choices=AutomaticKind.choices, blank=True)
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
        indexes = [
            models.Index(fields=["status", "created_at"], name="inbound_status_idx"),
            models.Index(fields=["message_id"], name="inbound_message_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=InboundStatus.values), name="inbound_known_status"),
            # Filed messages point at their case; a message kept aside belongs to none; automatic mail points
            # at the case it answers when one is known.
            models.CheckConstraint(
                condition=models.Q(status=InboundStatus.QUARANTINED, case__isnull=True)
                | models.Q(status=InboundStatus.AUTOMATIC)
                | (
                    ~models.Q(status__in=[InboundStatus.QUARANTINED, InboundStatus.AUTOMATIC])
                    & models.Q(case__isnull=False)
                ),
                name="inbound_case_iff_filed",
            ),
        ]

    def __str__(self) -> str:
        return f"Inbound message {self.sha256[:12]} ({self.get_status_display().lower()})"
