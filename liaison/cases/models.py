"""The case record: one matter raised by or for a patient, with its issues, timeline and attachments."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from liaison.org.models import StaffGroup


class CaseType(models.TextChoices):
    CONCERN = "concern", "Concern"
    COMPLAINT = "complaint", "Complaint"
    GRIEVANCE = "grievance", "Grievance"
    COMPLIMENT = "compliment", "Compliment"
    ENQUIRY = "enquiry", "Enquiry"
    ADVOCACY = "advocacy", "Advocacy"


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    IN_PERSON = "in_person", "In person"
    LETTER = "letter", "Letter"
    EMAIL = "email", "Email"
    WEB_FORM = "web_form", "Web form"
    SURVEY = "survey", "Survey"
    SOCIAL_MEDIA = "social_media", "Social media"
    OTHER = "other", "Other"


class Status(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    UNDER_INVESTIGATION = "under_investigation", "Under investigation"
    RESPONSE_DRAFTED = "response_drafted", "Response drafted"
    RESPONDED = "responded", "Responded"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REFERRED = "referred", "Referred externally"


OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.UNDER_INVESTIGATION, Status.RESPONSE_DRAFTED, Status.RESPONDED)


class Priority(models.TextChoices):
    # Stored as text; ordered by PRIORITY_RANK for the worklist.
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    EXTREME = "extreme", "Extreme"


PRIORITY_RANK = {Priority.EXTREME: 0, Priority.HIGH: 1, Priority.MODERATE: 2, Priority.LOW: 3}


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", "Verbal, recorded by staff"
    WRITTEN = "written", "Written and signed"
    # A tick on the public form is the person's own statement: nobody has checked who ticked it.
    WEB_STATEMENT = "web_statement", "Stated on the web form, not verified"
    POWER_OF_ATTORNEY = "power_of_attorney", "Lasting power of attorney"
    PARENTAL_RESPONSIBILITY = "parental_responsibility", "Parental responsibility"
    NOT_YET = "not_yet", "Not yet given"


class RestrictionReason(models.TextChoices):
    STAFF_AS_PATIENT = "staff_as_patient", "Staff member as patient"
    VIP = "vip", "Public figure (VIP)"
    SAFEGUARDING = "safeguarding", "Safeguarding"


class InformalOutcome(models.TextChoices):
    RESOLVED_FIRST_CONTACT = "resolved_first_contact", "Resolved at first contact"
    DECLINED_FORMAL = "declined_formal", "Declined a formal complaint"


class PhsoStage(models.TextChoices):
    EARLY_RESOLUTION = "early_resolution", "Early resolution"
    DETAILED_INVESTIGATION = "detailed_investigation", "Detailed investigation"


class ExternalBody(models.TextChoices):
    OMBUDSMAN = "ombudsman", "Ombudsman (e.g. PHSO)"
    QIO = "qio", "Quality Improvement Organization (QIO)"
    STATE_AGENCY = "state_agency", "State survey agency"
    REGULATOR = "regulator", "Regulator (e.g. CQC)"


class Outcome(models.TextChoices):
    UPHELD = "upheld", "Upheld"
    PARTLY_UPHELD = "partly_upheld", "Partly upheld"
    NOT_UPHELD = "not_upheld", "Not upheld"
    UNABLE = "unable", "Unable to investigate"


class Case(models.Model):
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(max_length=32, unique=True)
    case_type = models.CharField("type", max_length=20, choices=CaseType.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    received_at = models.DateTimeField(help_text="When the office received it. Never changes, not even on conversion.")
    event_date = models.DateField(null=True, blank=True, help_text="When the matter happened.")
    awareness_date = models.DateField(
        null=True, blank=True, help_text="When the complainant became aware of it, if later."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_cases"
    )
    reported_department = models.ForeignKey(
        "org.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The department the complainant named (e.g. on the web form), before issues are coded.",
    )
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.LOW)
    priority_rank = models.PositiveSmallIntegerField(default=3, help_text="0 = extreme … 3 = low, for ordering.")
    risk_consequence = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    risk_likelihood = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    red_flags = models.JSONField(default=list, blank=True)

    # The patient.
    patient_known = models.BooleanField(default=True)
    patient_name = models.CharField(max_length=200, blank=True)
    patient_mrn = models.CharField("MRN", max_length=40, blank=True, db_index=True)
    patient_dob = models.DateField("date of birth", null=True, blank=True)
    patient_phone = models.CharField(max_length=50, blank=True)
    patient_email = models.EmailField(blank=True)
    patient_address = models.TextField(blank=True)

    # The complainant: the patient, or a representative with consent or authority to act.
    complainant_is_patient = models.BooleanField(default=True)
    complainant_name = models.CharField(max_length=200, blank=True)
    complainant_relationship = models.CharField(max_length=100, blank=True)
    complainant_phone = models.CharField(max_length=50, blank=True)
    complainant_email = models.EmailField(blank=True)
    complainant_address = models.TextField(blank=True)
    consent_method = models.CharField(max_length=30, choices=ConsentMethod.choices, blank=True)
    consent_date = models.DateField(null=True, blank=True)

    preferred_language = models.CharField(max_length=12, default="en")
    interpreter_needed = models.BooleanField(default=False)
    accessibility_needs = models.CharField(max_length=300, blank=True)
    desired_outcome = models.TextField("what they want to happen", blank=True)
    account = models.TextField("their account", blank=True)

    # US grievance facts (RULES.md US-2 to US-8).
    topics = models.JSONField(default=list, blank=True)
    resolved_at_time_by_staff_present = models.BooleanField(default=False)
    postponed = models.BooleanField(default=False)
    referred = models.BooleanField("referred to other staff", default=False)
    requires_investigation = models.BooleanField(default=False)
    requires_further_action = models.BooleanField(default=False)
    requested_formal_or_response = models.BooleanField("asked for a formal complaint or a response", default=False)
    medicare_beneficiary = models.BooleanField(default=False)

    # Clock events.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    agreed_response_date = models.DateField(null=True, blank=True)
    extension_agreed_until = models.DateField(null=True, blank=True)
    extension_agreement = models.TextField(blank=True, help_text="How and when the complainant agreed.")
    interim_notice_sent_at = models.DateTimeField(null=True, blank=True)
    followup_within_days = models.PositiveSmallIntegerField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    written_notice_sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    next_due_name = models.CharField(max_length=100, blank=True)

    # England 12-month rule: a decision is needed before an out-of-time complaint proceeds.
    time_limit_good_reason = models.BooleanField(null=True, blank=True)
    time_limit_fair_investigation_possible = models.BooleanField(null=True, blank=True)
    time_limit_decision_notes = models.TextField(blank=True)
    time_limit_decided_at = models.DateTimeField(null=True, blank=True)

    outcome = models.CharField("overall outcome", max_length=20, choices=Outcome.choices, blank=True)
    how_considered = models.TextField(
        blank=True, help_text="How the complaint was looked into: the steps taken, in words for the complainant."
    )
    learning = models.TextField(blank=True)
    investigation_completed_on = models.DateField(null=True, blank=True)
    informal_outcome = models.CharField(max_length=30, choices=InformalOutcome.choices, blank=True)
    flagged_for_review = models.BooleanField(default=False)
    phso_stage = models.CharField(max_length=30, choices=PhsoStage.choices, blank=True)

    restricted = models.BooleanField(default=False)
    restricted_reason = models.CharField(max_length=30, choices=RestrictionReason.choices, blank=True)
    restricted_to = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="restricted_cases")

    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_cases"
    )
    # Figures for the office's measures, kept by cases.figures.refresh whenever the case is saved.
    received_on = models.DateField(null=True, editable=False, help_text="The day received, at the site.")
    ack_due_at = models.DateTimeField(null=True, editable=False)
    response_due_at = models.DateTimeField(null=True, editable=False)
    interim_due_at = models.DateTimeField(null=True, editable=False)
    first_responded_at = models.DateTimeField(null=True, editable=False)
    interim_done_at = models.DateTimeField(null=True, editable=False)
    stopped_at = models.DateTimeField(null=True, editable=False)
    finished_once = models.BooleanField(default=False, editable=False)
    reopened = models.BooleanField(default=False, editable=False)
    days_to_acknowledge = models.PositiveIntegerField(null=True, editable=False)
    days_to_respond = models.PositiveIntegerField(null=True, editable=False)

    # Retention (liaison.retention): a hold stops the purge; a purged case keeps only its figures and codes.
    legal_hold = models.BooleanField(default=False, help_text="Kept past its retention period until released.")
    legal_hold_reason = models.CharField(max_length=300, blank=True)
    legal_hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    legal_hold_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When personal content was removed under retention."
    )

    version = models.PositiveIntegerField(
        default=1, help_text="Raised on every save; edits from an older version are refused."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority_rank", "next_due_at"]
        indexes = [
            models.Index(fields=["site", "status", "priority_rank", "next_due_at"], name="cases_worklist_idx"),
            models.Index(fields=["patient_name"], name="cases_patient_name_idx"),
            # The measures: every period filter is a range of received_on within the sites in scope.
            models.Index(fields=["site", "received_on"], name="cases_site_received_idx"),
            # The worker's sweeps for cases closed lately (the satisfaction survey's invitations).
            models.Index(fields=["status", "closed_at"], name="cases_status_closed_idx"),
            # The managers' workload: open cases per owner by age and due state, read from the index alone.
            models.Index(
                fields=["site", "status", "owner", "received_at", "next_due_at"],
                include=["restricted"],
                name="cases_workload_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(risk_consequence__gte=1, risk_consequence__lte=5), name="cases_consequence_1_5"
            ),
            models.CheckConstraint(
                condition=models.Q(risk_likelihood__gte=1, risk_likelihood__lte=5), name="cases_likelihood_1_5"
            ),
            models.CheckConstraint(condition=models.Q(case_type__in=CaseType.values), name="cases_known_type"),
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="cases_known_status"),
        ]

    def __str__(self) -> str:
        return self.reference

    def clean(self) -> None:
        """A response date agreed with the complainant cannot come before the office received the case."""
        agreed, received = self.agreed_response_date, self.received_at
        if agreed is not None and received is not None and self.site_id is not None:
            received_on = received.astimezone(self.site.zone).date()
            if agreed < received_on:
                raise ValidationError(
                    {
                        "agreed_response_date": (
                            f"The agreed response date cannot be before the case was received "
                            f"({received_on.day} {received_on:%B %Y})."
                        )
                    }
                )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def consent_needs_verifying(self) -> bool:
        """A representative whose authority nobody has checked yet: share no patient information with them."""
        return not self.complainant_is_patient and self.consent_method in (
            "",
            ConsentMethod.NOT_YET,
            ConsentMethod.WEB_STATEMENT,
        )

    @property
    def complainant_display(self) -> str:
        if self.complainant_is_patient:
            return self.patient_name or "The patient"
        return (
            f"{self.complainant_name} ({self.complainant_relationship})"
            if self.complainant_relationship
            else self.complainant_name
        )


class CaseSequence(models.Model):
    """The last reference number used per site and year (locked while a new case takes the next)."""

    site = models.ForeignKey("org.Site", on_delete=models.CASCADE)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "year"], name="cases_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.site_id}/{self.year}: {self.last_number}"


class HcatCategory(models.TextChoices):
    QUALITY = "quality", "Quality (clinical)"
    SAFETY = "safety", "Safety (clinical)"
    ENVIRONMENT = "environment", "Environment (management)"
    INSTITUTIONAL_PROCESSES = "institutional_processes", "Institutional processes (management)"
    LISTENING = "listening", "Listening (relationships)"
    COMMUNICATION = "communication", "Communication (relationships)"
    RESPECT_RIGHTS = "respect_rights", "Respect and patient rights (relationships)"


class StageOfCare(models.TextChoices):
    ADMISSIONS = "admissions", "Admissions"
    EXAMINATION_DIAGNOSIS = "examination_diagnosis", "Examination and diagnosis"
    WARD_CARE = "ward_care", "Care on the ward"
    OPERATION_PROCEDURE = "operation_procedure", "Operation or procedure"
    DISCHARGE_TRANSFER = "discharge_transfer", "Discharge or transfer"
    OTHER = "other", "Other stage"


class Issue(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="issues")
    # Blank while the issue waits to be coded (logged in a line at intake, without a category yet).
    category = models.CharField("HCAT category", max_length=30, choices=HcatCategory.choices, blank=True)
    severity = models.PositiveSmallIntegerField(
        choices=[(1, "1 — low"), (2, "2 — medium"), (3, "3 — high")], default=1, help_text="HCAT severity"
    )
    stage_of_care = models.CharField(max_length=30, choices=StageOfCare.choices, default=StageOfCare.OTHER)
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="issues"
    )
    staff_group = models.CharField(max_length=20, choices=StaffGroup.choices, blank=True)
    staff_member = models.ForeignKey(
        "org.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="issues"
    )
    summary = models.CharField(max_length=300)
    finding = models.TextField(blank=True, help_text="What the investigation found about this issue.")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__gte=0, severity__lte=3), name="cases_issue_severity_0_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display() or 'Not coded yet'}: {self.summary}"


class PromisedAction(models.Model):
    """An action promised in the response; these become improvement actions later."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="promised_actions")
    description = models.CharField(max_length=300)
    owner = models.CharField(max_length=200, help_text="Who will do it (a person or a team).")
    due_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.description


class CaseLink(models.Model):
    class Kind(models.TextChoices):
        RELATED = "related", "Related"
        DUPLICATE = "duplicate", "Duplicate (merged)"

    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    to_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RELATED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case"], name="cases_link_unique"),
            models.CheckConstraint(condition=~models.Q(from_case=models.F("to_case")), name="cases_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.from_case_id} → {self.to_case_id} ({self.kind})"


class ExternalReferral(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="external_referrals")
    body = models.CharField(max_length=20, choices=ExternalBody.choices)
    referred_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["body", "referred_on"], name="cases_referral_body_day_idx")]

    def __str__(self) -> str:
        return f"{self.get_body_display()} {self.referred_on}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="cases/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class TimelineKind(models.TextChoices):
    NOTE = "note", "Note"
    CALL = "call", "Phone call"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    STATUS = "status", "Status change"
    ASSIGNMENT = "assignment", "Assignment"
    CLOCK = "clock", "Clock change"
    ATTACHMENT = "attachment", "Attachment"
    EDIT = "edit", "Edit"
    LINK = "link", "Link"


class TimelineEvent(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=20, choices=TimelineKind.choices)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"
