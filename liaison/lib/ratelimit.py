"""Counting attempts in the database, so every web process sees the same limits."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone


def key_for(value: str) -> str:
    """A keyed hash: the same address gives the same key, and the address cannot be read back."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def client_key(request: HttpRequest) -> str:
    return key_for(request.META.get("REMOTE_ADDR") or "unknown")


def allow(kind: str, key: str, *, limit: int, window: timedelta) -> bool:
    """Record one attempt; False when ``limit`` attempts were already made within ``window``."""
    from liaison.public.models import PublicAttempt

    since = timezone.now() - window
    recent = PublicAttempt.objects.filter(kind=kind, key_hash=key, created_at__gte=since).count()
    if recent >= limit:
        return False
    PublicAttempt.objects.create(kind=kind, key_hash=key)
    return True


# Every limit counts within an hour or less; a day's attempts are kept for anyone looking into a flood.
KEEP_ATTEMPTS = timedelta(days=1)


def prune(*, older_than: timedelta = KEEP_ATTEMPTS) -> int:
    """Delete the attempts no limit counts any more (the worker does it hourly); returns how many."""
    from liaison.public.models import PublicAttempt

    deleted, _ = PublicAttempt.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
