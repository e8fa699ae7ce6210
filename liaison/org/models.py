"""Where the office works: hospitals (sites), their departments, and the staff who can be named in cases."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models


class PolicyPack(models.TextChoices):
    """The jurisdiction whose complaint rules and clocks apply at a site."""

    ENGLAND_NHS = "england_nhs", "England (NHS)"
    SCOTLAND_NHS = "scotland_nhs", "Scotland (NHS)"
    WALES_NHS = "wales_nhs", "Wales (NHS)"
    US_CMS = "us_cms", "United States (CMS grievances)"


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a known time zone (use a name such as Europe/London).") from None


class Site(models.Model):
    name = models.CharField(max_length=200, unique=True)
    code = models.CharField(
        max_length=10,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z][A-Z0-9]{1,9}$", "Use 2–10 capital letters or digits, starting with a letter.")
        ],
        help_text="Short code used in case references, e.g. RGH.",
    )
    policy_pack = models.CharField(max_length=30, choices=PolicyPack.choices)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone], default="Europe/London")
    address = models.TextField(blank=True)
    complaints_contact_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="Published complaints contact: the person or office patients should write to.",
    )
    complaints_contact_phone = models.CharField(max_length=50, blank=True)
    complaints_contact_email = models.EmailField(blank=True)
    complaints_contact_address = models.TextField(blank=True)
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Signs final responses (England: the responsible person under reg. 4; US: the grievance contact).",
    )
    responsible_person_title = models.CharField(max_length=200, blank=True, help_text="e.g. Chief Executive")
    state_agency_name = models.CharField(max_length=200, blank=True, help_text="US: the State survey agency.")
    state_agency_contact = models.TextField(
        blank=True, help_text="US: its phone and address, as patients should see them."
    )
    qio_name = models.CharField(max_length=200, blank=True, help_text="US: the Quality Improvement Organization.")
    qio_contact = models.TextField(blank=True)
    investigation_days = models.PositiveSmallIntegerField(
        default=10, help_text="Working days a department has to answer an investigation request."
    )
    letter_footer = models.CharField(max_length=300, blank=True, help_text="Printed at the foot of every letter.")
    is_active = models.BooleanField(default=True)
    # Patient lookup at intake (docs/fhir.md). No base URL: no lookup. The client secret is not stored here
    # but read from the environment (see liaison.org.fhir), so it is never shown, exported or backed up.
    fhir_base_url = models.URLField(
        "FHIR server base URL",
        max_length=300,
        blank=True,
        help_text="The FHIR R4 endpoint patients are searched at, e.g. https://ehr.example.org/fhir/r4. "
        "Leave empty to offer no patient lookup.",
    )
    fhir_token_url = models.URLField(
        "Token endpoint",
        max_length=300,
        blank=True,
        help_text="OAuth 2.0 token endpoint for the client credentials grant. Leave empty if the server needs none.",
    )
    fhir_client_id = models.CharField("Client id", max_length=200, blank=True)
    fhir_auth_method = models.CharField(
        "How the secret is sent",
        max_length=30,
        choices=[
            ("client_secret_basic", "HTTP Basic (client_secret_basic)"),
            ("client_secret_post", "In the request body (client_secret_post)"),
        ],
        default="client_secret_basic",
    )
    fhir_scope = models.CharField(
        "Scope", max_length=300, blank=True, help_text="Asked for with the token, e.g. system/Patient.read."
    )
    fhir_mrn_system = models.CharField(
        "MRN identifier system",
        max_length=300,
        blank=True,
        help_text="The URI of the hospital's MRN identifiers; MRN searches send system|value. "
        "When empty, any identifier typed MR is read as the MRN.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class Department(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="departments")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=20, blank=True)
    leads = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="led_departments")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["site__name", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="org_department_unique_name_per_site")]

    def __str__(self) -> str:
        return f"{self.name} ({self.site.code})"


class StaffGroup(models.TextChoices):
    MEDICAL = "medical", "Medical"
    NURSING = "nursing", "Nursing and midwifery"
    ALLIED_HEALTH = "allied_health", "Allied health professions"
    ADMINISTRATIVE = "administrative", "Administrative and clerical"
    OTHER = "other", "Other"


class StaffMember(models.Model):
    """A person who can be named in a case. Staff need not be Liaison users."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="staff")
    full_name = models.CharField(max_length=200)
    job_title = models.CharField(max_length=200, blank=True)
    staff_group = models.CharField(max_length=20, choices=StaffGroup.choices)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="staff")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="staff_record"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name = "staff member"

    def __str__(self) -> str:
        return self.full_name

    def clean(self) -> None:
        if self.department is not None and self.site_id and self.department.site_id != self.site_id:
            raise ValidationError({"department": "The department must belong to the same site."})
