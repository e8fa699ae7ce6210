"""What each event says, and the outbox rows that carry it: written in the transaction of the change itself.

The payload is built from an allow-list of fields. Nothing about the patient or the complainant (name, MRN,
date of birth, address, email, phone) and no text anybody wrote (the complaint, notes, findings) is ever in it,
whatever the subscription's scope: a receiver that needs more asks the API, as a user with a token.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from liaison.cases import hooks as case_hooks
from liaison.cases import rules
from liaison.cases.models import OPEN_STATUSES, Case, Status
from liaison.webhooks.models import Delivery, Event, Scope, Subscription

if TYPE_CHECKING:
    from liaison.feedback.models import ImportJob
    from liaison.reminders.services import SweepReport

DataFor = Callable[[str], dict[str, Any]]  # scope -> the "data" member of the payload


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def case_facts(case: Case, scope: str) -> dict[str, Any]:
    """The case as a receiver sees it: identifiers, and with the "details" scope its state and key dates."""
    facts: dict[str, Any] = {"id": case.pk, "reference": case.reference, "site": case.site.code}
    if scope == Scope.DETAILS:
        facts.update(
            {
                "type": case.case_type,
                "status": case.status,
                "priority": case.priority,
                "channel": case.channel,
                "received_at": _iso(case.received_at),
                "acknowledged_at": _iso(case.acknowledged_at),
                "responded_at": _iso(case.responded_at),
                "closed_at": _iso(case.closed_at),
                "next_due_at": _iso(case.next_due_at),
                "next_due": case.next_due_name or None,
            }
        )
    return facts


def _active_subscriptions() -> list[Subscription]:
    # Few rows, read once per change; filtering in Python works the same on SQLite and PostgreSQL.
    return list(Subscription.objects.filter(is_active=True))


def _body(delivery_id: uuid.UUID, event: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    payload = {"id": str(delivery_id), "event": event, "occurred_at": occurred_at.isoformat(), "data": data}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


def enqueue_deliver() -> None:
    """Have the worker send what is due now instead of at its next poll."""
    from liaison.webhooks.tasks import deliver

    deliver.enqueue()


def record(
    *,
    event: str,
    subscriptions: Iterable[Subscription],
    data_for: DataFor,
    case_id: int | None = None,
    event_key: str = "",
    occurred_at: datetime | None = None,
    wake: bool = True,
) -> list[Delivery]:
    """Write one delivery per subscription in the caller's transaction; the worker is woken when it commits
    (unless ``wake`` is false: the caller wakes it once for several events).

    With ``event_key`` a subscription that already has a delivery for that key gets no second one.
    """
    now = timezone.now()
    occurred_at = occurred_at or now
    key = event_key or f"{event}:{uuid.uuid4()}"
    deliveries = []
    for subscription in subscriptions:
        delivery_id = uuid.uuid4()
        deliveries.append(
            Delivery(
                id=delivery_id,
                subscription=subscription,
                event=event,
                event_key=key,
                case_id=case_id,
                body=_body(delivery_id, event, occurred_at, data_for(subscription.scope)),
                give_up_after=settings.LIAISON_WEBHOOK_MAX_ATTEMPTS,
                next_attempt_at=now,
            )
        )
    if not deliveries:
        return []
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=bool(event_key))
    if wake:
        transaction.on_commit(enqueue_deliver)
    return deliveries


# -- The callbacks the app registers (liaison/webhooks/apps.py) ---------------------------------------------------


def on_case_event(event: case_hooks.CaseEvent) -> None:
    case = event.case
    wanted: list[tuple[str, dict[str, str]]]
    if event.kind == "opened":
        wanted = [(Event.CASE_CREATED, {})]
    elif event.kind == "status_changed":
        change = {"from": event.from_status, "to": event.to_status}
        wanted = [(Event.CASE_STATUS_CHANGED, change)]
        if event.to_status == Status.CLOSED:
            wanted.append((Event.CASE_CLOSED, change))
    else:
        return
    active = _active_subscriptions()
    written = 0
    for name, extra in wanted:
        subscriptions = [s for s in active if s.wants(name, case.site_id)]
        if subscriptions:
            written += len(
                record(
                    event=name,
                    subscriptions=subscriptions,
                    case_id=case.pk,
                    data_for=lambda scope, extra=extra: {"case": case_facts(case, scope), **extra},  # type: ignore[misc]
                    wake=False,
                )
            )
    if written:
        transaction.on_commit(enqueue_deliver)


def on_import_finished(job: ImportJob) -> None:
    site = job.source.site
    subscriptions = [s for s in _active_subscriptions() if s.wants(Event.FEEDBACK_IMPORTED, site.pk)]
    if not subscriptions:
        return
    # The counts only: not the file's name, which a person typed and may name a patient.
    facts = {
        "id": job.pk,
        "site": site.code,
        "source_id": job.source_id,
        "status": job.status,
        "rows_seen": job.rows_seen,
        "rows_added": job.rows_added,
        "rows_already_there": job.rows_already_there,
        "rows_rejected": job.rows_rejected,
        "finished_at": _iso(job.finished_at),
    }
    record(
        event=Event.FEEDBACK_IMPORTED,
        subscriptions=subscriptions,
        event_key=f"import:{job.pk}",
        data_for=lambda scope: {"import": facts},
    )


def deadline_key(case_id: int, clock_key: str, due: datetime) -> str:
    return f"deadline:{case_id}:{clock_key}:{due.isoformat()}"


def deadlines_missed_sweep(now: datetime, report: SweepReport) -> None:
    """A step of the reminders sweep (registered in apps.py)."""
    deadlines_missed_record(now=now)


def deadlines_missed_record(*, now: datetime) -> int:
    """Tell each subscription once of each deadline of an open case that has passed since it was registered.

    Deadlines that passed before a subscription existed are not told of, so a new
    subscription is not flooded with the past; nor are those older than the deliveries kept
    (``LIAISON_WEBHOOK_KEEP_DAYS``), which were told of when they passed. Returns how many deliveries it wrote.
    """
    subscriptions = [s for s in Subscription.objects.filter(is_active=True) if Event.CASE_DEADLINE_MISSED in s.events]
    if not subscriptions:
        return 0
    written = 0
    overdue = (
        Case.objects.filter(status__in=OPEN_STATUSES, next_due_at__lt=now)
        .exclude(status=Status.REFERRED)
        .select_related("site")
        .order_by("pk")
    )
    # Not before the oldest subscription, nor before the deliveries kept: older ones were told and pruned since.
    earliest = max(
        min(s.created_at for s in subscriptions) - timedelta(seconds=1),
        now - timedelta(days=settings.LIAISON_WEBHOOK_KEEP_DAYS),
    )
    batch: list[Case] = []

    def flush() -> None:
        nonlocal written
        told = set(
            Delivery.objects.filter(
                event=Event.CASE_DEADLINE_MISSED, case_id__in=[c.pk for c in batch], subscription__in=subscriptions
            ).values_list("subscription_id", "event_key")
        )
        for case in batch:
            for clock in rules.running_clocks(case):
                if not earliest < clock.due < now:
                    continue
                key = deadline_key(case.pk, clock.key, clock.due)
                wanted = [
                    s
                    for s in subscriptions
                    if s.wants(Event.CASE_DEADLINE_MISSED, case.site_id)
                    and s.created_at <= clock.due
                    and (s.pk, key) not in told
                ]
                if not wanted:
                    continue
                deadline = {
                    "key": clock.key,
                    "name": clock.name,
                    "due_at": clock.due.isoformat(),
                    "rule": clock.rule_id,
                }
                with transaction.atomic():
                    written += len(
                        record(
                            event=Event.CASE_DEADLINE_MISSED,
                            subscriptions=wanted,
                            case_id=case.pk,
                            event_key=key,
                            occurred_at=clock.due,
                            data_for=lambda scope, case=case, deadline=deadline: {  # type: ignore[misc]
                                "case": case_facts(case, scope),
                                "deadline": deadline,
                            },
                            wake=False,
                        )
                    )
        batch.clear()

    for case in overdue.iterator(chunk_size=500):
        batch.append(case)
        if len(batch) >= 500:
            flush()
    if batch:
        flush()
    if written:
        transaction.on_commit(enqueue_deliver)  # at once outside a transaction: the sweep runs in autocommit
    return written
