"""Letters: versioned templates per policy pack, kind and language, and the letters drafted from them.

A letter is drafted, sent for a manager's sign-off, then signed: at that moment it is rendered to PDF and
stored with its SHA-256, and it never changes again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LetterKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
    INTERIM_NOTICE = "interim_notice", "Interim notice"
    EXTENSION_AGREED = "extension_agreed", "Extension agreed"
    OUT_OF_TIME_DECISION = "out_of_time_decision", "Out-of-time decision"
    FINAL_RESPONSE = "final_response", "Final response"
    COMPLIMENT_THANKS = "compliment_thanks", "Thanks for a compliment"
    INVESTIGATION_REQUEST = "investigation_request", "Investigation request (internal)"
    MEETING_OUTCOME = "meeting_outcome", "Meeting outcome"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"


class LetterTemplate(models.Model):
    pack = models.CharField(max_length=30)
    kind = models.CharField(max_length=30, choices=LetterKind.choices)
    language = models.CharField(max_length=5, choices=Language.choices)
    version = models.PositiveIntegerField()
    subject = models.CharField(max_length=300)
    body = models.TextField(help_text="A Django template using the letter variables; only simple HTML is kept.")
    note = models.CharField(max_length=300, blank=True, help_text="What changed in this version.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pack", "kind", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "kind", "language", "version"], name="correspondence_template_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.pack}/{self.kind}.{self.language} v{self.version}"


class LetterStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_SIGNOFF = "awaiting_signoff", "Awaiting sign-off"
    SIGNED = "signed", "Signed"
    SENT = "sent", "Sent by email"
    POSTED = "posted", "Printed and posted"


class Letter(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="letters")
    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=30, choices=LetterKind.choices)
    language = models.CharField(max_length=5, choices=Language.choices)
    large_print = models.BooleanField(default=False)
    subject = models.CharField(max_length=300)
    body_html = models.TextField()
    status = models.CharField(max_length=20, choices=LetterStatus.choices, default=LetterStatus.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    pdf = models.FileField(upload_to="letters/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.CharField(max_length=254, blank=True)
    version = models.PositiveIntegerField(default=1)
    # Elements of a final response the officer confirmed the letter gives in its own words:
    # {"how_considered": {"by": user id, "at": ISO time}, "issue:12": {...}}. Cleared whenever the text changes.
    confirmed_elements = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.case_id}"

    @property
    def is_editable(self) -> bool:
        return self.status == LetterStatus.DRAFT
