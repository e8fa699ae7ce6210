"""The audit trail: one append-only, hash-chained table of who saw and changed what.

Each event's hash is SHA-256 over its canonical form plus the previous event's hash, so altering,
deleting or reordering any stored event breaks the chain from that point on (``liaison audit verify``).
UPDATE and DELETE are refused by database triggers (see the migrations). Cutting off the newest events, or
recomputing the chain after a change, is caught by the signed checkpoints kept outside the database
(``checkpoints.py``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(unique=True, help_text="Position in the hash chain, from 1 without gaps.")
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=True
    )
    actor_email = models.CharField(max_length=254, blank=True, help_text="The actor's email at the time.")
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def canonical(self) -> bytes:
        """The bytes that are hashed: every field but the hash, in a fixed order and format."""
        payload: dict[str, Any] = {
            "seq": self.seq,
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_email": self.actor_email,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "site_id": self.site_id,
            "ip_address": self.ip_address,
            "user_agent": self.user_agent,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()
