"""Feedback: surveys and their answers, imported batches, and the themes and sentiment found in the text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
    confidence = models.FloatField(
        null=True, blank=True, help_text="How sure the model was of its themes and sentiment (0–1), when it read them."
    )
    needs_review = models.BooleanField(
        default=False, help_text="The model was unsure: an officer should check it. Cleared by a correction."
    )
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
        indexes = [
            models.Index(fields=["site", "received_on"], name="feedback_site_date_idx"),
            # Only the answers waiting for an officer: small, and it gives the list's order.
            models.Index(
                fields=["site", "-received_on", "-id"],
                condition=models.Q(needs_review=True),
                name="feedback_needs_review_idx",
            ),
        ]
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


# -- Complainant satisfaction with how a complaint was handled (see liaison/feedback/handling.py) ----------------


class HandlingSatisfaction(models.IntegerChoices):
    VERY_SATISFIED = 5, _("Very satisfied")
    SATISFIED = 4, _("Satisfied")
    NEITHER = 3, _("Neither satisfied nor dissatisfied")
    DISSATISFIED = 2, _("Dissatisfied")
    VERY_DISSATISFIED = 1, _("Very dissatisfied")


class HandlingExtent(models.TextChoices):
    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")


class HandlingInvitation(models.Model):
    """One closed complaint or grievance whose complainant was asked how it was handled (by email or letter).

    The link's code is never stored: ``salt`` and the server's secret key derive it, so the letter that prints it
    can be made again; ``token_hash`` finds the invitation when the code comes back. Site, type and the date of
    closure are kept here so the measure needs no case and survives a case's deletion.
    """

    case = models.OneToOneField(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="handling_invitation"
    )
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+")
    case_type = models.CharField(max_length=20)
    language = models.CharField(max_length=8, default="en", help_text="The language of the email and the survey.")
    salt = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    closed_on = models.DateField(
        null=True,
        blank=True,
        help_text="The day the case closed, in the site's time zone: the period the answer counts in. "
        "Empty while a link given in a final letter waits for the case to close.",
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    letter_link_at = models.DateTimeField(
        null=True, blank=True, help_text="When the link was first put in a final letter."
    )

    class Meta:
        indexes = [models.Index(fields=["site", "closed_on"], name="feedback_handling_period_idx")]

    def __str__(self) -> str:
        return f"Handling survey invitation {self.pk}"


class HandlingAnswer(models.Model):
    """The complainant's answers. Shown to staff only as totals: no page lists one with its case."""

    invitation = models.OneToOneField(HandlingInvitation, on_delete=models.CASCADE, related_name="answer")
    overall = models.PositiveSmallIntegerField(choices=HandlingSatisfaction.choices)
    kept_informed = models.CharField(max_length=8, choices=HandlingExtent.choices)
    addressed = models.CharField(max_length=8, choices=HandlingExtent.choices)
    comment = models.TextField(blank=True)
    language = models.CharField(max_length=8)
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(overall__gte=1, overall__lte=5), name="feedback_handling_overall_1_5"
            ),
            models.CheckConstraint(
                condition=models.Q(kept_informed__in=HandlingExtent.values), name="feedback_handling_informed_known"
            ),
            models.CheckConstraint(
                condition=models.Q(addressed__in=HandlingExtent.values), name="feedback_handling_addressed_known"
            ),
        ]

    def __str__(self) -> str:
        return f"Handling survey answer {self.pk}"


class FeedbackTally(models.Model):
    """Running counts behind the feedback dashboard: one row per site, department, day and counted value.

    The dashboard sums these instead of reading every answer, so a year of a million answers costs a few
    thousand rows. ``liaison.feedback.tallies`` keeps them: every service that adds an answer or changes its
    scores, themes or sentiment adds the difference in the same transaction. ``department_key`` is the
    department's id, or 0 for answers about the whole site (0 rather than NULL so the upsert's conflict
    target matches).
    """

    site = models.ForeignKey("org.Site", on_delete=models.CASCADE, related_name="+")
    department_key = models.BigIntegerField(default=0)
    day = models.DateField()
    kind = models.CharField(max_length=12)  # total | fft | ltr | sentiment | theme
    key = models.CharField(max_length=80, blank=True)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "department_key", "day", "kind", "key"], name="feedback_tally_one_row_per_value"
            )
        ]
        indexes = [models.Index(fields=["site", "kind", "day"], name="feedback_tally_site_kind_day")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} on {self.day}: {self.count}"
