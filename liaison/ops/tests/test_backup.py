"""``liaison backup`` and ``liaison restore``: an archive restored into a new, empty install gives back every row,
every file and an intact audit trail; a damaged archive, a target holding data and a foreign engine are refused.

The backup runs in the test process against the test database (whichever engine the suite runs on); every
restore runs as its own ``liaison`` process against a database of its own, as an operator would run it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from conftest import make_cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Attachment, Case
from liaison.cases.services import case_add_attachment, case_add_note, case_open
from liaison.correspondence import services as letters
from liaison.correspondence.models import Letter
from liaison.lib.pdf import pdf_available
from liaison.ops.backup import BackupError, pg_binary, pg_major

REPO = Path(__file__).resolve().parents[3]
ON_POSTGRES = connection.vendor == "postgresql"

# pg_dump reads committed rows through its own connection, so these tests commit theirs.
pytestmark = pytest.mark.django_db(transaction=True)


def _pg_tools_missing() -> str:
    if not ON_POSTGRES:
        return ""
    connection.ensure_connection()
    try:
        pg_binary("pg_dump", pg_major(connection))
        pg_binary("pg_restore", pg_major(connection))
    except BackupError as exc:
        return str(exc)
    return ""


@pytest.fixture(autouse=True)
def pg_tools(transactional_db: None) -> None:
    missing = _pg_tools_missing()
    if missing:
        pytest.skip(f"PostgreSQL client programs of the server's version are needed: {missing}")


# -- The install being backed up ------------------------------------------------------------------------------


@dataclass
class World:
    media: Path
    attachment: Attachment
    letter: Letter


@pytest.fixture
def world(transactional_db: None, sqlite_flushable_audit: object, settings: Any, tmp_path: Path) -> World:
    """Two hospitals and their staff, two cases with notes, an uploaded file and a signed letter, all committed."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    cast = make_cast()
    cases = [
        case_open(
            acting_user=cast.officer,
            site=cast.rgh,
            case_type="complaint",
            channel="letter",
            owner=cast.officer,
            patient_name=f"Nora Backuptest {n}",
            patient_email=f"nora{n}@example.com",
            patient_address="3 Quay Street\nMillbridge",
            account="The ward did not tell us about the transfer.",
            issues=[{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Not explained"}],
        )
        for n in range(2)
    ]
    for case in cases:
        case_add_note(acting_user=cast.officer, case=case, kind="call", summary="Called back", duration_minutes=5)
    attachment = case_add_attachment(
        acting_user=cast.officer,
        case=cases[0],
        upload=SimpleUploadedFile("statement.txt", b"The patient's own account, typed up.\n" * 50),
    )
    letter = letters.letter_draft(acting_user=cast.officer, case=cases[0], kind="acknowledgement")
    if pdf_available():
        letter = letters.letter_submit(acting_user=cast.officer, letter=letter)
        letter = letters.letter_sign(acting_user=cast.manager, letter=letter)
    else:  # without Pango no PDF can be rendered; the letter's file is still a file in letters/ to carry over
        letter.pdf.save("RGH-acknowledgement.pdf", ContentFile(b"%PDF-1.7 stand-in for a signed letter\n"))
    assert letter.pdf.name.startswith("letters/")
    return World(media=media, attachment=attachment, letter=letter)


def backup(tmp_path: Path, name: str = "liaison.tar.gz") -> Path:
    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path / name), stdout=out)
    assert "Backup written to" in out.getvalue()
    return tmp_path / name


# -- Reading state back, independently of the code under test -------------------------------------------------------


