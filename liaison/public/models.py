"""What the public front door keeps besides the case: the progress-check secret and the attempt counters."""

from __future__ import annotations

from django.db import models


class PublicAccess(models.Model):
    """The secret that lets the complainant check progress. Only its hash is stored."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="public_access")
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Progress access for case {self.case_id}"


class PublicAttempt(models.Model):
    """One counted attempt (a submission, a progress check) for rate limits; keys are keyed hashes, never raw IPs."""

    kind = models.CharField(max_length=40)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "key_hash", "created_at"], name="public_attempt_idx")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"
