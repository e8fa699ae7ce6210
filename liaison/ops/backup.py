"""Backing up a whole Liaison install into one archive, and rebuilding an empty install from it.

The archive is a tar file (gzip-compressed when its name ends in ``.gz`` or ``.tgz``) holding, in order:

- ``database/liaison.pgdump`` (``pg_dump`` custom format) or ``database/liaison.sqlite3`` (a copy made with
  SQLite's online backup API, so a busy database still gives a consistent file);
- ``files/<storage>/<name>``: every file of every configured storage but the static files (letters, attachments,
  evidence, raw inbound mail all live in the ``default`` storage);
- ``manifest.json``, last, because it holds the SHA-256 and size of every other member, the row count of every
  table, the applied migrations, the engine and the audit chain's head.

The manifest describes exactly the database that was dumped, not the one a moment later: on PostgreSQL the
counts and the head are read inside the snapshot that ``pg_dump`` dumps (exported from a repeatable-read
transaction), on SQLite from the copy itself. A restore can then insist that every count and the head match.

Nothing is held in memory whole: the dump goes to a temporary file beside the archive, and every member is
hashed while it is copied into (or out of) the archive.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader

from liaison.accounts.models import User
from liaison.audit.chain import TrailReport, verify_trail
from liaison.audit.models import AuditEvent
from liaison.audit.sealing import seal_pending
from liaison.cases.models import Case

FORMAT = "liaison-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PG_MEMBER = "database/liaison.pgdump"
SQLITE_MEMBER = "database/liaison.sqlite3"
FILES_PREFIX = "files/"
CHUNK = 1024 * 1024
MANIFEST_LIMIT = 256 * 1024 * 1024  # about 150 bytes a file: a million files is 150 MB; more is not ours
SKIPPED_STORAGES = {"staticfiles"}  # rebuilt by collectstatic from the installed package
# Where each PostgreSQL major version's client programs live: Debian/Ubuntu, then RHEL's PGDG packages.
PG_BIN_DIRS = ("/usr/lib/postgresql/{major}/bin", "/usr/pgsql-{major}/bin")
# Connection options that libpq also reads from the environment, so pg_dump connects as Django does.
PG_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "options": "PGOPTIONS",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message tells an operator why, without any patient data."""


# -- What a database holds --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseState:
    """What the manifest records about a database: enough to tell whether a restore brought all of it back."""

    tables: dict[str, int]  # every table's row count
    migrations: list[str]  # applied migrations, "app.name", in the order they were applied
    audit_events: int
    audit_head: dict[str, Any] | None  # {"id", "seq", "hash"} of the newest sealed audit event

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def _read_state(cursor: Any, connection: BaseDatabaseWrapper) -> DatabaseState:
    """Count every table and read the migrations and the audit head through a DB-API cursor.

    The cursor may be a raw one (the PostgreSQL snapshot, the SQLite copy): Django's introspection only
    executes SQL on it, so the table list means the same on both sides of a restore.
    """
    quote = connection.ops.quote_name
    tables: dict[str, int] = {}
    for table in connection.introspection.table_names(cursor):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608  (a quoted name read from the catalogue)
        tables[table] = int(cursor.fetchone()[0])
    migrations: list[str] = []
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
    audit_table = AuditEvent._meta.db_table
    head: dict[str, Any] | None = None
    if tables.get(audit_table):
        cursor.execute(
            f"SELECT id, seq, hash FROM {quote(audit_table)} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"  # noqa: S608
        )
        row = cursor.fetchone()
        head = {"id": int(row[0]), "seq": int(row[1]), "hash": str(row[2])} if row else None
    return DatabaseState(tables, migrations, tables.get(audit_table, 0), head)


def database_state(connection: BaseDatabaseWrapper = default_connection) -> DatabaseState:
    """The same record, read from a live database (after a restore, to compare with the manifest)."""
    with connection.cursor() as cursor:
        return _read_state(cursor, connection)


# -- PostgreSQL ---------------------------------------------------------------------------------------------------


