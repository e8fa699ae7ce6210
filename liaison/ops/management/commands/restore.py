"""``liaison restore PATH``: rebuild an empty install from a backup, then prove it came back whole.

``liaison restore --check PATH`` only checks the archive against its manifest and changes nothing.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from liaison.ops.backup import BackupError, CheckedArchive, RestoreReport, archive_check, restore
from liaison.ops.management.commands.backup import megabytes

# 2: refused, nothing was changed (as for a usage error); 1: restored, but what was read back does not match.
REFUSED = 2
MISMATCH = 1


def _made(archive: CheckedArchive) -> str:
    manifest = archive.manifest
    database = manifest["database"]
    return (
        f"made {manifest.get('created_at', '?')} by Liaison {manifest.get('liaison_version', '?')} "
        f"from {database['engine']} {database.get('server_version', '')}".rstrip()
    )


class Command(BaseCommand):
    help = (
        "Rebuild an empty install (database and stored files) from an archive written by 'liaison backup'. "
        "Every member is checked against the manifest first; a target that already holds users, cases or "
        "audit events is refused. Afterwards every table's row count, every file and the audit trail are "
        "checked. Exit status: 0 restored and verified, 1 restored but a check failed, 2 refused (nothing changed)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="The archive written by 'liaison backup'.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only check every member against the manifest; touch no database and no file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.", returncode=REFUSED)
        try:
            archive = archive_check(path)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=REFUSED) from exc
        manifest = archive.manifest
        checked = (
            f"Archive {path}: {archive.members} members ({megabytes(archive.size)}) checked; every SHA-256 matches "
            f"the manifest. It was {_made(archive)}."
        )
        if options["check"]:
            files = sum(store["files"] for store in manifest["storages"].values())
            self.stdout.write(
                f"{checked}\nIt holds {len(manifest['tables'])} tables ({manifest['rows']:,} rows), {files:,} files "
                f"and {manifest['audit']['events']:,} audit events."
            )
            return
        self.stdout.write(checked)
        try:
            report = restore(path=path, checked=archive)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=REFUSED) from exc
        except DatabaseError as exc:
            raise CommandError(f"The target database could not be used ({exc}).", returncode=REFUSED) from exc
        self.stdout.write("\n".join(self._summary(report)))
        if not report.ok:
            lines = [f"Restored, but {len(report.problems)} check(s) failed:"]
            lines += [f"- {problem}" for problem in report.problems]
            if any(problem.startswith("audit trail:") for problem in report.problems):
                lines.append(
                    "If the audit findings only say that events after the newest checkpoint are missing, the "
                    "checkpoint file here is newer than this backup: archive it and start a new one "
                    "(docs/backup-and-restore.md)."
                )
            raise CommandError("\n".join(lines), returncode=MISMATCH)
        self.stdout.write("Restore complete: every check passed.")

    def _summary(self, report: RestoreReport) -> list[str]:
        manifest = report.archive.manifest
        lines = []
        if report.state is not None:
            matching = sum(1 for t, n in report.state.tables.items() if manifest["tables"].get(t) == n)
            lines.append(
                f"Database: {len(report.state.tables)} tables, {report.state.rows:,} rows; "
                f"{matching} of {len(manifest['tables'])} tables have the row count the backup recorded."
            )
        expected_files = sum(store["files"] for store in manifest["storages"].values())
        lines.append(f"Files: {report.files:,} of {expected_files:,} restored ({megabytes(report.bytes)}).")
        trail = report.trail
        if trail is not None:
            if trail.ok:
                head = trail.chain.head
                lines.append(
                    f"Audit trail intact: {trail.chain.checked:,} events verified"
                    + (f", head event #{head.seq}." if head else ".")
                )
            else:
                lines.append(f"Audit trail: {len(trail.findings)} problem(s) found by the verification.")
        if report.pending_migrations:
            lines.append(
                f"This Liaison has {len(report.pending_migrations)} migration(s) the backup did not have: "
                "run 'liaison manage migrate' next."
            )
        return lines
