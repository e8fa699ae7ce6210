"""Practice: answers a trainee or candidate wrote, with the observable feedback they were given."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PracticeAttempt(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_attempts")
    question_key = models.CharField(max_length=80)
    answer = models.TextField()
    seconds_taken = models.PositiveIntegerField(null=True, blank=True)
    feedback = models.JSONField(default=dict)
    competencies = models.JSONField(default=list, help_text="Keys of the competencies the answer gave evidence of.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.question_key} by {self.user_id}"
