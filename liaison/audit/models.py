"""The audit trail: one append-only, hash-chained table of who saw and changed what.

Each event's hash is SHA-256 over its canonical form plus the previous event's hash, so altering,
deleting or reordering any stored event breaks the chain from that point on (``liaison audit verify``).

An event is written *unsealed*: without its place in the chain, so that writers never wait for one another.
The sealer (``sealing.py``: the worker every few seconds, and anything that reads the chain first) gives the
committed unsealed events their positions in order, each with the hash of the one before. UPDATE and DELETE
are refused by database triggers (``triggers.py``), except that one sealing update. Cutting off the newest events, or
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
    seq = models.PositiveBigIntegerField(
        unique=True,
        null=True,
        blank=True,
        help_text="Position in the hash chain, from 1 without gaps; empty until sealed.",
    )
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
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    # Empty (NULL, which a unique column allows many of) until the event is sealed.
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # The sealer's queue: only the few events not sealed yet are in it.
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed_idx"),
        ]

    def __str__(self) -> str:
        place = f"#{self.seq}" if self.seq is not None else f"id {self.pk} (unsealed)"
        return f"{place} {self.action} {self.object_type}:{self.object_id}"

    @property
    def sealed(self) -> bool:
        return self.seq is not None

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
