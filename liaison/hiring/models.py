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


class Vacancy(models.Model):
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="vacancies")
    title = models.CharField(max_length=200)
    hiring_manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    question_keys = models.JSONField(
        default=list, help_text="The kit: the same questions, in order, for every candidate."
    )
    time_budget_minutes = models.PositiveSmallIntegerField(default=45)
    retention_until = models.DateField(help_text="Candidates' personal data is deleted after this date.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "vacancies"

    def __str__(self) -> str:
        return self.title

    @property
    def kit_locked(self) -> bool:
        """Once anyone has been scored, the kit no longer changes: every candidate gets the same one."""
        return Score.objects.filter(interview__candidate__vacancy=self).exists()


class Decision(models.TextChoices):
    OFFER = "offer", "Offer"
    RESERVE = "reserve", "Reserve list"
    DECLINE = "decline", "Do not appoint"


class Candidate(models.Model):
    vacancy = models.ForeignKey(Vacancy, on_delete=models.CASCADE, related_name="candidates")
    full_name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decision_reasons = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name


class Interview(models.Model):
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="interviews")
    scheduled_for = models.DateTimeField()
    panel = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="panel_interviews")

    class Meta:
        ordering = ["scheduled_for"]

    def __str__(self) -> str:
        return f"Interview {self.pk}"


class Score(models.Model):
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="scores")
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    question_key = models.CharField(max_length=80)
    score = models.PositiveSmallIntegerField()
    notes = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["interview", "interviewer", "question_key"], name="hiring_one_score_per_question"
            ),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="hiring_score_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.question_key}: {self.score}"


class Submission(models.Model):
    """An interviewer's scores are final once submitted; only then do they see the others'."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="submissions")
    interviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["interview", "interviewer"], name="hiring_one_submission")]

    def __str__(self) -> str:
        return f"Submission {self.interview_id}/{self.interviewer_id}"


class Drill(models.Model):
    """A training scenario from a closed case, de-identified, used only once a manager approves it."""

    source_case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=200)
    scenario = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class DrillResponse(models.Model):
    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="responses")
    trainee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drill_responses")
    text = models.TextField()
    feedback = models.JSONField(default=dict)
    manager_comment = models.TextField(blank=True)
    commented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Response to {self.drill_id}"