def sha256_of_files(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def source_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
        return counts


def pg_connect(dbname: str = "postgres") -> psycopg.Connection[Any]:
    """A connection to the test server as the suite's user (to create, read and drop the restore's database)."""
    params = connection.settings_dict
    return psycopg.connect(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=params["USER"] or "postgres",
        password=params["PASSWORD"] or None,
        dbname=dbname,
        autocommit=True,
    )


@dataclass
class Target:
    """A new, empty install: its own database and data folder (and so its own, empty, files folder)."""

    url: str
    data_dir: Path
    name: str

    @property
    def media(self) -> Path:
        return self.data_dir / "files"

    def counts(self) -> dict[str, int]:
        if self.url.startswith("postgres"):
            with pg_connect(self.name) as conn:
                tables = [
                    row[0]
                    for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
                ]
                return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}  # type: ignore[index]
        path = Path(self.name)
        if not path.exists():
            return {}
        with sqlite3.connect(path) as conn:
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'"
                ).fetchall()
            ]
            return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}

    def liaison(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LIAISON_", "DJANGO_", "DATABASE_URL"))}
        env.update({"LIAISON_DEBUG": "1", "LIAISON_DATA_DIR": str(self.data_dir), "DATABASE_URL": self.url})
        return subprocess.run(
            [sys.executable, "-m", "liaison.cli", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )


def _sqlite_target(tmp_path: Path) -> Target:
    data_dir = tmp_path / "restored"
    data_dir.mkdir()
    path = data_dir / "liaison.sqlite3"
    return Target(url=f"sqlite:///{path}", data_dir=data_dir, name=str(path))


@pytest.fixture
def empty_target(tmp_path: Path) -> Iterator[Target]:
    """A new empty database of the suite's engine (PostgreSQL: created on the same server, dropped afterwards)."""
    if not ON_POSTGRES:
        yield _sqlite_target(tmp_path)
        return
    name = f"liaison_bk_restore_{secrets.token_hex(4)}"
    data_dir = tmp_path / "restored"
    data_dir.mkdir()
    with pg_connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    params = connection.settings_dict
    auth = (
        f"{params['USER'] or 'postgres'}:{params['PASSWORD']}" if params["PASSWORD"] else params["USER"] or "postgres"
    )
    url = f"postgres://{auth}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{name}"
    try:
        yield Target(url=url, data_dir=data_dir, name=name)
    finally:
        with pg_connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


# -- The archive --------------------------------------------------------------------------------------------------


def test_the_archive_holds_the_database_every_file_and_a_manifest_that_vouches_for_them(
    world: World, tmp_path: Path
) -> None:
    archive = backup(tmp_path)
    assert archive.stat().st_mode & 0o777 == 0o600  # patient data: readable by its owner only
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []

    contents = members(archive)
    manifest = json.loads(contents.pop("manifest.json"))
    dump = "database/liaison.pgdump" if ON_POSTGRES else "database/liaison.sqlite3"
    files = sha256_of_files(world.media)
    assert set(contents) == {dump} | {f"files/default/{name}" for name in files}
    assert f"files/default/{world.attachment.file.name}" in contents
    assert f"files/default/{world.letter.pdf.name}" in contents
    for name, data in contents.items():
        assert manifest["members"][name] == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert contents[dump].startswith(b"PGDMP" if ON_POSTGRES else b"SQLite format 3\x00")

    assert manifest["database"]["engine"] == connection.vendor
    assert manifest["tables"] == source_counts()
    head = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").first()
    assert head is not None
    assert manifest["audit"] == {
        "events": AuditEvent.objects.count(),
        "head": {"id": head.pk, "seq": head.seq, "hash": head.hash},
    }
    assert "audit.0002_append_only_triggers" in manifest["migrations"]
    assert manifest["storages"]["default"]["files"] == len(files)

    out = io.StringIO()
    call_command("restore", "--check", str(archive), stdout=out)
    assert "every SHA-256 matches the manifest" in out.getvalue()


# -- Restore --------------------------------------------------------------------------------------------------------


def test_restore_into_a_new_empty_install_gives_back_every_row_every_file_and_the_audit_trail(
    world: World, tmp_path: Path, empty_target: Target
) -> None:
    archive = backup(tmp_path)
    expected_counts = source_counts()
    expected_files = sha256_of_files(world.media)
    events = AuditEvent.objects.count()

    restored = empty_target.liaison("restore", str(archive))

    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Restore complete: every check passed." in restored.stdout
    assert f"Audit trail intact: {events:,} events verified" in restored.stdout
    assert empty_target.counts() == expected_counts
    assert Case.objects.count() == expected_counts[Case._meta.db_table] == 2
    assert sha256_of_files(empty_target.media) == expected_files
    assert expected_files[world.letter.pdf.name] == world.letter.pdf_sha256 or not pdf_available()
    assert expected_files[world.attachment.file.name] == world.attachment.sha256

    verified = empty_target.liaison("audit", "verify", "--no-checkpoint")
    assert verified.returncode == 0, verified.stderr
    assert f"Audit trail intact: {events} events verified." in verified.stdout


def test_a_tampered_archive_is_refused_naming_the_member_and_nothing_is_restored(
    world: World, tmp_path: Path, empty_target: Target
) -> None:
    archive = backup(tmp_path)
    tampered = tmp_path / "tampered.tar.gz"
    altered = f"files/default/{world.attachment.file.name}"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == altered:
                data = data.replace(b"own account", b"OWN ACCOUNT")  # same size, other bytes
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))

    refused = empty_target.liaison("restore", str(tampered))

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"member '{altered}' does not match its SHA-256 in the manifest" in refused.stderr
    assert "nothing was restored" in refused.stderr
    assert empty_target.counts() == {}
    assert not empty_target.media.exists() or sha256_of_files(empty_target.media) == {}

    with pytest.raises(CommandError, match="does not match its SHA-256") as checked:
        call_command("restore", "--check", str(tampered), stdout=io.StringIO())
    assert checked.value.returncode == 2 and altered in str(checked.value)


def test_restore_into_a_database_that_holds_data_is_refused_and_changes_nothing(world: World, tmp_path: Path) -> None:
    archive = backup(tmp_path)
    before_rows, before_files = source_counts(), sha256_of_files(world.media)

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), stdout=io.StringIO())

    assert refused.value.returncode == 2
    message = str(refused.value)
    assert "Nothing was restored" in message
    assert "the target database already holds data (7 users, 2 cases," in message
    assert "already holds files" in message
    assert source_counts() == before_rows
    assert sha256_of_files(world.media) == before_files


@pytest.mark.skipif(not ON_POSTGRES, reason="needs a PostgreSQL backup; runs in the PostgreSQL suite")
def test_a_postgresql_backup_is_not_restored_into_sqlite(world: World, tmp_path: Path) -> None:
    archive = backup(tmp_path)
    target = _sqlite_target(tmp_path)

    refused = target.liaison("restore", str(archive))

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "restoring across database engines is not supported" in refused.stderr
    assert not Path(target.name).exists()
    assert not target.media.exists()
