"""Signed checkpoints of the audit chain's head, kept outside the database.

The hash chain proves that the stored events fit together, but not that they are all there: whoever can
write to the table (with the triggers dropped) can delete the newest events, or change one and recompute
every later hash, and the chain still fits. A checkpoint pins the head as it was: the newest event's
position, id and hash and the number of events, signed with HMAC-SHA256 under ``LIAISON_AUDIT_KEY``, a key
the database never holds, and appended as one JSON line to ``LIAISON_AUDIT_CHECKPOINT_FILE``. Without the
key, a rewritten or shortened trail cannot be made to match the checkpoints again.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

FORMAT_VERSION = 1
_KEY_ID_LABEL = b"liaison audit checkpoint key id"

try:  # Serialises writers on one host; O_APPEND alone already keeps each line whole on a local disk.
    import fcntl
except ImportError:  # pragma: no cover  (not on POSIX)
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Checkpoint:
    written_at: datetime
    seq: int  # the newest event's position in the chain
    event_id: int  # ... and its primary key
    head_hash: str  # ... and its hash
    count: int  # how many events there were, up to and including it
    key_id: str
    mac: str

    def payload(self) -> dict[str, Any]:
        return {
            "v": FORMAT_VERSION,
            "written_at": self.written_at.isoformat(timespec="microseconds"),
            "seq": self.seq,
            "event_id": self.event_id,
            "hash": self.head_hash,
            "count": self.count,
            "key_id": self.key_id,
        }

    def line(self) -> str:
        return json.dumps({**self.payload(), "hmac": self.mac}, sort_keys=True, separators=(",", ":")) + "\n"

    def when(self) -> str:
        """The time it was written, in words for a report: '2026-12-01 02:00 UTC'."""
        return timezone.localtime(self.written_at).strftime("%Y-%m-%d %H:%M %Z")


@dataclass(frozen=True)
class CheckpointLine:
    """One line of the file: a checkpoint whose signature is valid, or why it cannot be trusted."""

    number: int
    checkpoint: Checkpoint | None
    problem: str = ""


def _key() -> bytes:
    return str(settings.LIAISON_AUDIT_KEY).encode("utf-8")


def key_id(key: bytes | None = None) -> str:
    """A short fingerprint of the key, so a report can tell 'signed with another key' from 'forged'."""
    return hmac.new(key or _key(), _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def _sign(payload: dict[str, Any], key: bytes | None = None) -> str:
    message = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(key or _key(), message, hashlib.sha256).hexdigest()


def checkpoint_file() -> Path:
    return Path(settings.LIAISON_AUDIT_CHECKPOINT_FILE)


def checkpoint_sign(
    *, seq: int, event_id: int, head_hash: str, count: int, written_at: datetime | None = None, key: bytes | None = None
) -> Checkpoint:
    """A checkpoint of the given head, signed now with the audit key (or ``key``)."""
    draft = Checkpoint(
        written_at=written_at or timezone.now(),
        seq=seq,
        event_id=event_id,
        head_hash=head_hash,
        count=count,
        key_id=key_id(key),
        mac="",
    )
    return replace(draft, mac=_sign(draft.payload(), key))


def checkpoint_append(checkpoint: Checkpoint, *, path: Path | None = None) -> Path:
    """Append one line to the checkpoint file and force it to disk before returning."""
    path = path or checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    data = checkpoint.line().encode("utf-8")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            # A crash cut the last line short; start ours on a fresh line so it stays readable.
            data = b"\n" + data
        while data:
            data = data[os.write(fd, data) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        # The new file's name must survive a crash too.
        with contextlib.suppress(OSError):
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    return path


def _parse(number: int, text: str, key: bytes) -> CheckpointLine:
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict) or raw.get("v") != FORMAT_VERSION:
            raise ValueError
        checkpoint = Checkpoint(
            written_at=datetime.fromisoformat(raw["written_at"]),
            seq=int(raw["seq"]),
            event_id=int(raw["event_id"]),
            head_hash=str(raw["hash"]),
            count=int(raw["count"]),
            key_id=str(raw["key_id"]),
            mac=str(raw["hmac"]),
        )
        if timezone.is_naive(checkpoint.written_at):
            raise ValueError
    except (ValueError, TypeError, KeyError):
        return CheckpointLine(number, None, f"line {number} is not a readable checkpoint")
    if not hmac.compare_digest(_sign(checkpoint.payload(), key), checkpoint.mac):
        other_key = "" if checkpoint.key_id == key_id(key) else ", or signed with another key"
        return CheckpointLine(
            number,
            None,
            f"the checkpoint on line {number} (dated {checkpoint.when()}, naming event #{checkpoint.seq}) "
            f"has an invalid signature: it was forged or altered{other_key}",
        )
    return CheckpointLine(number, checkpoint)


def checkpoint_lines(*, path: Path | None = None) -> list[CheckpointLine]:
    """Every non-blank line of the file, each either a validly signed checkpoint or a problem.

    A missing file is simply no checkpoints; a file that exists but cannot be read raises ``OSError``.
    """
    path = path or checkpoint_file()
    if not path.exists():
        return []
    key = _key()
    with path.open(encoding="utf-8", errors="replace") as handle:
        return [_parse(number, text, key) for number, text in enumerate(handle, start=1) if text.strip()]
