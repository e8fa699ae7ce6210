from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from liaison.audit.models import AuditEvent


def audit_search(*, filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if filters.get("user"):
        events = events.filter(actor_email__icontains=filters["user"].strip())
    if filters.get("action"):
        events = events.filter(action__startswith=filters["action"].strip())
    if filters.get("object_type"):
        events = events.filter(object_type=filters["object_type"].strip().lower())
    if filters.get("object_id"):
        events = events.filter(object_id=filters["object_id"].strip())
    zone = timezone.get_current_timezone()
    if filters.get("date_from"):
        events = events.filter(occurred_at__gte=datetime.combine(filters["date_from"], time.min, tzinfo=zone))
    if filters.get("date_to"):
        events = events.filter(
            occurred_at__lt=datetime.combine(filters["date_to"] + timedelta(days=1), time.min, tzinfo=zone)
        )
    # Newest written first; an event not sealed yet has no position, but it has its id.
    return events.order_by("-id")
