"""Checking the audit trail: its hash chain, and the chain against the signed checkpoints kept outside it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from liaison.audit.checkpoints import (
    Checkpoint,
    checkpoint_append,
    checkpoint_file,
    checkpoint_lines,
    checkpoint_sign,
)
from liaison.audit.models import GENESIS_HASH, AuditEvent
from liaison.audit.sealing import seal_pending, unsealed_count


@dataclass(frozen=True)
class ChainHead:
    """The newest event of a stretch of chain, and how many events lead up to it (itself included)."""

    seq: int
    event_id: int
    hash: str
    count: int


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""
    head: ChainHead | None = None  # the newest event verified, when the chain is intact

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def _events(first: int, last: int) -> str:
    return f"event #{first} is" if first == last else f"events #{first}–#{last} are"


def _link_problem(event: AuditEvent, expected_seq: int, prev_hash: str) -> str:
    """Why this event does not fit the chain after the one before it ('' when it fits)."""
    assert event.seq is not None  # only sealed events are walked
    if event.seq != expected_seq:
        return f"{_events(expected_seq, event.seq - 1)} missing before it"
    if event.prev_hash != prev_hash:
        return "its previous-hash does not match the event before it"
    if event.compute_hash() != event.hash:
        return "its contents do not match its hash: it was altered"
    return ""


def verify_chain(*, batch_size: int = 2000, after: ChainHead | None = None) -> ChainReport:
    """Recompute every hash in order (or only those after a trusted event); stop at the first misfit.

    Seals what is waiting first, so the chain checked reaches the newest committed event.
    """
    seal_pending()
    expected_seq = after.seq + 1 if after else 1
    prev_hash = after.hash if after else GENESIS_HASH
    head = after
    checked = 0
    events = AuditEvent.objects.filter(seq__isnull=False).order_by("seq")
    if after is not None:
        events = events.filter(seq__gt=after.seq)
    for event in events.iterator(chunk_size=batch_size):
        assert event.seq is not None and event.hash is not None  # sealed: filtered above
        problem = _link_problem(event, expected_seq, prev_hash)
        if problem:
            return ChainReport(checked, event.seq, event.pk, problem)
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
        head = ChainHead(event.seq, event.pk, event.hash, (after.count if after else 0) + checked)
    return ChainReport(checked, head=head)


@dataclass(frozen=True)
class Finding:
    seq: int  # where in the chain the problem starts, so that the first one is reported first
    text: str


@dataclass(frozen=True)
class TrailReport:
    chain: ChainReport
    checkpoints: list[Checkpoint]  # the validly signed ones, oldest position first
    findings: list[Finding] = field(default_factory=list)
    events: int = 0  # sealed events stored now
    unsealed: int = 0  # events written since the sealing that started the check: the next check covers them

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def newest_checkpoint(self) -> Checkpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None

    @property
    def after_last_checkpoint(self) -> int:
        """Events newer than the newest checkpoint: only the chain vouches for them."""
        newest = self.newest_checkpoint
        return max(self.events - newest.count, 0) if newest else self.events


def verify_trail(*, path: Path | None = None, batch_size: int = 2000) -> TrailReport:
    """Walk the chain once, checking every link and every signed checkpoint against the events stored now.

    A checkpoint is kept by the trail when the event it names is still there with the same id and hash and
    with as many events up to it as when it was signed. Deleting the newest events, or changing one and
    recomputing every later hash, keeps the chain whole but cannot keep the checkpoints.
    """
    seal_pending()
    path = path or checkpoint_file()
    file_findings: list[Finding] = []
    try:
        lines = checkpoint_lines(path=path)
    except OSError as exc:
        lines = []
        file_findings.append(Finding(0, f"the checkpoint file {path} cannot be read ({exc.strerror})"))
    for line in lines:
        if line.checkpoint is None:
            file_findings.append(Finding(0, line.problem))
    signed = sorted((line.checkpoint for line in lines if line.checkpoint), key=lambda c: (c.seq, c.written_at))

    findings: list[Finding] = []
    pending = deque(signed)
    kept: Checkpoint | None = None  # the newest checkpoint the trail still matches
    rewritten = False
    expected_seq, prev_hash = 1, GENESIS_HASH
    chain: ChainReport | None = None
    count = last_seq = 0
    head: ChainHead | None = None
    for event in AuditEvent.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=batch_size):
        assert event.seq is not None and event.hash is not None  # sealed: filtered above
        count += 1
        last_seq = event.seq
        if chain is None:
            problem = _link_problem(event, expected_seq, prev_hash)
            if problem:
                chain = ChainReport(count - 1, event.seq, event.pk, problem)
                findings.append(
                    Finding(
                        min(event.seq, expected_seq), f"event #{event.seq} (id {event.pk}) breaks the chain: {problem}"
                    )
                )
            else:
                expected_seq, prev_hash = event.seq + 1, event.hash
                head = ChainHead(event.seq, event.pk, event.hash, count)
        while pending and pending[0].seq < event.seq:
            gone = pending.popleft()
            findings.append(
                Finding(gone.seq, f"event #{gone.seq}, signed by the checkpoint of {gone.when()}, is missing")
            )
        while pending and pending[0].seq == event.seq:
            checkpoint = pending.popleft()
            if event.hash != checkpoint.head_hash:
                if rewritten:
                    text = f"event #{event.seq} no longer matches the checkpoint of {checkpoint.when()} either"
                else:
                    since = f"; the checkpoint of {kept.when()} for event #{kept.seq} still matches" if kept else ""
                    text = (
                        f"{_events(kept.seq + 1 if kept else 1, event.seq)} altered or replaced: event "
                        f"#{event.seq} no longer has the hash signed by the checkpoint of {checkpoint.when()}, "
                        f"so an event up to it was changed and the chain recomputed to hide it{since}"
                    )
                rewritten = True
                findings.append(Finding(kept.seq + 1 if kept else 1, text))
            elif count != checkpoint.count:
                findings.append(
                    Finding(
                        event.seq,
                        f"the checkpoint of {checkpoint.when()} counted {checkpoint.count} events up to "
                        f"#{event.seq}; {count} are there now",
                    )
                )
            elif event.pk != checkpoint.event_id:
                findings.append(
                    Finding(
                        event.seq,
                        f"event #{event.seq} was deleted and inserted again: its id was {checkpoint.event_id} "
                        f"at the checkpoint of {checkpoint.when()} and is {event.pk} now",
                    )
                )
            else:
                kept = checkpoint
    if pending:
        newest = pending[-1]
        first = last_seq + 1
        findings.append(
            Finding(
                first,
                f"{_events(first, newest.seq)} missing: the trail was cut after the checkpoint of "
                f"{newest.when()}, which signed event #{newest.seq} as the newest",
            )
        )
    if chain is None:
        chain = ChainReport(count, head=head)
    findings.sort(key=lambda finding: finding.seq)
    return TrailReport(
        chain=chain, checkpoints=signed, findings=findings + file_findings, events=count, unsealed=unsealed_count()
    )


@dataclass(frozen=True)
class CheckpointResult:
    checkpoint: Checkpoint | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def checkpoint_write(*, head: ChainHead) -> Checkpoint:
    """Sign a head that has just been verified and append it to the checkpoint file."""
    checkpoint = checkpoint_sign(seq=head.seq, event_id=head.event_id, head_hash=head.hash, count=head.count)
    checkpoint_append(checkpoint)
    return checkpoint


def checkpoint_take() -> CheckpointResult:
    """Checkpoint the head of the trail, first checking the events since the newest checkpoint.

    Only the stretch after the newest checkpoint is recomputed, so this is cheap enough to run often; a
    head that does not follow from the last signed one is never signed (``liaison audit verify`` says why).
    """
    try:
        signed = [line.checkpoint for line in checkpoint_lines() if line.checkpoint]
    except OSError as exc:
        return CheckpointResult(None, f"the checkpoint file {checkpoint_file()} cannot be read ({exc.strerror})")
    base = max(signed, key=lambda c: (c.seq, c.written_at), default=None)
    after: ChainHead | None = None
    if base is not None:
        stored = AuditEvent.objects.filter(seq=base.seq).values_list("pk", "hash").first()
        count = AuditEvent.objects.filter(seq__isnull=False, seq__lte=base.seq).count()
        if stored != (base.event_id, base.head_hash) or count != base.count:
            return CheckpointResult(
                None,
                f"the trail no longer matches its newest checkpoint (of {base.when()}, event #{base.seq}); "
                "run 'liaison audit verify' to see what changed",
            )
        after = ChainHead(base.seq, base.event_id, base.head_hash, base.count)
    report = verify_chain(after=after)
    if not report.ok:
        return CheckpointResult(
            None, f"the chain is broken at event #{report.broken_seq} (id {report.broken_id}): {report.reason}"
        )
    if report.head is None:
        return CheckpointResult(None)  # no events yet: nothing to pin
    try:
        return CheckpointResult(checkpoint_write(head=report.head))
    except OSError as exc:
        return CheckpointResult(None, f"the checkpoint file {checkpoint_file()} cannot be written ({exc.strerror})")
