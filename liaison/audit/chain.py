"""Checking the audit trail's hash chain."""

from __future__ import annotations

from dataclasses import dataclass

from liaison.audit.models import GENESIS_HASH, AuditEvent


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_chain(*, batch_size: int = 2000) -> ChainReport:
    """Recompute every hash in order; stop at the first event that does not fit the chain."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            return ChainReport(
                checked,
                event.seq,
                event.pk,
                f"expected event #{expected_seq} next, found #{event.seq}: events are missing",
            )
        if event.prev_hash != prev_hash:
            return ChainReport(checked, event.seq, event.pk, "its previous-hash does not match the event before it")
        if event.compute_hash() != event.hash:
            return ChainReport(checked, event.seq, event.pk, "its contents do not match its hash: it was altered")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    return ChainReport(checked)
