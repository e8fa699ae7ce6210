"""Webhooks: register, pause and remove subscriptions (audited), and send the deliveries that are due.

Sending is at-least-once: a delivery is claimed (``claimed_by``/``claimed_until``) before it is sent and settled
afterwards, both conditional on the claim still being this worker's. A worker killed in between leaves the claim;
the next worker takes it again (at once if it can see the first one's process is gone, else once the claim runs
out) and sends the same body with the same delivery id, which is what a receiver de-duplicates on.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, require
from liaison.audit.services import audit_record
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site
from liaison.reminders import recovery
from liaison.webhooks.models import Attempt, Delivery, DeliveryStatus, Event, Scope, Subscription
from liaison.webhooks.signing import new_secret, signature

logger = logging.getLogger(__name__)

RESPONSE_KEEP = 1000  # characters of each answer kept in the attempt log
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
USER_AGENT = "Liaison-Webhooks/1"


def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt number ``attempt``: 30 s, 2 min, 8 min, 32 min, 2 h 8 min, then 6 h."""
    return min(FIRST_WAIT * 4 ** (attempt - 1), LONGEST_WAIT)


def _require_admin(user: User) -> None:
    require(user, Cap.WEBHOOKS_MANAGE, what="manage webhooks")


_LOCAL_NAMES = {"localhost", "localhost.localdomain"}


def _is_local(host: str) -> bool:
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_url(url: str) -> str:
    """An absolute https URL, or http to this machine (or anywhere when LIAISON_WEBHOOK_ALLOW_HTTP is on)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise ApplicationError("That is not a web address Liaison can send to.") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise ApplicationError("The address must start with https:// and name a server.")
    if parts.username or parts.password:
        raise ApplicationError("Put no user name or password in the address: each delivery is signed instead.")
    if parts.fragment:
        raise ApplicationError("The address must not have a # part.")
    if parts.scheme == "http" and not (_is_local(host) or settings.LIAISON_WEBHOOK_ALLOW_HTTP):
        raise ApplicationError(
            "The address must use https, so that nobody between Liaison and the receiver can read the deliveries."
        )
    return url


def _events(events: list[str]) -> list[str]:
    unknown = set(events) - set(Event.values)
    if unknown or not events:
        raise ApplicationError("Choose at least one event from the list.")
    return [e for e in Event.values if e in events]


def _described(subscription: Subscription) -> dict[str, object]:
    # Never the secret.
    return {
        "name": subscription.name,
        "url": subscription.url,
        "events": subscription.events,
        "scope": subscription.scope,
        "site": subscription.site.code if subscription.site else None,
        "active": subscription.is_active,
    }


@dataclass(frozen=True)
class NewSubscription:
    subscription: Subscription
    secret: str  # shown to the administrator once, in the answer to the form


def subscription_create(
    *, acting_user: User, name: str, url: str, events: list[str], scope: str = Scope.MINIMAL, site: Site | None = None
) -> NewSubscription:
    _require_admin(acting_user)
    name = name.strip()
    if not name:
        raise ApplicationError("Give the webhook a name that says what receives it.")
    if scope not in Scope.values:
        raise ApplicationError("Choose what the deliveries may hold.")
    url = validate_url(url)
    # A second registration of the same name and address is the same form sent twice (a page reloaded after
    # registering): refused, so that it does not double every delivery.
    if Subscription.objects.filter(name=name[:100], url=url).exists():
        raise ApplicationError(
            f"A webhook named “{name[:100]}” already sends to this address. Its secret was shown when it was "
            "registered; for a new secret, delete it and register it again."
        )
    subscription = Subscription(
        name=name[:100],
        url=url,
        events=_events(events),
        scope=scope,
        site=site,
        secret=new_secret(),
        created_by=acting_user,
    )
    with transaction.atomic():
        subscription.save()
        audit_record(action="webhook.create", actor=acting_user, obj=subscription, details=_described(subscription))
    return NewSubscription(subscription=subscription, secret=subscription.secret)


def subscription_set_active(*, acting_user: User, subscription: Subscription, active: bool) -> Subscription:
    """Pause (deliveries wait, nothing is sent) or resume (what waited is sent)."""
    _require_admin(acting_user)
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if locked.is_active == active:
            return locked
        locked.is_active = active
        locked.disabled_at = None if active else timezone.now()
        locked.save(update_fields=["is_active", "disabled_at"])
        if active:
            # What waited while it was off goes now, not after the backoff it had reached.
            Delivery.objects.filter(subscription=locked, status=DeliveryStatus.PENDING).update(
                next_attempt_at=timezone.now()
            )
            transaction.on_commit(_wake_worker)
        audit_record(
            action="webhook.enable" if active else "webhook.disable",
            actor=acting_user,
            obj=locked,
            details={"name": locked.name},
        )
    subscription.refresh_from_db()
    return locked


def subscription_delete(*, acting_user: User, subscription: Subscription) -> None:
    """Remove the subscription with its deliveries and their log; the audit trail keeps that it existed."""
    _require_admin(acting_user)
    with transaction.atomic():
        counts = {
            status: Delivery.objects.filter(subscription=subscription, status=status).count()
            for status in DeliveryStatus.values
        }
        audit_record(
            action="webhook.delete",
            actor=acting_user,
            obj=subscription,
            details={**_described(subscription), "deliveries": counts},
        )
        subscription.delete()


def delivery_resend(*, acting_user: User, delivery: Delivery) -> Delivery:
    """Send a failed delivery again, same id and body, with a fresh allowance of attempts."""
    _require_admin(acting_user)
    with transaction.atomic():
        changed = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING,
            give_up_after=F("attempts") + settings.LIAISON_WEBHOOK_MAX_ATTEMPTS,
            next_attempt_at=timezone.now(),
            claimed_by="",
            claimed_until=None,
        )
        if not changed:
            raise ApplicationError("Only a delivery that failed can be sent again.")
        audit_record(
            action="webhook.resend",
            actor=acting_user,
            obj=delivery.subscription,
            details={"delivery": str(delivery.pk), "event": delivery.event},
        )
        transaction.on_commit(_wake_worker)
    delivery.refresh_from_db()
    return delivery


def _wake_worker() -> None:
    from liaison.webhooks.events import enqueue_deliver

    enqueue_deliver()


# -- Sending ----------------------------------------------------------------------------------------------------


@dataclass
class SendReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    reclaimed: int = 0
    sent_ids: list[str] = field(default_factory=list)


def lease() -> timedelta:
    """How long a claim holds: the request's own limit and a margin to record its answer."""
    return timedelta(seconds=settings.LIAISON_WEBHOOK_TIMEOUT_SECONDS + 60)


