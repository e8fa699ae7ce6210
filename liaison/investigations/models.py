"""Investigation requests: questions an officer sends to a department, and the department's answer."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for an answer"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


class ExtensionStatus(models.TextChoices):
    NONE = "", "None asked"
    PENDING = "pending", "Asked, waiting for the officer"
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"


class InvestigationRequest(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="investigation_requests")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="investigation_requests")
    questions = models.TextField()
    due_date = models.DateField()
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    share_identity = models.BooleanField(
        "share the patient's identity",
        default=False,
        help_text="For a restricted case: the officer chose to show the department the patient's name, MRN "
        "and account. An unrestricted case shows them anyway.",
    )
    statement = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    extension_until = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    extension_status = models.CharField(max_length=10, choices=ExtensionStatus.choices, blank=True, default="")
    last_chased_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["department", "status", "due_date"], name="investigations_queue_idx")]

    def __str__(self) -> str:
        return f"{self.case.reference} → {self.department.name}"

    @property
    def is_open(self) -> bool:
        return self.status == RequestStatus.OPEN

    @property
    def identity_shared(self) -> bool:
        """Whether the department may see who the patient is. Read at each view, so a case restricted after
        the request was sent is hidden from then on, unless the officer chose to share when sending."""
        return not self.case.restricted or self.share_identity


class RequestFinding(models.Model):
    request = models.ForeignKey(InvestigationRequest, on_delete=models.CASCADE, related_name="findings")
    issue = models.ForeignKey("cases.Issue", on_delete=models.CASCADE, related_name="request_findings")
    finding = models.TextField()

    class Meta:
        ordering = ["issue_id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "issue"], name="investigations_one_finding_per_issue")
        ]

    def __str__(self) -> str:
        return self.finding[:60]


class Evidence(models.Model):
    request = models.ForeignKey(InvestigationRequest, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="evidence/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name
