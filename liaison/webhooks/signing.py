"""The signature on every delivery: HMAC-SHA256, keyed with the subscription's secret, over "<timestamp>.<body>"."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: str, body: str) -> str:
    """The hex digest sent as ``Liaison-Signature: v1=<digest>``."""
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
