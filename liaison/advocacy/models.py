"""Appeals an officer makes for a patient against a payer, provider or agency, on an advocacy case."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from liaison.advocacy import rules


class OrgKind(models.TextChoices):
    PAYER = "payer", "Payer (insurer or plan)"
    PROVIDER = "provider", "Provider"
    AGENCY = "agency", "Agency"


class AppealStatus(models.TextChoices):
    PREPARING = "preparing", "Preparing"
    FILED = "filed", "Filed, awaiting a decision"
    DECIDED = "decided", "Decided"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_APPEAL_STATUSES = (AppealStatus.PREPARING, AppealStatus.FILED)


class AppealOutcome(models.TextChoices):
    OVERTURNED = "overturned", "Overturned"
    UPHELD = "upheld", "Upheld (denial stands)"
    PARTLY = "partly", "Partly overturned"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Appeal(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="appeals")
    org_name = models.CharField("Organisation", max_length=200)
    org_kind = models.CharField("Kind of organisation", max_length=20, choices=OrgKind.choices)
    plan_type = models.CharField(max_length=40, choices=list(rules.PLAN_TYPES.items()))
    decision_received_on = models.DateField("Date the decision was received")
    service = models.CharField("Service or item denied", max_length=300)
    amount = models.DecimalField(
        "Amount at stake", max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    reason_given = models.TextField("Reason the organisation gave", blank=True)
    urgency = models.CharField(max_length=20, choices=list(rules.URGENCIES.items()), default="standard")
    timing = models.CharField(
        "When the service is", max_length=20, choices=list(rules.TIMINGS.items()), default="post_service"
    )
    level = models.CharField("Appeal level", max_length=30, choices=list(rules.LEVELS.items()), default="internal")
    status = models.CharField(max_length=20, choices=AppealStatus.choices, default=AppealStatus.PREPARING)
    filed_on = models.DateField(null=True, blank=True)
    decision_on = models.DateField("Date of the appeal decision", null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=AppealOutcome.choices, blank=True)
    amount_recovered = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    # INS-4: the plan extended the time to decide (Medicaid managed care, 42 CFR 438.408(c)).
    extension_days = models.PositiveSmallIntegerField(
        "Days the plan added", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    extension_reason = models.CharField("Reason the plan gave for the extension", max_length=500, blank=True)
    extension_notified_on = models.DateField("Date the patient was told of the extension", null=True, blank=True)
    # INS-3: the plan refused to review the appeal on the expedited timeframe.
    expedited_refused_on = models.DateField("Date the plan refused an expedited review", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_recovered__gte=0) & (Q(amount__isnull=True) | Q(amount__gte=0)),
                name="advocacy_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["decided", "withdrawn"]) | Q(outcome=""),
                name="advocacy_outcome_only_when_decided",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["decided", "withdrawn"]) | ~Q(outcome=""),
                name="advocacy_decided_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(extension_days__isnull=True)
                | Q(extension_days__gte=1, extension_days__lte=rules.EXTENSION_MAX_DAYS),
                name="advocacy_extension_within_ins4",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} with {self.org_name}"

    @property
    def currency(self) -> str:
        """The symbol amounts are in: pounds for the NHS routes, dollars for the US plans."""
        return "\u00a3" if self.plan_type.startswith("nhs_") else "$"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_APPEAL_STATUSES


class PayerContact(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="contacts")
    occurred_at = models.DateTimeField("When")
    person = models.CharField("Who you spoke to", max_length=200)
    reference_number = models.CharField("Their reference number", max_length=100, blank=True)
    said = models.TextField("What was said")
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.person} at {self.occurred_at:%Y-%m-%d %H:%M}"


class DocumentKind(models.TextChoices):
    DENIAL_LETTER = "denial_letter", "Denial letter"
    MEDICAL_NECESSITY = "medical_necessity", "Medical necessity letter"
    APPEAL_LETTER = "appeal_letter", "Appeal letter"
    OTHER = "other", "Other"


class Document(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    file = models.FileField(upload_to="advocacy/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    text = models.TextField(blank=True, help_text="The text of a letter drafted in Liaison.")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class DeadlineRule(models.Model):
    """A site's own number for one deadline rule (see ``rules.all_rules``), replacing the default."""

    site = models.ForeignKey("org.Site", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    amount = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit = models.CharField(max_length=20, choices=[(k, v) for k, v in rules.UNITS.items()])
    reason = models.CharField(max_length=300)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "key"], name="advocacy_one_rule_per_site_key"),
            models.CheckConstraint(condition=Q(amount__gte=1), name="advocacy_rule_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.amount} {self.unit}"
