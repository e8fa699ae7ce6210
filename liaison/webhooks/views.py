"""The webhooks pages (administrators): list and register subscriptions, the secret shown once, pause, remove,
and each subscription's recent deliveries with their attempts; a failed delivery can be sent again."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from liaison.accounts.models import User
from liaison.lib.errors import ApplicationError
from liaison.webhooks import selectors, services
from liaison.webhooks.forms import SubscriptionForm
from liaison.webhooks.models import Attempt, Delivery, Event, Scope, Subscription

_EVENT_LABELS = dict(Event.choices)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _subscription_row(s: Subscription) -> dict[str, Any]:
    return {
        "pk": s.pk,
        "name": s.name,
        "url": s.url,
        "events": [_EVENT_LABELS.get(e, e) for e in s.events],
        "scope": Scope(s.scope).label if s.scope in Scope.values else s.scope,
        "site": s.site.name if s.site else "Every site",
        "active": s.is_active,
        "created_at": s.created_at,
        "disabled_at": s.disabled_at,
        "waiting": getattr(s, "waiting", None),
        "failed": getattr(s, "failed", None),
    }


def _delivery_row(d: Delivery) -> dict[str, Any]:
    return {
        "pk": d.pk,
        "event": _EVENT_LABELS.get(d.event, d.event),
        "status": d.status,
        "status_label": d.get_status_display(),
        "created_at": d.created_at,
        "attempts": d.attempts,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "next_attempt_at": d.next_attempt_at if d.status == "pending" else None,
        "delivered_at": d.delivered_at,
        "can_resend": d.status == "failed",
    }


def _list_page(
    request: HttpRequest, form: SubscriptionForm, *, made: services.NewSubscription | None = None, status: int = 200
) -> HttpResponse:
    rows = [_subscription_row(s) for s in selectors.subscriptions_for_admin(_user(request))]
    made_row = _subscription_row(made.subscription) if made else None
    return render(
        request,
        "webhooks/list.html",
        {"form": form, "subscriptions": rows, "made": made_row, "secret": made.secret if made else ""},
        status=status,
    )


def subscriptions(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    selectors.subscriptions_for_admin(user)  # 404 for anyone but an administrator, before any form is read
    if request.method != "POST":
        return _list_page(request, SubscriptionForm())
    form = SubscriptionForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    data = form.cleaned_data
    try:
        made = services.subscription_create(
            acting_user=user,
            name=data["name"],
            url=data["url"],
            events=data["events"],
            scope=data["scope"],
            site=data["site"],
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _list_page(request, form, status=400)
    # Shown in this answer only: never in a redirect, the session or a message that could be kept.
    return _list_page(request, SubscriptionForm(), made=made)


def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = selectors.subscription_for_admin(_user(request), pk)
    return render(
        request,
        "webhooks/detail.html",
        {
            "subscription": _subscription_row(subscription),
            "deliveries": [_delivery_row(d) for d in selectors.recent_deliveries(subscription)],
            "limit": selectors.RECENT_DELIVERIES,
        },
    )


@require_POST
def subscription_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    subscription = selectors.subscription_for_admin(user, pk)
    active = request.POST.get("active") == "1"
    services.subscription_set_active(acting_user=user, subscription=subscription, active=active)
    messages.success(
        request,
        f"“{subscription.name}” is on again: what waited is being sent."
        if active
        else f"“{subscription.name}” is paused: its deliveries wait until it is turned on again.",
    )
    return redirect("webhooks:detail", pk=subscription.pk)


def subscription_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    subscription = selectors.subscription_for_admin(user, pk)
    if request.method != "POST":
        return render(request, "webhooks/delete.html", {"subscription": _subscription_row(subscription)})
    name = subscription.name
    services.subscription_delete(acting_user=user, subscription=subscription)
    messages.success(request, f"The webhook “{name}” is removed; nothing more is sent to it.")
    return redirect("webhooks:list")


def _attempt_row(a: Attempt) -> dict[str, Any]:
    return {
        "number": a.number,
        "started_at": a.started_at,
        "duration_ms": a.duration_ms,
        "status_code": a.status_code,
        "response_body": a.response_body,
        "error": a.error,
    }


def delivery_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    delivery = selectors.delivery_for_admin(_user(request), pk)
    return render(
        request,
        "webhooks/delivery.html",
        {
            "delivery": _delivery_row(delivery),
            "subscription": _subscription_row(delivery.subscription),
            "body": delivery.body,
            "attempts": [_attempt_row(a) for a in delivery.attempt_log.all()],
        },
    )


@require_POST
def delivery_resend_view(request: HttpRequest, pk: UUID) -> HttpResponse:
    user = _user(request)
    delivery = selectors.delivery_for_admin(user, pk)
    try:
        services.delivery_resend(acting_user=user, delivery=delivery)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The delivery is queued to be sent again, with the same id.")
    return redirect("webhooks:delivery", pk=delivery.pk)
