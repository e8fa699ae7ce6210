"""Signed checkpoints outside the database catch what the hash chain alone cannot: a trail cut short, and an
event changed with every later hash recomputed. The tampering is done as someone with database rights would:
raw SQL with the append-only triggers switched off, on PostgreSQL and SQLite alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction

from liaison.audit import triggers
from liaison.audit.chain import verify_chain
from liaison.audit.checkpoints import checkpoint_append, checkpoint_sign
from liaison.audit.models import AuditEvent
from liaison.audit.sealing import seal_pending
from liaison.audit.services import audit_record
from liaison.audit.tasks import checkpoint as checkpoint_task
from liaison.lib import periodic
from liaison.lib.tests.test_settings import PRODUCTION_ENV

REPO = Path(__file__).resolve().parents[3]
DAY_ONE = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DAY_TWO = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def add_events(count: int) -> list[AuditEvent]:
    """Write events and seal them, as the worker would a moment later."""
    written = [
        audit_record(action="test.event", object_type="test.thing", object_id=i, details={"n": i, "note": "é"})
        for i in range(count)
    ]
    seal_pending()
    return list(AuditEvent.objects.filter(pk__in=[e.pk for e in written]).order_by("seq"))


def audit(*args: str) -> tuple[int, str]:
    """Run ``liaison audit ...`` as the command line does: (exit status, what it printed)."""
    out = StringIO()
    try:
        call_command("audit", *args, stdout=out)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def checkpoint_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        assert audit("checkpoint")[0] == 0


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(text) for text in path.read_text().splitlines() if text.strip()]


@contextmanager
def append_only_triggers_off() -> Iterator[Any]:
    """Switch the append-only triggers off with raw SQL, as a database administrator could; put them back after."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks of this test's own inserts must run before the table can be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {triggers.TABLE} DISABLE TRIGGER audit_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_no_update")
            cursor.execute("DROP TRIGGER audit_no_delete")
        try:
            yield cursor
        finally:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {triggers.TABLE} ENABLE TRIGGER audit_append_only")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                triggers.create(connection)
    # The triggers are back: the table refuses changes again.
    with pytest.raises((DatabaseError, IntegrityError), match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(action="test.again")


def delete_from(seq: int) -> None:
    with append_only_triggers_off() as cursor:
        cursor.execute(f"DELETE FROM {triggers.TABLE} WHERE seq >= %s", [seq])


def rewrite(seq: int, details: dict[str, Any]) -> None:
    """Change one event and recompute its hash and every later one with the project's own hash function."""
    events = list(AuditEvent.objects.filter(seq__gte=seq).order_by("seq"))
    prev_hash = AuditEvent.objects.get(seq=seq - 1).hash
    with append_only_triggers_off() as cursor:
        for event in events:
            if event.seq == seq:
                event.details = details
            event.prev_hash = prev_hash
            event.hash = event.compute_hash()
            cursor.execute(
                f"UPDATE {triggers.TABLE} SET details = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [json.dumps(event.details), event.prev_hash, event.hash, event.pk],
            )
            prev_hash = event.hash


@pytest.mark.django_db
def test_a_clean_trail_passes_says_there_are_no_checkpoints_yet_and_writes_the_first(checkpoint_path: Path) -> None:
    events = add_events(5)
    status, out = audit("verify")
    assert status == 0
    assert "Audit trail intact: 5 events verified." in out
    assert "No checkpoints yet" in out
    assert "Checkpoint written: event #5, 5 events." in out
    [line] = lines(checkpoint_path)
    assert (line["seq"], line["event_id"], line["hash"], line["count"]) == (5, events[-1].pk, events[-1].hash, 5)

    add_events(3)
    status, out = audit("verify")
    assert status == 0
    assert "1 signed checkpoint matches the trail" in out
    assert "3 events after the last checkpoint are verified by the chain only." in out
    assert [line["seq"] for line in lines(checkpoint_path)] == [5, 8]
    status, out = audit("verify", "--no-checkpoint")
    assert status == 0 and "Every event is covered by a signed checkpoint." in out
    assert len(lines(checkpoint_path)) == 2


@pytest.mark.django_db
def test_the_checkpoint_command_and_the_worker_job_sign_the_head(checkpoint_path: Path) -> None:
    assert audit("checkpoint") == (0, "The audit trail has no events yet: nothing to checkpoint.\n")
    add_events(3)
    with time_machine.travel(DAY_ONE, tick=False):
        status, out = audit("checkpoint")
    assert status == 0
    assert "event #3 (3 events" in out and "2026-12-01 02:00 UTC" in out
    newest = add_events(1)[0]
    assert checkpoint_task.call() == {"written": True, "seq": 4}
    assert lines(checkpoint_path)[-1]["hash"] == newest.hash
    # The worker enqueues it at least daily, without the reminders app knowing about the audit app.
    [job] = [job for job in periodic.registered() if job.task == "liaison.audit.tasks.checkpoint"]
    assert job.every <= timedelta(days=1)


@pytest.mark.django_db
def test_it_names_the_events_cut_off_the_end_of_the_trail(checkpoint_path: Path) -> None:
    add_events(6)
    checkpoint_at(DAY_ONE)
    add_events(4)
    checkpoint_at(DAY_TWO)
    delete_from(8)

    assert verify_chain().ok  # what verify used to check: the shortened chain still fits together
    status, message = audit("verify")
    assert status == 1
    assert message.startswith(
        "Audit trail broken: events #8–#10 are missing: the trail was cut after the checkpoint of "
        "2026-12-02 02:00 UTC, which signed event #10 as the newest."
    )
    assert len(lines(checkpoint_path)) == 2  # a broken trail is never signed
    status, message = audit("checkpoint")
    assert status == 1 and "No checkpoint written: the trail no longer matches its newest checkpoint" in message
    assert checkpoint_task.call() == {"written": False}
    assert len(lines(checkpoint_path)) == 2


@pytest.mark.django_db
def test_it_catches_a_cut_trail_that_new_events_have_grown_past_the_checkpoint() -> None:
    add_events(4)
    checkpoint_at(DAY_ONE)
    add_events(4)
    checkpoint_at(DAY_TWO)
    delete_from(6)
    add_events(5)  # the application carries on from #5, so #6–#10 exist again, with other contents

    assert verify_chain().ok
    status, message = audit("verify")
    assert status == 1
    assert "Audit trail broken: events #5–#8 are altered or replaced" in message
    assert "checkpoint of 2026-12-02 02:00 UTC" in message


@pytest.mark.django_db
def test_it_catches_an_event_changed_with_every_later_hash_recomputed() -> None:
    add_events(4)
    checkpoint_at(DAY_ONE)
    add_events(4)
    checkpoint_at(DAY_TWO)
    add_events(2)
    rewrite(6, {"n": 5, "note": "nothing to see here"})

    assert verify_chain().ok  # every hash and link fits again
    assert AuditEvent.objects.get(seq=6).details == {"n": 5, "note": "nothing to see here"}
    status, message = audit("verify")
    assert status == 1
    assert message.startswith(
        "Audit trail broken: events #5–#8 are altered or replaced: event #8 no longer has the hash signed by the "
        "checkpoint of 2026-12-02 02:00 UTC, so an event up to it was changed and the chain recomputed to hide it; "
        "the checkpoint of 2026-12-01 02:00 UTC for event #4 still matches."
    )
    assert "The hash chain itself fits together (10 events)." in message


@pytest.mark.django_db
def test_it_reports_forged_altered_and_unreadable_checkpoint_lines(checkpoint_path: Path) -> None:
    add_events(4)
    checkpoint_at(DAY_ONE)
    # An attacker rewrites event #3 and signs a checkpoint of the new head with a key of their own ...
    rewrite(3, {"n": 2, "note": "rewritten"})
    head = AuditEvent.objects.get(seq=4)
    forged = checkpoint_sign(seq=4, event_id=head.pk, head_hash=head.hash, count=4, written_at=DAY_TWO, key=b"x" * 32)
    checkpoint_append(forged)
    # ... edits the honest line to name the new hash, and leaves a torn line behind.
    honest, _ = checkpoint_path.read_text().splitlines()
    edited = {**json.loads(honest), "hash": head.hash}
    with checkpoint_path.open("a") as handle:
        handle.write(json.dumps(edited) + "\n" + '{"v": 1, "seq": 4, "ha\n')

    status, message = audit("verify")
    assert status == 1
    assert "Audit trail broken: events #1–#4 are altered or replaced" in message
    assert (
        "Also: the checkpoint on line 2 (dated 2026-12-02 02:00 UTC, naming event #4) has an invalid signature: "
        "it was forged or altered, or signed with another key." in message
    )
    assert (
        "Also: the checkpoint on line 3 (dated 2026-12-01 02:00 UTC, naming event #4) has an invalid signature: "
        "it was forged or altered." in message
    )
    assert "Also: line 4 is not a readable checkpoint." in message


@pytest.mark.django_db
def test_a_forged_checkpoint_alone_fails_the_check() -> None:
    events = add_events(3)
    checkpoint_at(DAY_ONE)
    last = events[-1]
    checkpoint_append(checkpoint_sign(seq=3, event_id=last.pk, head_hash=last.hash, count=3, key=b"y" * 32))
    status, message = audit("verify")
    assert status == 1
    assert message.startswith("Audit trail broken: the checkpoint on line 2 (dated ")
    assert "has an invalid signature" in message


@pytest.mark.django_db(transaction=True)
def test_the_liaison_command_exits_0_on_a_clean_trail_and_1_on_a_cut_one(
    sqlite_flushable_audit: object, tmp_path: Path
) -> None:
    add_events(5)
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LIAISON_", "DATABASE_URL"))},
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url,
        "LIAISON_AUDIT_CHECKPOINT_FILE": str(tmp_path / "checkpoints.jsonl"),
    }

    def liaison(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "liaison.cli", *args]
        return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)

    clean = liaison("audit", "verify")
    assert clean.returncode == 0, clean.stderr
    assert "5 events verified" in clean.stdout and "Checkpoint written: event #5" in clean.stdout
    delete_from(4)
    cut = liaison("audit", "verify")
    assert cut.returncode == 1
    assert "events #4–#5 are missing: the trail was cut after the checkpoint of" in cut.stderr


