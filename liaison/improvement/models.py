"""Improvement actions: what the hospital changes because of feedback, complaints and their findings."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ActionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class ImprovementAction(models.Model):
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="improvement_actions")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    what = models.CharField(max_length=300)
    why = models.TextField(help_text="The evidence: the theme, the feedback or the case findings behind it.")
    theme = models.CharField(max_length=100, blank=True)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="improvement_actions"
    )
    promised_action = models.OneToOneField(
        "cases.PromisedAction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="improvement_action",
        help_text="The action a response letter promised, when this is how the hospital keeps that promise.",
    )
    feedback = models.ManyToManyField("feedback.FeedbackResponse", blank=True, related_name="improvement_actions")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.PLANNED)
    completion_evidence = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    public = models.BooleanField(
        default=False, help_text="Show it on the public \u201cYou said, we did\u201d page when done."
    )
    you_said = models.CharField(max_length=300, blank=True, help_text="In plain words, what patients told us.")
    we_did = models.CharField(max_length=300, blank=True, help_text="In plain words, what changed.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.what

    @property
    def is_open(self) -> bool:
        return self.status in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)
