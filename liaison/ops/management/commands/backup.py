"""``liaison backup [--output PATH]``: the database, every stored file and a manifest, in one archive."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from liaison.ops.backup import BackupError, backup_write


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


class Command(BaseCommand):
    help = (
        "Write one archive (.tar.gz, or .tar uncompressed) holding the database dump, every stored file "
        "(letters, attachments, evidence, inbound mail) and a manifest with each member's SHA-256, every "
        "table's row count and the audit trail's head. Written to a temporary file and renamed when complete."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--output",
            "-o",
            metavar="PATH",
            default=".",
            help="The archive to write, or a folder to write liaison-backup-<UTC time>.tar.gz in (default: here).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_write(output=Path(options["output"]))
        except BackupError as exc:
            raise CommandError(f"No backup written: {exc}", returncode=1) from exc
        except DatabaseError as exc:
            raise CommandError(f"No backup written: the database could not be read ({exc}).", returncode=1) from exc
        except OSError as exc:
            raise CommandError(
                f"No backup written: {exc.strerror or exc} ({exc.filename or ''}).", returncode=1
            ) from exc
        manifest = result.manifest
        database, audit = manifest["database"], manifest["audit"]
        files = sum(store["files"] for store in manifest["storages"].values())
        stored = sum(store["bytes"] for store in manifest["storages"].values())
        head = audit["head"]
        self.stdout.write(
            "\n".join(
                [
                    f"Backup written to {result.path} ({megabytes(result.size)}).",
                    f"Database: {database['engine']} {database['server_version']}, {len(manifest['tables'])} tables, "
                    f"{manifest['rows']:,} rows.",
                    f"Files: {files:,} ({megabytes(stored)}).",
                    f"Audit trail: {audit['events']:,} events"
                    + (f", head event #{head['seq']} ({head['hash'][:12]}…)." if head else "."),
                    f"Check it with: liaison restore --check {result.path}",
                ]
            )
        )
        for name in result.missing:
            self.stderr.write(f"Not in the backup: {name} was deleted while the backup ran.")
