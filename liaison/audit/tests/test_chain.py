"""The audit trail is append-only and tamper-evident, on PostgreSQL and SQLite alike."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction

from liaison.audit.models import GENESIS_HASH, AuditEvent
from liaison.audit.sealing import seal_pending
from liaison.audit.services import audit_record


@pytest.fixture
def events(db: None) -> list[AuditEvent]:
    written = [
        audit_record(action="test.event", object_type="test.thing", object_id=i, details={"n": i, "note": "é"})
        for i in range(5)
    ]
    assert seal_pending() == 5
    return list(AuditEvent.objects.filter(pk__in=[e.pk for e in written]).order_by("seq"))


def tamper(sql: str, params: list[object]) -> None:
    """Change stored events as an attacker with database access would: with the triggers out of the way."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser can switch ordinary triggers off for the session, as a replication tool does.
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER audit_no_update")
            cursor.execute("DROP TRIGGER audit_no_delete")
            cursor.execute(sql, params)
            from liaison.audit import triggers

            triggers.create(connection)


def test_events_form_a_chain(events: list[AuditEvent]) -> None:
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    stored = AuditEvent.objects.get(seq=3)
    assert stored.compute_hash() == stored.hash


def test_verify_passes_on_an_intact_trail(events: list[AuditEvent], capsys: pytest.CaptureFixture[str]) -> None:
    call_command("audit", "verify")
    assert "5 events verified" in capsys.readouterr().out


def test_update_is_refused_by_the_database(events: list[AuditEvent]) -> None:
    with pytest.raises((DatabaseError, IntegrityError), match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(action="test.rewritten")
    with (
        pytest.raises((DatabaseError, IntegrityError), match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET details = '{}' WHERE seq = 2")
    assert AuditEvent.objects.get(seq=2).action == "test.event"


def test_delete_is_refused_by_the_database(events: list[AuditEvent]) -> None:
    with pytest.raises((DatabaseError, IntegrityError), match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=4).delete()
    with (
        pytest.raises((DatabaseError, IntegrityError), match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 5


def test_verify_names_an_altered_event(events: list[AuditEvent]) -> None:
    target = AuditEvent.objects.get(seq=3)
    tamper("UPDATE audit_auditevent SET object_id = %s WHERE seq = %s", ["999", 3])
    with pytest.raises(CommandError) as error:
        call_command("audit", "verify")
    assert error.value.returncode == 1
    assert f"event #3 (id {target.pk})" in str(error.value)
    assert "altered" in str(error.value)


def test_verify_names_the_event_after_a_deleted_one(events: list[AuditEvent]) -> None:
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [2])
    with pytest.raises(CommandError) as error:
        call_command("audit", "verify")
    assert "event #3" in str(error.value) and "missing" in str(error.value)


def test_verify_catches_a_rehashed_event(events: list[AuditEvent]) -> None:
    # An attacker who recomputes the altered event's own hash still breaks the link to the next one.
    event = AuditEvent.objects.get(seq=2)
    event.details = {"n": 1, "note": "rewritten"}
    tamper(
        "UPDATE audit_auditevent SET details = %s, hash = %s WHERE seq = 2",
        ['{"n": 1, "note": "rewritten"}', event.compute_hash()],
    )
    with pytest.raises(CommandError) as error:
        call_command("audit", "verify")
    assert "event #3" in str(error.value)
