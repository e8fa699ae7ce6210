"""A record of every reminder sent: the claim that makes each one go out exactly once."""

from __future__ import annotations

from django.db import models


class ReminderLog(models.Model):
    kind = models.CharField(max_length=40)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    occurrence = models.CharField(
        max_length=64, help_text="What makes this situation new: the due date, or the day of a daily digest."
    )
    recipients = models.TextField(blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "occurrence"], name="reminders_once_per_occurrence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_type}:{self.object_id} @ {self.occurrence}"