def run_settings_check(env_overrides: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("LIAISON_", "DJANGO_", "DATABASE_URL"))}
    # A production environment that starts (one list, kept with the settings tests), less the audit key.
    production = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("LIAISON_AUDIT_KEY")}
    env = {**keep, "LIAISON_DATA_DIR": str(tmp_path), **production, **env_overrides}
    code = "from django.conf import settings; print(len(settings.LIAISON_AUDIT_KEY))"
    return subprocess.run(
        [sys.executable, "-m", "liaison.cli", "manage", "shell", "--no-imports", "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_an_audit_key_and_reads_one_from_a_file(tmp_path: Path) -> None:
    refused = run_settings_check({}, tmp_path)
    assert refused.returncode != 0
    assert "LIAISON_AUDIT_KEY (or LIAISON_AUDIT_KEY_FILE) must be set in production" in refused.stderr
    key_file = tmp_path / "audit_key"
    key_file.write_text("k" * 40 + "\n")
    started = run_settings_check({"LIAISON_AUDIT_KEY_FILE": str(key_file)}, tmp_path)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "40"


def test_the_demo_keeps_a_generated_audit_key_in_its_data_folder(tmp_path: Path) -> None:
    first = run_settings_check({"LIAISON_DEMO": "1", "LIAISON_REQUIRE_MFA": "0"}, tmp_path)
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "audit_key").read_text()
    assert len(key) >= 32 and (tmp_path / "audit_key").stat().st_mode & 0o077 == 0
    again = run_settings_check({"LIAISON_DEMO": "1", "LIAISON_REQUIRE_MFA": "0"}, tmp_path)
    assert again.returncode == 0 and (tmp_path / "audit_key").read_text() == key


@pytest.mark.django_db
def test_it_says_plainly_when_the_checkpoint_file_cannot_be_written_or_read(settings: Any, tmp_path: Path) -> None:
    add_events(2)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.LIAISON_AUDIT_CHECKPOINT_FILE = blocker / "audit-checkpoints.jsonl"
    status, message = audit("checkpoint")
    assert status == 1
    assert message.startswith(f"No checkpoint written: the checkpoint file {blocker}/audit-checkpoints.jsonl cannot")
    err = StringIO()
    call_command("audit", "verify", stdout=StringIO(), stderr=err)  # the trail itself is intact: exit 0
    assert "Warning: no checkpoint written" in err.getvalue()

    settings.LIAISON_AUDIT_CHECKPOINT_FILE = tmp_path  # a folder: there, but not readable as a file
    status, message = audit("verify")
    assert status == 1
    assert f"the checkpoint file {tmp_path} cannot be read" in message