def pg_major(connection: BaseDatabaseWrapper) -> int:
    """The server's major version: 150020 → 15 (PostgreSQL 10 and later number majors by their first part)."""
    version = int(connection.pg_version)  # type: ignore[attr-defined]
    return version // 10000 if version >= 100000 else version // 100


def _tool_major(path: Path) -> int | None:
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30, check=True).stdout  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else None


def pg_binary(name: str, major: int) -> Path:
    """``pg_dump`` or ``pg_restore`` of the server's own major version.

    An older pg_dump cannot dump a newer server, and a newer one writes archives (and ``SET`` lines) that an
    older pg_restore or server may refuse; the same major on both sides always works.
    """
    for pattern in PG_BIN_DIRS:
        candidate = Path(pattern.format(major=major)) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    on_path = shutil.which(name)
    if on_path and _tool_major(Path(on_path)) == major:
        return Path(on_path)
    places = ", ".join(pattern.format(major=major) for pattern in PG_BIN_DIRS)
    raise BackupError(
        f"{name} for PostgreSQL {major} was not found (looked in {places} "
        f"and on PATH). Install the client programs of the server's version, e.g. "
        f"'apt-get install postgresql-client-{major}'."
    )


def _pg_env(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """The environment that makes pg_dump/pg_restore connect where and as Django does (the password never on argv)."""
    settings_dict = connection.settings_dict
    env = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    for option, variable in PG_OPTION_ENV.items():
        value = (settings_dict.get("OPTIONS") or {}).get(option)
        if value not in (None, ""):
            env[variable] = str(value)
    return env


def _run(command: list[str], *, env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        # pg_dump and pg_restore name objects, never row contents, so their messages are safe to show.
        detail = (result.stderr or result.stdout).strip()[-2000:]
        raise BackupError(f"{what} failed (exit status {result.returncode}):\n{detail}")


def _dump_postgresql(connection: BaseDatabaseWrapper, dest: Path) -> tuple[DatabaseState, dict[str, Any]]:
    """Dump in custom format, counting the rows in the very snapshot that is dumped."""
    connection.ensure_connection()
    major = pg_major(connection)
    pg_dump = pg_binary("pg_dump", major)
    # A connection of its own: the snapshot's transaction must not be Django's (which may be in autocommit).
    database: Any = connection.Database  # type: ignore[attr-defined]
    raw = database.connect(**connection.get_connection_params())
    try:
        cursor = raw.cursor()
        # The first statement of the transaction: the snapshot, shared with pg_dump, stays fixed until it ends.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, server_version = cursor.fetchone()
        state = _read_state(cursor, connection)
        _run(
            [
                str(pg_dump),
                "--format=custom",
                f"--snapshot={snapshot}",
                "--lock-wait-timeout=60000",  # never queue for ever behind a migration's lock
                "--no-password",
                f"--file={dest}",
                f"--dbname={connection.settings_dict['NAME']}",
            ],
            env=_pg_env(connection),
            what="pg_dump",
        )
        raw.rollback()
    finally:
        raw.close()
    info = {"server_version": str(server_version), "tool": str(pg_dump), "format": "pg_dump custom"}
    return state, info


def _restore_postgresql(connection: BaseDatabaseWrapper, dump: Path, *, had_tables: bool) -> None:
    """Load the dump in one transaction: if anything fails, the target is as it was."""
    pg_restore = pg_binary("pg_restore", pg_major(connection))
    command = [
        str(pg_restore),
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",  # objects belong to the role Liaison connects as here, whoever owned them there
        "--no-privileges",
        "--no-password",
        f"--dbname={connection.settings_dict['NAME']}",
    ]
    if had_tables:
        # A freshly migrated, empty install: replace its (empty) tables with the dumped ones.
        command += ["--clean", "--if-exists"]
    _run([*command, str(dump)], env=_pg_env(connection), what="pg_restore")


# -- SQLite -------------------------------------------------------------------------------------------------------


def _dump_sqlite(connection: BaseDatabaseWrapper, dest: Path) -> tuple[DatabaseState, dict[str, Any]]:
    connection.ensure_connection()
    source = connection.connection
    copy = sqlite3.connect(dest)
    try:
        source.backup(copy)  # page by page, under SQLite's own locking: a consistent copy of a live database
        # One self-contained file: the copy must not need a -wal file beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        state = _read_state(copy.cursor(), connection)
    finally:
        copy.close()
    info = {"server_version": sqlite3.sqlite_version, "tool": "sqlite3 backup API", "format": "sqlite3 database file"}
    return state, info


def sqlite_path(connection: BaseDatabaseWrapper) -> Path:
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(
            "The target SQLite database must be a file (DATABASE_URL=sqlite:////path/to/liaison.sqlite3)."
        )
    return Path(name)


def _restore_sqlite(connection: BaseDatabaseWrapper, copy: Path) -> None:
    """Overwrite the target file's pages with the copy's, in one step (one write transaction on the target)."""
    target = sqlite_path(connection)
    connection.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(copy)
    destination = sqlite3.connect(target, timeout=20)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


# -- Files --------------------------------------------------------------------------------------------------------


def storage_aliases() -> list[str]:
    """Every configured storage that holds Liaison's own files (all but the static files)."""
    return sorted(alias for alias in storages.backends if alias not in SKIPPED_STORAGES)


def storage_files(storage: Storage, top: str = "") -> Iterator[str]:
    """Every file name in a storage, depth first; through the storage API, so S3 is walked like a folder."""
    try:
        folders, files = storage.listdir(top)
    except FileNotFoundError:
        return  # a storage folder that was never created holds nothing
    for name in sorted(files):
        yield f"{top}/{name}" if top else name
    for folder in sorted(folders):
        yield from storage_files(storage, f"{top}/{folder}" if top else folder)


def _storage_where(storage: Storage) -> str:
    location = getattr(storage, "location", "") or getattr(storage, "bucket_name", "")
    return f" ({location})" if location else ""


# -- Streaming with a hash ----------------------------------------------------------------------------------------


class _HashingReader:
    """Hands tarfile (or a copy loop) the bytes of a stream, hashing them on the way."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data


def _copy_hashing(source: IO[bytes], target: IO[bytes]) -> tuple[str, int]:
    reader = _HashingReader(source)
    while chunk := reader.read(CHUNK):
        target.write(chunk)
    return reader.sha256.hexdigest(), reader.size


def _hash_stream(source: IO[bytes]) -> tuple[str, int]:
    reader = _HashingReader(source)
    while reader.read(CHUNK):
        pass
    return reader.sha256.hexdigest(), reader.size


def _add_member(tar: tarfile.TarFile, name: str, source: IO[bytes], size: int, mtime: float) -> dict[str, Any]:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o600
    reader = _HashingReader(source)
    tar.addfile(info, reader)  # tarfile only ever calls read()
    return {"sha256": reader.sha256.hexdigest(), "size": reader.size}


# -- Backup -------------------------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    size: int
    manifest: dict[str, Any]
    missing: list[str] = field(default_factory=list)  # files listed by a storage that were gone when read


def liaison_version() -> str:
    try:
        return metadata.version("liaison")
    except metadata.PackageNotFoundError:
        return "unknown"


def default_output(directory: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return directory / f"liaison-backup-{stamp}.tar.gz"


def _compressed(path: Path) -> bool:
    return path.name.endswith((".gz", ".tgz"))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _add_storages(tar: tarfile.TarFile, members: dict[str, Any], missing: list[str]) -> dict[str, dict[str, int]]:
    """Copy every stored file into the archive; return how many files and bytes each storage gave."""
    stored: dict[str, dict[str, int]] = {}
    for alias in storage_aliases():
        storage = storages[alias]
        count = total = 0
        for name in storage_files(storage):
            arcname = f"{FILES_PREFIX}{alias}/{name}"
            try:
                size = storage.size(name)
                try:
                    mtime = storage.get_modified_time(name).timestamp()
                except NotImplementedError:
                    mtime = datetime.now(UTC).timestamp()
                with storage.open(name, "rb") as handle:
                    members[arcname] = _add_member(tar, arcname, handle, size, mtime)
            except FileNotFoundError:
                # Deleted between listing and reading (a retention purge, after the database snapshot was
                # taken): say so rather than fail the night's backup.
                missing.append(arcname)
                continue
            count += 1
            total += members[arcname]["size"]
        stored[alias] = {"files": count, "bytes": total}
    return stored


def _write_archive(
    tar: tarfile.TarFile, connection: BaseDatabaseWrapper, dump_path: Path, missing: list[str]
) -> dict[str, Any]:
    """The database first, then the files, then the manifest that vouches for them; returns the manifest."""
    members: dict[str, Any] = {}
    if connection.vendor == "postgresql":
        member, (state, info) = PG_MEMBER, _dump_postgresql(connection, dump_path)
    else:
        member, (state, info) = SQLITE_MEMBER, _dump_sqlite(connection, dump_path)
    stat = dump_path.stat()
    with dump_path.open("rb") as dump:
        members[member] = _add_member(tar, member, dump, stat.st_size, stat.st_mtime)
    dump_path.unlink()
    stored = _add_storages(tar, members, missing)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "liaison_version": liaison_version(),
        "database": {"engine": connection.vendor, "member": member, **info},
        "migrations": state.migrations,
        "tables": state.tables,
        "rows": state.rows,
        "audit": {"events": state.audit_events, "head": state.audit_head},
        "storages": stored,
        "members": members,
    }
    body = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
    _add_member(tar, MANIFEST, io.BytesIO(body), len(body), datetime.now(UTC).timestamp())
    return manifest


def _tar_writer(output: Path, raw: IO[bytes]) -> tarfile.TarFile:
    if _compressed(output):
        # Level 6, not tarfile's 9: nearly as small, and several times faster on gigabytes of letters.
        return tarfile.open(str(output), "w:gz", fileobj=raw, format=tarfile.PAX_FORMAT, compresslevel=6)
    return tarfile.open(str(output), "w", fileobj=raw, format=tarfile.PAX_FORMAT)


def backup_write(*, output: Path, connection: BaseDatabaseWrapper = default_connection) -> BackupResult:
    """Write the archive to ``output`` atomically: a hidden temporary file in the same folder, renamed at the end.

    A backup that fails leaves nothing behind, and ``output`` is never a half-written archive.
    """
    output = output.resolve()
    if output.is_dir():
        output = default_output(output)
    folder = output.parent
    if not folder.is_dir():
        raise BackupError(f"The folder {folder} does not exist.")
    if connection.vendor not in {"postgresql", "sqlite"}:
        raise BackupError(f"Backing up a {connection.vendor} database is not supported (PostgreSQL or SQLite only).")
    for alias in storage_aliases():
        location = getattr(storages[alias], "location", None)
        if location and folder.is_relative_to(Path(location).resolve()):
            # The archive would be walked into itself while it is being written.
            raise BackupError(f"Write the backup outside the stored files ({location}).")
    # Events written since the worker last sealed are sealed now, so the archive's chain reaches them.
    seal_pending()
    fd, partial_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".partial", dir=folder)
    partial = Path(partial_name)
    dump_path = partial.with_suffix(".db")
    missing: list[str] = []
    try:
        os.fchmod(fd, 0o600)  # the archive holds patient data and credential hashes
        with os.fdopen(fd, "wb") as raw:
            with _tar_writer(output, raw) as tar:
                manifest = _write_archive(tar, connection, dump_path, missing)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, output)
        _fsync_dir(folder)
    except BaseException:
        partial.unlink(missing_ok=True)
        dump_path.unlink(missing_ok=True)
        raise
    return BackupResult(path=output, size=output.stat().st_size, manifest=manifest, missing=missing)


# -- Reading an archive back --------------------------------------------------------------------------------------


def _member_problem(member: tarfile.TarInfo) -> str:
    """Why a member may not be read from a Liaison archive ('' when it may)."""
    path = PurePosixPath(member.name)
    if not member.isfile():
        return f"member {member.name!r} is not a plain file"
    if path.is_absolute() or ".." in path.parts or member.name != path.as_posix():
        return f"member {member.name!r} has a path that points outside the archive"
    if member.name not in {MANIFEST, PG_MEMBER, SQLITE_MEMBER} and not (
        member.name.startswith(FILES_PREFIX) and len(path.parts) >= 3  # files/<alias>/<name...>
    ):
        return f"member {member.name!r} is not part of a Liaison backup"
    return ""


@dataclass(frozen=True)
class CheckedArchive:
    path: Path
    manifest: dict[str, Any]
    members: int
    size: int  # bytes of member data checked

    @property
    def engine(self) -> str:
        return str(self.manifest["database"]["engine"])


def _open_archive(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r|*")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} cannot be read as a backup archive ({exc}).") from exc


def _parse_manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise BackupError("The archive's manifest.json is not readable JSON: the archive is damaged.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("The archive's manifest.json is not a Liaison backup manifest.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"The archive is in backup format {manifest.get('format_version')!r}; this Liaison reads format "
            f"{FORMAT_VERSION}. Restore it with the Liaison version that made it ({manifest.get('liaison_version')})."
        )
    for key in ("database", "members", "tables", "audit", "storages", "migrations"):
        if key not in manifest:
            raise BackupError(f"The archive's manifest.json has no {key!r}: the archive is damaged.")
    engine_member = {"postgresql": PG_MEMBER, "sqlite": SQLITE_MEMBER}.get(manifest["database"].get("engine"))
    if engine_member is None or manifest["database"].get("member") != engine_member:
        raise BackupError("The archive's manifest.json names no database dump Liaison can load.")
    return manifest


def archive_check(path: Path) -> CheckedArchive:
    """Read every member once, hashing it, and compare it with the manifest; nothing is written anywhere.

    Raises ``BackupError`` naming each member that is missing, extra, or whose hash or size differs.
    """
    seen: dict[str, tuple[str, int]] = {}
    manifest_data: bytes | None = None
    problems: list[str] = []
    total = 0
    with _open_archive(path) as tar:
        try:
            for member in tar:
                problem = _member_problem(member)
                if problem:
                    problems.append(problem)
                    continue
                if member.name in seen or (member.name == MANIFEST and manifest_data is not None):
                    problems.append(f"member {member.name!r} appears more than once")
                    continue
                stream = tar.extractfile(member)
                assert stream is not None  # a plain file always has one
                if member.name == MANIFEST:
                    if member.size > MANIFEST_LIMIT:
                        raise BackupError("The archive's manifest.json is far too large to be a Liaison manifest.")
                    manifest_data = stream.read()
                    continue
                seen[member.name] = _hash_stream(stream)
                total += seen[member.name][1]
        except (OSError, EOFError, tarfile.TarError) as exc:
            raise BackupError(f"{path} is damaged: it cannot be read to the end ({exc}).") from exc
    if manifest_data is None:
        raise BackupError(f"{path} has no manifest.json: it is not a complete Liaison backup.")
    manifest = _parse_manifest(manifest_data)
    listed: dict[str, Any] = manifest["members"]
    for name in sorted(set(listed) | set(seen)):
        if name not in seen:
            problems.append(f"member {name!r} is listed in the manifest but missing from the archive")
        elif name not in listed:
            problems.append(f"member {name!r} is in the archive but not in the manifest")
        elif seen[name] != (listed[name].get("sha256"), listed[name].get("size")):
            problems.append(f"member {name!r} does not match its SHA-256 in the manifest (damaged or altered)")
    aliases = set(manifest["storages"])
    for name in sorted(listed):
        if name.startswith(FILES_PREFIX) and name[len(FILES_PREFIX) :].split("/", 1)[0] not in aliases:
            problems.append(f"member {name!r} belongs to no storage the manifest lists")
    database_member = manifest["database"].get("member")
    if database_member not in seen:
        problems.append(f"the database dump {database_member!r} is missing")
    for name in sorted(seen):
        if name.startswith("database/") and name != database_member:
            problems.append(f"member {name!r} is a second database dump")
    if problems:
        raise BackupError(f"{path} fails its integrity check, so nothing was restored:\n- " + "\n- ".join(problems))
    return CheckedArchive(path=path, manifest=manifest, members=len(seen) + 1, size=total)


# -- Restore ------------------------------------------------------------------------------------------------------


def _unknown_migrations(applied: list[str]) -> list[str]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = {f"{app}.{name}" for app, name in loader.disk_migrations}
    return [name for name in applied if name not in known]


def _sqlite_target_exists(connection: BaseDatabaseWrapper) -> bool:
    path = sqlite_path(connection)
    return path.exists() and path.stat().st_size > 0


def target_problems(archive: CheckedArchive, connection: BaseDatabaseWrapper = default_connection) -> list[str]:
    """Why this install may not be rebuilt from the archive (none: it may). It only reads."""
    problems: list[str] = []
    if archive.engine != connection.vendor:
        return [
            f"the backup holds a {archive.engine} database and this install uses {connection.vendor}: restoring "
            "across database engines is not supported. Point DATABASE_URL at an empty "
            f"{archive.engine} database and restore again."
        ]
    unknown = _unknown_migrations(list(archive.manifest["migrations"]))
    if unknown:
        problems.append(
            f"the backup was made by a newer Liaison ({archive.manifest.get('liaison_version')}): it has "
            f"{len(unknown)} migration(s) this version does not know, e.g. {', '.join(unknown[:3])}. "
            "Install the version that made it, then restore."
        )
    if connection.vendor == "sqlite":
        try:
            exists = _sqlite_target_exists(connection)
        except BackupError as exc:
            return [str(exc)]
    else:
        exists = True
    if exists:
        tables = set(connection.introspection.table_names())
        held = []
        for model, what in ((User, "user"), (Case, "case"), (AuditEvent, "audit event")):
            table = model._meta.db_table
            if table in tables:
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                    count = int(cursor.fetchone()[0])
                if count:
                    held.append(f"{count} {what}{'' if count == 1 else 's'}")
        if held:
            problems.append(
                f"the target database already holds data ({', '.join(held)}): restore only into an empty "
                "database, e.g. a new one created for the purpose"
            )
        extra = sorted(tables - set(archive.manifest["tables"]))
        if extra:
            problems.append(
                f"the target database has {len(extra)} table(s) the backup does not have "
                f"(e.g. {', '.join(extra[:3])}): restore into an empty database, or one migrated by the "
                "Liaison version that made the backup"
            )
    for alias in archive.manifest["storages"]:
        if alias not in storages.backends:
            problems.append(f"the backup has files of storage {alias!r}, which is not configured here (STORAGES)")
            continue
        storage = storages[alias]
        first = next(storage_files(storage), None)
        if first is not None:
            problems.append(
                f"the file storage {alias!r}{_storage_where(storage)} already holds files: restore into an empty one"
            )
    return problems


@dataclass
class RestoreReport:
    archive: CheckedArchive
    state: DatabaseState | None = None
    trail: TrailReport | None = None
    files: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)
    pending_migrations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _work_dir() -> Path:
    """Where the dump is unpacked before loading: the data folder (sized for the database), else the temp folder."""
    data_dir = getattr(settings, "DATA_DIR", None)
    if data_dir and Path(data_dir).is_dir() and os.access(data_dir, os.W_OK):
        return Path(data_dir)
    return Path(tempfile.gettempdir())


def _restore_members(archive: CheckedArchive, connection: BaseDatabaseWrapper, report: RestoreReport) -> None:
    """Second pass: load the database, then put each file in its storage; every member is hashed again first."""
    listed: dict[str, Any] = archive.manifest["members"]
    database_member = archive.manifest["database"]["member"]
    had_tables = connection.vendor == "postgresql" and bool(connection.introspection.table_names())
    with (
        tempfile.TemporaryDirectory(prefix=".liaison-restore-", dir=_work_dir()) as work,
        _open_archive(archive.path) as tar,
    ):
        for member in tar:
            if member.name == MANIFEST or _member_problem(member):
                continue
            stream = tar.extractfile(member)
            assert stream is not None
            expected = listed.get(member.name)
            if expected is None:
                report.problems.append(f"member {member.name!r} appeared after the archive was checked; skipped")
                continue
            if member.name == database_member:
                dump = Path(work) / PurePosixPath(member.name).name
                with dump.open("wb") as out:
                    digest, size = _copy_hashing(stream, out)
                if (digest, size) != (expected["sha256"], expected["size"]):
                    raise BackupError(f"member {member.name!r} changed since it was checked; nothing was restored")
                try:
                    if connection.vendor == "postgresql":
                        _restore_postgresql(connection, dump, had_tables=had_tables)
                    else:
                        _restore_sqlite(connection, dump)
                except (BackupError, sqlite3.Error) as exc:
                    # pg_restore ran in one transaction, SQLite's backup in one step: the target is as it was.
                    raise BackupError(f"{exc}\nThe database was left as it was; no file was restored.") from exc
                dump.unlink()
                continue
            alias, name = member.name[len(FILES_PREFIX) :].split("/", 1)
            storage = storages[alias]
            with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK, dir=work) as spool:
                digest, size = _copy_hashing(stream, spool)
                if (digest, size) != (expected["sha256"], expected["size"]):
                    report.problems.append(f"file {member.name!r} changed since the archive was checked; not restored")
                    continue
                spool.seek(0)
                saved = storage.save(name, File(spool, name=name))
            if saved != name:
                report.problems.append(f"file {member.name!r} was stored as {saved!r}: the storage was not empty")
                continue
            report.files += 1
            report.bytes += size


def _compare(archive: CheckedArchive, connection: BaseDatabaseWrapper, report: RestoreReport) -> None:
    """Read the install back: every table's rows, the audit trail, every file's bytes."""
    manifest = archive.manifest
    state = database_state(connection)
    report.state = state
    expected: dict[str, int] = manifest["tables"]
    for table in sorted(set(expected) | set(state.tables)):
        if table not in state.tables:
            report.problems.append(f"table {table} is missing after the restore")
        elif table not in expected:
            report.problems.append(f"table {table} is not in the backup but is in the database")
        elif state.tables[table] != expected[table]:
            report.problems.append(
                f"table {table} has {state.tables[table]} rows; the backup recorded {expected[table]}"
            )
    trail = verify_trail()
    report.trail = trail
    for finding in trail.findings:
        report.problems.append(f"audit trail: {finding.text}")
    # The head as restored, before the check sealed any event the backup caught unsealed (those follow it).
    restored_head, recorded = state.audit_head, manifest["audit"]["head"]
    if trail.chain.ok and restored_head != recorded:
        report.problems.append(
            f"the audit trail's head after the restore ({_head_words(restored_head)}) is not the one the backup "
            f"recorded ({_head_words(recorded)})"
        )
    if trail.events + trail.unsealed != manifest["audit"]["events"]:
        report.problems.append(
            f"the audit trail holds {trail.events + trail.unsealed} events; "
            f"the backup recorded {manifest['audit']['events']}"
        )
    for name, expected_member in sorted(manifest["members"].items()):
        if not name.startswith(FILES_PREFIX):
            continue
        alias, stored_name = name[len(FILES_PREFIX) :].split("/", 1)
        try:
            with storages[alias].open(stored_name, "rb") as handle:
                digest, size = _hash_stream(handle)
        except FileNotFoundError:
            report.problems.append(f"file {name!r} is missing after the restore")
            continue
        if (digest, size) != (expected_member["sha256"], expected_member["size"]):
            report.problems.append(f"file {name!r} reads back different from its SHA-256 in the manifest")
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    report.pending_migrations = sorted(
        f"{app}.{name}" for app, name in loader.disk_migrations if (app, name) not in loader.applied_migrations
    )


def _head_words(head: dict[str, Any] | None) -> str:
    return f"event #{head['seq']}, id {head['id']}, hash {str(head['hash'])[:12]}…" if head else "no events"


def restore(
    *, path: Path, connection: BaseDatabaseWrapper = default_connection, checked: CheckedArchive | None = None
) -> RestoreReport:
    """Rebuild this (empty) install from an archive: check it whole, check the target, load, then read back.

    Refuses with ``BackupError`` (and changes nothing) when the archive fails its integrity check or the target
    is not an empty install of the same engine. Problems found after loading are in the report.
    """
    archive = checked or archive_check(path)
    problems = target_problems(archive, connection)
    if problems:
        raise BackupError("Nothing was restored:\n- " + "\n- ".join(problems))
    report = RestoreReport(archive=archive)
    _restore_members(archive, connection, report)
    _compare(archive, connection, report)
    return report
