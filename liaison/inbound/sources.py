"""Where messages are read from: one file, a folder of message files, or a Maildir (new/ and cur/).

In a plain folder every regular file is read, whatever its name (files copied out of a Maildir have no
extension), except hidden and temporary files, which ``skipped_files`` lists with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class UnreadablePath(Exception):
    """The path given cannot be read at all; nothing was ingested."""


@dataclass(frozen=True)
class MessageFile:
    path: Path
    label: str  # how the command names it: relative to the path given
    maildir_new: bool = False

    def read(self) -> bytes:
        return self.path.read_bytes()

    def mark_seen(self) -> None:
        """Move a Maildir message from new/ to cur/ with the Seen flag, as a mail program would on reading it."""
        if not self.maildir_new:
            return
        name, _, flags = self.path.name.partition(":2,")
        flags = "".join(sorted({*flags, "S"}))
        os.replace(self.path, self.path.parent.parent / "cur" / f"{name}:2,{flags}")


def is_maildir(path: Path) -> bool:
    return (path / "new").is_dir() and (path / "cur").is_dir()


def _listing(folder: Path) -> list[Path]:
    # Names starting with a dot are a mail program's own files (Maildir spec); sorted is arrival order there.
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def message_files(path: Path) -> list[MessageFile]:
    """The messages under ``path``, in the order to ingest them. Raises UnreadablePath."""
    try:
        if path.is_file():
            return [MessageFile(path, path.name)]
        if not path.is_dir():
            raise UnreadablePath(f"{path} does not exist or is not a file or a folder.")
        if is_maildir(path):
            return [MessageFile(p, f"new/{p.name}", maildir_new=True) for p in _listing(path / "new")] + [
                MessageFile(p, f"cur/{p.name}") for p in _listing(path / "cur")
            ]
        return [MessageFile(p, p.name) for p in _listing(path) if not _skip_reason(p)]
    except OSError as exc:
        raise UnreadablePath(f"{path} cannot be read: {exc.strerror or exc}.") from exc


def _skip_reason(path: Path) -> str:
    name = path.name
    if name.startswith("."):
        return "a hidden file"
    if name.endswith(("~", ".tmp", ".part", ".swp")) or (name.startswith("#") and name.endswith("#")):
        return "a temporary file"
    return ""


def skipped_files(path: Path) -> list[tuple[str, str]]:
    """What a plain folder holds that is not read as a message, each with why: hidden and temporary files
    and sub-folders. Empty for one file or a Maildir."""
    if not path.is_dir() or is_maildir(path):
        return []
    skipped: list[tuple[str, str]] = []
    try:
        for entry in sorted(path.iterdir()):
            if entry.is_dir():
                skipped.append((entry.name, "a folder, not a file"))
            elif not entry.is_file():
                skipped.append((entry.name, "not a regular file"))
            elif why := _skip_reason(entry):
                skipped.append((entry.name, why))
    except OSError:
        return skipped
    return skipped
