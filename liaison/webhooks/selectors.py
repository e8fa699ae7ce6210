"""Reads for the webhooks pages: administrators only, each asked through :func:`subscription_for_admin`."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.webhooks.models import Delivery, DeliveryStatus, Subscription

RECENT_DELIVERIES = 50


def _require(user: User) -> None:
    if not can(user, Cap.WEBHOOKS_MANAGE):
        raise Http404


def subscriptions_for_admin(user: User) -> QuerySet[Subscription]:
    _require(user)
    return Subscription.objects.select_related("site").annotate(
        waiting=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    )


def subscription_for_admin(user: User, pk: int) -> Subscription:
    _require(user)
    try:
        return Subscription.objects.select_related("site", "created_by").get(pk=pk)
    except Subscription.DoesNotExist:
        raise Http404 from None


def recent_deliveries(subscription: Subscription, *, limit: int = RECENT_DELIVERIES) -> list[Delivery]:
    return list(Delivery.objects.filter(subscription=subscription).order_by("-created_at", "pk")[:limit])


def delivery_for_admin(user: User, pk: UUID | str) -> Delivery:
    _require(user)
    try:
        return Delivery.objects.select_related("subscription").prefetch_related("attempt_log").get(pk=pk)
    except (Delivery.DoesNotExist, ValueError):
        raise Http404 from None
