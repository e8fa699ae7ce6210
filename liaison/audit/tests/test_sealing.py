"""Events are written unsealed, without a lock, and sealed into the hash chain in order afterwards."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import GENESIS_HASH, AuditEvent
from liaison.audit.sealing import SEAL_BATCH, chain_head, seal_pending, unsealed_count
from liaison.audit.services import audit_record

ON_POSTGRES = connection.vendor == "postgresql"


def _write(n: int, action: str = "test.event") -> list[AuditEvent]:
    return [audit_record(action=action, object_type="test.thing", object_id=i, details={"n": i}) for i in range(n)]


def test_an_event_is_written_unsealed_and_sealing_gives_it_the_next_place(db: None) -> None:
    first, second = _write(2)
    stored = AuditEvent.objects.get(pk=first.pk)
    assert (stored.seq, stored.hash, stored.prev_hash, stored.sealed) == (None, None, "", False)
    assert unsealed_count() == 2

    assert seal_pending() == 2
    a, b = AuditEvent.objects.get(pk=first.pk), AuditEvent.objects.get(pk=second.pk)
    assert (a.seq, b.seq) == (1, 2)
    assert a.prev_hash == GENESIS_HASH and b.prev_hash == a.hash
    assert a.hash == a.compute_hash() and b.hash == b.compute_hash()
    assert chain_head() == (2, b.hash)
    assert unsealed_count() == 0 and seal_pending() == 0

    (third,) = _write(1)
    seal_pending()
    c = AuditEvent.objects.get(pk=third.pk)
    assert (c.seq, c.prev_hash) == (3, b.hash)


def test_more_than_a_batch_is_sealed_in_one_call_in_the_order_written(db: None) -> None:
    written = _write(SEAL_BATCH + 7)
    assert seal_pending() == SEAL_BATCH + 7
    seqs = list(AuditEvent.objects.filter(pk__in=[e.pk for e in written]).order_by("pk").values_list("seq", flat=True))
    assert seqs == list(range(1, SEAL_BATCH + 8))


def test_sealing_is_the_only_update_the_database_lets_through(db: None) -> None:
    (event,) = _write(1)
    # Changing what an unsealed event says is refused, with or without sealing it at the same time.
    with pytest.raises((DatabaseError, IntegrityError), match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="test.rewritten")
    with pytest.raises((DatabaseError, IntegrityError), match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(seq=1, hash="f" * 64, details={"n": 99})
    seal_pending()
    # A sealed event cannot be sealed again (moved, or given another hash).
    with pytest.raises((DatabaseError, IntegrityError), match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(seq=7, hash="e" * 64)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.seq, stored.action, stored.details) == (1, "test.event", {"n": 0})


def test_verify_seals_what_is_waiting_and_checks_it(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    _write(3)
    call_command("audit", "verify")
    assert "3 events verified" in capsys.readouterr().out
    assert unsealed_count() == 0


def test_the_audit_log_shows_the_newest_events_with_their_places(cast: Cast, as_user) -> None:
    audit_record(action="test.newest", actor=cast.manager, object_type="test.thing", object_id="1")
    page = as_user(cast.auditor).get(reverse("audit:search"), {"action": "test.newest"}).content.decode()
    event = AuditEvent.objects.get(action="test.newest")
    assert event.seq is not None  # the page sealed it before listing
    assert f"<td>{event.seq}</td>" in page and "not sealed yet" not in page


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite lets one writer in at a time whatever the trail does")
def test_writers_do_not_wait_for_a_long_transaction_and_the_chain_follows_commit_order(transactional_db: None) -> None:
    """A long transaction that has written an event (a case being created) holds nobody else up.

    Before, every event took one lock until its transaction ended, so a page view waited for any case
    creation in progress. Now the other writer commits at once, is sealed at once, and the long
    transaction's event is sealed after it, when it commits.
    """
    long_written = threading.Event()
    finish_long = threading.Event()
    ids: dict[str, int] = {}

    def long_transaction() -> None:
        try:
            with transaction.atomic():
                ids["long"] = audit_record(action="test.long").pk
                long_written.set()
                assert finish_long.wait(20)
        finally:
            connections.close_all()

    worker = threading.Thread(target=long_transaction)
    worker.start()
    try:
        assert long_written.wait(20)
        quick_done = threading.Event()

        def quick_writer() -> None:
            try:
                ids["quick"] = audit_record(action="test.quick").pk
                quick_done.set()
            finally:
                connections.close_all()

        quick = threading.Thread(target=quick_writer)
        quick.start()
        # With the old global lock this waited until the long transaction ended (never, here).
        assert quick_done.wait(10), "a writer waited for another transaction's audit event"
        quick.join()
        assert seal_pending() == 1  # only the committed event is visible to the sealer
        assert AuditEvent.objects.get(pk=ids["quick"]).seq == 1
        assert ids["long"] < ids["quick"]  # written first, committed last
    finally:
        finish_long.set()
        worker.join()
    assert seal_pending() == 1
    assert AuditEvent.objects.get(pk=ids["long"]).seq == 2
    assert AuditEvent.objects.get(pk=ids["long"]).prev_hash == AuditEvent.objects.get(pk=ids["quick"]).hash


@pytest.mark.skipif(not ON_POSTGRES, reason="the sealer's lock is a PostgreSQL advisory lock")
def test_a_second_sealer_that_would_wait_gives_way_and_a_later_round_seals_its_events(transactional_db: None) -> None:
    _write(2)
    holding, release = threading.Event(), threading.Event()

    def hold_the_sealer_lock() -> None:
        try:
            with transaction.atomic():
                seal_pending()  # takes the lock until this transaction ends
                holding.set()
                assert release.wait(20)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_sealer_lock)
    holder.start()
    try:
        assert holding.wait(20)
        _write(1)
        assert seal_pending(wait=False) == 0  # busy: it does not queue behind the other sealer
    finally:
        release.set()
        holder.join()
    assert seal_pending(wait=False) == 1
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3]


def test_the_seal_command_seals_what_is_waiting(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    written = _write(2)
    call_command("audit", "seal")
    assert "Sealed 2 events." in capsys.readouterr().out
    assert [AuditEvent.objects.get(pk=e.pk).seq for e in written] == [1, 2]
