"""Meetings on a case: local resolution, mediation, family and best-interests meetings, and who takes part."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class MeetingKind(models.TextChoices):
    LOCAL_RESOLUTION = "local_resolution", "Local resolution meeting"
    MEDIATION = "mediation", "Mediation"
    FAMILY_MEETING = "family_meeting", "Family meeting"
    BEST_INTERESTS = "best_interests", "Best-interests meeting"


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class Meeting(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=30, choices=MeetingKind.choices)
    # Stored in UTC; entered and shown in the case's site time zone.
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    place = models.CharField(max_length=300, blank=True)
    video_link = models.URLField(max_length=500, blank=True)
    agenda = models.TextField(blank=True)
    access_needs = models.TextField(blank=True)
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED)
    # The iCalendar identity: the same UID for every update, with SEQUENCE raised on each change.
    uid = models.CharField(max_length=200, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)
    points_agreed = models.TextField(blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            ),
            models.CheckConstraint(condition=models.Q(status__in=MeetingStatus.values), name="meeting_known_status"),
            models.CheckConstraint(condition=models.Q(kind__in=MeetingKind.values), name="meeting_known_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_scheduled(self) -> bool:
        return self.status == MeetingStatus.SCHEDULED


class ParticipantKind(models.TextChoices):
    PATIENT = "patient", "Patient"
    FAMILY = "family", "Family member"
    REPRESENTATIVE = "representative", "Representative"
    STAFF = "staff", "Member of staff"
    INTERPRETER = "interpreter", "Interpreter"
    ADVOCATE = "advocate", "Advocate"


class Response(models.TextChoices):
    NEEDS_ACTION = "needs_action", "No answer yet"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    TENTATIVE = "tentative", "Maybe"


class Participant(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    kind = models.CharField(max_length=20, choices=ParticipantKind.choices)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    # Staff: a user of Liaison (so the meeting is on their My work) or someone from the staff directory.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="meeting_places"
    )
    staff_member = models.ForeignKey(
        "org.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="meeting_places"
    )
    language = models.CharField(max_length=50, blank=True, help_text="For an interpreter: the language.")
    response = models.CharField(max_length=20, choices=Response.choices, default=Response.NEEDS_ACTION)
    responded_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(response__in=Response.values), name="participant_known_response"),
            models.CheckConstraint(
                condition=~models.Q(kind="interpreter", language=""), name="participant_interpreter_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def is_staff_member(self) -> bool:
        return self.kind == ParticipantKind.STAFF
