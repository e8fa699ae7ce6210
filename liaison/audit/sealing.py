"""Sealing the audit trail: giving committed events their places in the hash chain, in order.

Writers append events unsealed and never wait for each other (before, every audited page view and every case
creation queued on one lock for the length of its transaction). One sealer at a time, under a short lock,
reads the unsealed events other transactions have committed, oldest first, and gives each the next position,
the previous event's hash and its own hash. What an event says is fixed when it is written (the triggers
refuse any other change), so sealing later hashes exactly what was written.

Who seals: the worker every few seconds, and whatever reads the chain (``audit verify``, checkpoints,
backups, the audit log) first, so a reader never depends on the worker having run.
"""

from __future__ import annotations

from django.db import connection, transaction

from liaison.audit.models import GENESIS_HASH, AuditEvent

# Any constant works: it names the lock that lets one sealer at a time extend the chain on PostgreSQL.
SEAL_LOCK_KEY = 0x4C49_4149  # "LIAI"
SEAL_BATCH = 1000
SEAL_EVERY_SECONDS = 2.0


def _lock(*, wait: bool) -> bool:
    """Take the sealer's lock until the end of the current transaction; False if busy and not waiting."""
    if connection.vendor != "postgresql":
        # SQLite: the settings open every transaction with BEGIN IMMEDIATE, which already lets one writer in.
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
        row = cursor.fetchone()
        return bool(row and row[0])


def chain_head() -> tuple[int, str]:
    """The newest sealed event's position and hash (0 and the genesis hash when none is sealed)."""
    head = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()
    if head is None or head[0] is None:
        return 0, GENESIS_HASH
    return int(head[0]), str(head[1])


def _seal_batch() -> int:
    """Seal up to SEAL_BATCH of the oldest unsealed events, under the lock the caller holds."""
    batch = list(AuditEvent.objects.filter(seq__isnull=True).order_by("pk")[:SEAL_BATCH])
    if not batch:
        return 0
    seq, prev_hash = chain_head()
    for event in batch:
        seq += 1
        event.seq, event.prev_hash = seq, prev_hash
        event.hash = event.compute_hash()
        prev_hash = event.hash
    AuditEvent.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
    return len(batch)


def seal_pending(*, wait: bool = True) -> int:
    """Seal every unsealed event this connection can see; returns how many it sealed.

    With ``wait=False`` it gives up at once when another sealer is at work (that one will take these events
    too, or the next round will). Called inside a transaction, the lock is kept until that transaction ends,
    so nobody else extends the chain meanwhile (the generator relies on this).
    """
    sealed = 0
    while True:
        with transaction.atomic():
            if not _lock(wait=wait):
                return sealed
            count = _seal_batch()
        sealed += count
        if count < SEAL_BATCH:
            return sealed


def unsealed_count() -> int:
    return AuditEvent.objects.filter(seq__isnull=True).count()
