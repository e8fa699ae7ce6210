"""Feedback: surveys and their answers, imported batches, and the themes and sentiment found in the text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from liaison.feedback.analysis.text import Context


class QuestionKind(models.TextChoices):
    FFT = "fft", "Friends and Family Test (very good … very poor, don't know)"
    LIKERT = "likert", "Agree … disagree (5 points)"
    LIKELIHOOD = "likelihood", "Likelihood to recommend (0–10)"
    YES_NO = "yes_no", "Yes or no"
    SINGLE = "single", "One choice"
    MULTIPLE = "multiple", "Several choices"
    TEXT = "text", "Free text"


class Survey(models.Model):
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="surveys")
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="surveys"
    )
    title = models.CharField(max_length=200)
    intro = models.TextField(blank=True)
    public_key = models.CharField(max_length=32, unique=True, help_text="Opaque part of the public link.")
    is_open = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=QuestionKind.choices)
    text = models.CharField(max_length=300)
    choices = models.JSONField(default=list, blank=True, help_text="For one or several choices: the options.")
    required = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text


class Channel(models.TextChoices):
    WEB = "web", "Web link"
    QR = "qr", "QR poster"
    IMPORT = "import", "Imported batch"
    CARD = "card", "Comment card"
    SMS = "sms", "Text message"
    OTHER = "other", "Other"


class Sentiment(models.IntegerChoices):
    VERY_POSITIVE = 1, "Very positive"
    POSITIVE = 2, "Positive"
    MIXED = 3, "Neutral or mixed"
    NEGATIVE = 4, "Negative"
    VERY_NEGATIVE = 5, "Very negative"


class ImportSource(models.Model):
    """A named feed (e.g. "FFT export — community services") with its saved column mapping."""

    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="feedback_sources")
    name = models.CharField(max_length=200)
    mapping = models.JSONField(default=dict, blank=True, help_text="Our field → the column heading in the file.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="feedback_source_unique_name")]

    def __str__(self) -> str:
        return self.name


class FeedbackResponse(models.Model):
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="feedback")
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="feedback"
    )
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, null=True, blank=True, related_name="responses")
    source = models.ForeignKey(ImportSource, on_delete=models.PROTECT, null=True, blank=True, related_name="responses")
    row_key = models.CharField(
        max_length=64, blank=True, help_text="Identity of an imported row, so a re-import adds nothing."
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    received_on = models.DateField(db_index=True)
    fft_score = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 very good … 5 very poor, 6 don't know."
    )
    likelihood = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0–10")
    answers = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)
    comment_question = models.CharField(
        max_length=500, blank=True, help_text="The question the comment answers, as asked (e.g. “What was good?”)."
    )
    contact_consent = models.BooleanField(default=False)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=50, blank=True)
    themes = models.JSONField(default=list, blank=True)
    sentiment = models.PositiveSmallIntegerField(choices=Sentiment.choices, null=True, blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    corrected_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when an officer corrected themes or sentiment."
    )
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["site", "received_on"], name="feedback_site_date_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "row_key"], condition=~models.Q(row_key=""), name="feedback_row_once_per_source"
            ),
            models.CheckConstraint(
                condition=models.Q(fft_score__isnull=True) | models.Q(fft_score__gte=1, fft_score__lte=6),
                name="feedback_fft_1_6",
            ),
            models.CheckConstraint(
                condition=models.Q(likelihood__isnull=True) | models.Q(likelihood__lte=10),
                name="feedback_likelihood_0_10",
            ),
        ]

    def __str__(self) -> str:
        return f"Feedback {self.pk} ({self.received_on})"

    @property
    def analysis_context(self) -> Context:
        """What the text model reads beside the comment: its question and the FFT score."""
        from liaison.feedback.analysis.text import Context  # numpy: only where the model runs, not at start-up

        return Context(question=self.comment_question, fft_score=self.fft_score)


class ImportStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    source = models.ForeignKey(ImportSource, on_delete=models.PROTECT, related_name="jobs")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    rows_seen = models.PositiveIntegerField(default=0)
    rows_added = models.PositiveIntegerField(default=0)
    rows_already_there = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The lease: a worker running the job moves heartbeat_at on with every batch. A running job not heard
    # from within the lease lost its worker (killed, machine restarted) and is marked failed, to be resumed.
    # Empty while the job waits in the queue for a worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempt = models.PositiveIntegerField(
        default=0, help_text="Runs of this job so far; a run whose number is no longer the latest stops."
    )
    stored_name = models.CharField(
        max_length=40, blank=True, help_text="The uploaded copy of the file (web imports), kept until the job ends."
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="feedback_import_lease_idx")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class ImportRejection(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    raw = models.TextField(blank=True, help_text="The row as read (cut to 2,000 characters).")

    class Meta:
        ordering = ["row_number"]

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.reason}"
