"""Webhook subscriptions, and the outbox of deliveries the worker sends to them.

A delivery row is written in the same transaction as the change it tells of, so a change never commits
without its deliveries and a delivery never exists for a change that was rolled back. The worker then sends
each one (``liaison.webhooks.services.deliveries_send_due``), logging every attempt.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Event(models.TextChoices):
    CASE_CREATED = "case.created", "A case is logged"
    CASE_STATUS_CHANGED = "case.status_changed", "A case's status changes"
    CASE_CLOSED = "case.closed", "A case is closed"
    CASE_DEADLINE_MISSED = "case.deadline_missed", "A case misses a deadline"
    FEEDBACK_IMPORTED = "feedback.imported", "A feedback import finishes"


class Scope(models.TextChoices):
    # Neither holds anything about the patient or the complainant, nor any text they wrote.
    MINIMAL = "minimal", "Identifiers only: the case's id, reference and site"
    DETAILS = "details", "Identifiers, type, status, priority, channel and key dates"


class Subscription(models.Model):
    name = models.CharField(max_length=100, help_text="What receives it, e.g. “Risk system”.")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="The Event values this subscription receives.")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.MINIMAL)
    site = models.ForeignKey(
        "org.Site",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only this site's events; empty: every site's.",
    )
    # Kept as written: Liaison needs the secret itself to sign (a digest could not), so it is stored like the
    # database password is, shown to the administrator once, and never printed, logged or audited afterwards.
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str, site_id: int | None) -> bool:
        return self.is_active and event in self.events and (self.site_id is None or self.site_id == site_id)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One event for one subscription. Its id is sent with every attempt, so a receiver can drop repeats."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=Event.choices)
    # What makes this event itself: a new uuid for each change, or "deadline:<case>:<clock>:<due>" for a missed
    # deadline, so that each deadline is told of once however many sweeps see it.
    event_key = models.CharField(max_length=200)
    case_id = models.BigIntegerField(null=True, blank=True, help_text="The case it tells of, if any.")
    body = models.TextField(help_text="The JSON sent, fixed when the event happened: every attempt sends the same.")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    give_up_after = models.PositiveIntegerField(help_text="Marked failed when ``attempts`` reaches this.")
    next_attempt_at = models.DateTimeField()
    # The claim: the worker sending it, and until when. A claim whose worker is gone, or that ran out, is taken
    # again, and the delivery goes once more with the same id.
    claimed_by = models.CharField(max_length=120, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_key"], name="webhooks_one_delivery_per_event"),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "delivered", "failed"]), name="webhooks_delivery_status"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_due_idx"),
            models.Index(fields=["subscription", "-created_at"], name="webhooks_recent_idx"),
            models.Index(fields=["event", "case_id"], name="webhooks_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.id}"


class Attempt(models.Model):
    """One try at sending a delivery, with what the receiver answered."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    worker = models.CharField(max_length=120, blank=True)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The start of the answer (cut to 1,000 characters).")
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhooks_one_log_per_attempt"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