def _release_lost_claims(now: datetime) -> int:
    """Claims whose worker process has ended, as seen from this machine, are given up at once."""
    held = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, claimed_until__gte=now)
        .exclude(claimed_by="")
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    released = 0
    for worker in list(held):
        if recovery.worker_is_gone(worker):
            released += Delivery.objects.filter(
                status=DeliveryStatus.PENDING, claimed_by=worker, claimed_until__gte=now
            ).update(claimed_until=None)
    if released:
        logger.warning("Took back %d webhook deliveries whose worker had stopped", released)
    return released


def _claim(worker: str, now: datetime, skip_subscriptions: set[int]) -> Delivery | None:
    """Claim the delivery due soonest, or None. Two workers never hold the same one."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = (
        Delivery.objects.filter(free, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(subscription__is_active=True)
        .exclude(subscription_id__in=skip_subscriptions)
        .order_by("next_attempt_at", "created_at")
    )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        candidate = due.values_list("pk", "attempts").first()
        if candidate is None:
            return None
        pk, attempts = candidate
        # Conditional on nobody having claimed it meanwhile (SQLite has no row locks; this is its guard).
        claimed = Delivery.objects.filter(free, pk=pk, status=DeliveryStatus.PENDING, attempts=attempts).update(
            claimed_by=worker, claimed_until=now + lease(), attempts=attempts + 1
        )
    if not claimed:
        return None
    return Delivery.objects.select_related("subscription").get(pk=pk)


@dataclass
class _Answer:
    status_code: int | None = None
    body: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _post(delivery: Delivery, *, attempt: int) -> _Answer:
    subscription = delivery.subscription
    timestamp = str(int(timezone.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Liaison-Delivery": str(delivery.pk),
        "Liaison-Event": delivery.event,
        "Liaison-Timestamp": timestamp,
        "Liaison-Signature": "v1=" + signature(subscription.secret, timestamp, delivery.body),
        "Liaison-Attempt": str(attempt),
    }
    try:
        with requests.post(
            subscription.url,
            data=delivery.body.encode(),
            headers=headers,
            timeout=settings.LIAISON_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,  # a redirect is not a delivery: the address should be corrected
            stream=True,
        ) as response:
            raw = response.raw.read(RESPONSE_KEEP * 4, decode_content=True) or b""
            text = raw.decode(response.encoding or "utf-8", errors="replace")[:RESPONSE_KEEP]
            error = "" if 200 <= response.status_code < 300 else f"The receiver answered {response.status_code}."
            if 300 <= response.status_code < 400:
                error = f"The receiver answered {response.status_code} (a redirect, which is not followed)."
            return _Answer(status_code=response.status_code, body=text, error=error)
    except requests.Timeout:
        return _Answer(error=f"No answer within {settings.LIAISON_WEBHOOK_TIMEOUT_SECONDS} seconds.")
    except requests.ConnectionError as exc:
        return _Answer(error=f"Could not connect: {type(exc).__name__}.")
    except requests.RequestException as exc:
        return _Answer(error=f"The request failed: {type(exc).__name__}.")


def _settle(delivery: Delivery, *, worker: str, attempt: int, started: datetime, ms: int, answer: _Answer) -> str:
    """Log the attempt and move the delivery on: delivered, due again after the backoff, or failed."""
    now = timezone.now()
    with transaction.atomic():
        Attempt.objects.get_or_create(
            delivery=delivery,
            number=attempt,
            defaults={
                "worker": worker[:120],
                "started_at": started,
                "duration_ms": ms,
                "status_code": answer.status_code,
                "response_body": answer.body,
                "error": answer.error[:300],
            },
        )
        mine = Delivery.objects.filter(pk=delivery.pk, claimed_by=worker, attempts=attempt)
        common = {"claimed_until": None, "last_status_code": answer.status_code, "last_error": answer.error[:300]}
        if answer.ok:
            outcome = DeliveryStatus.DELIVERED
            changed = mine.update(status=outcome, delivered_at=now, **common)
        elif attempt >= delivery.give_up_after:
            outcome = DeliveryStatus.FAILED
            changed = mine.update(status=outcome, **common)
        else:
            outcome = DeliveryStatus.PENDING
            changed = mine.update(next_attempt_at=now + backoff(attempt), **common)
    if not changed:
        logger.warning("Webhook delivery %s was claimed again before attempt %d ended", delivery.pk, attempt)
    elif outcome == DeliveryStatus.FAILED:
        logger.warning("Webhook delivery %s failed after %d attempts: %s", delivery.pk, attempt, answer.error)
    return outcome


def deliveries_send_due(
    *, worker_id: str | None = None, limit: int = 200, budget: timedelta = timedelta(minutes=2)
) -> SendReport:
    """Send what is due, one delivery at a time, until none is due, ``limit`` are sent or ``budget`` is spent.

    A receiver that fails is left alone for the rest of the run, so that one dead server does not hold up the
    others behind its timeouts.
    """
    worker = worker_id or recovery.worker_id_for_process()
    report = SendReport()
    report.reclaimed = _release_lost_claims(timezone.now())
    stop_at = time.monotonic() + budget.total_seconds()
    failing: set[int] = set()
    while len(report.sent_ids) < limit and time.monotonic() < stop_at:
        delivery = _claim(worker, timezone.now(), failing)
        if delivery is None:
            break
        started, clock = timezone.now(), time.monotonic()
        answer = _post(delivery, attempt=delivery.attempts)
        ms = int((time.monotonic() - clock) * 1000)
        outcome = _settle(delivery, worker=worker, attempt=delivery.attempts, started=started, ms=ms, answer=answer)
        report.sent_ids.append(str(delivery.pk))
        if outcome == DeliveryStatus.DELIVERED:
            report.delivered += 1
        else:
            failing.add(delivery.subscription_id)
            if outcome == DeliveryStatus.FAILED:
                report.failed += 1
            else:
                report.retrying += 1
    return report


def deliveries_prune(*, now: datetime | None = None) -> int:
    """Remove deliveries delivered or failed more than LIAISON_WEBHOOK_KEEP_DAYS ago, with their attempts."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.LIAISON_WEBHOOK_KEEP_DAYS)
    old = Delivery.objects.filter(
        status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED], created_at__lt=cutoff
    ).exclude(status=DeliveryStatus.DELIVERED, delivered_at__gte=cutoff)
    _deleted, by_model = old.delete()
    return by_model.get(Delivery._meta.label, 0)
