"""``liaison audit verify``, ``checkpoint`` and ``seal``: check the audit trail, pin its head, seal new events."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from liaison.audit.chain import checkpoint_take, checkpoint_write, verify_trail
from liaison.audit.checkpoints import checkpoint_file
from liaison.audit.sealing import seal_pending


def _events(count: int) -> str:
    return f"{count} event{'' if count == 1 else 's'}"


class Command(BaseCommand):
    help = (
        "Work with the audit trail. 'verify' recomputes the hash chain, checks it against every signed "
        "checkpoint and exits 1 at the first missing or altered event; 'checkpoint' signs the current head; "
        "'seal' gives the events written since the last sealing their places in the chain."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser(
            "verify", help="Recompute every event's hash, check the chain links and every signed checkpoint."
        )
        verify.add_argument(
            "--no-checkpoint",
            action="store_true",
            help="Do not append a checkpoint of the verified head (e.g. when checking a copy of the file).",
        )
        sub.add_parser(
            "checkpoint", help="Check the events since the newest checkpoint, then sign and record the head."
        )
        seal = sub.add_parser(
            "seal", help="Seal the events written since the last sealing (the worker does this every 2 s)."
        )
        seal.add_argument(
            "--every",
            type=float,
            default=0.0,
            help="Keep sealing, every this many seconds, until stopped (as the worker does); 0: once.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self._verify(write_checkpoint=not options["no_checkpoint"])
        elif options["subcommand"] == "seal":
            self._seal(every=options["every"])
        else:
            self._checkpoint()

    def _seal(self, *, every: float) -> None:
        if every <= 0:
            self.stdout.write(f"Sealed {_events(seal_pending())}.")
            return
        try:
            while True:
                time.sleep(every)
                seal_pending(wait=False)
                close_old_connections()
        except KeyboardInterrupt:
            return

    def _verify(self, *, write_checkpoint: bool) -> None:
        report = verify_trail()
        if not report.ok:
            first, *others = report.findings
            lines = [f"Audit trail broken: {first.text}."]
            lines += [f"Also: {finding.text}." for finding in others]
            if report.chain.ok:
                lines.append(f"The hash chain itself fits together ({_events(report.chain.checked)}).")
            else:
                lines.append(f"{_events(report.chain.checked)} before the first broken link verified.")
            raise CommandError("\n".join(lines), returncode=1)

        out = [f"Audit trail intact: {_events(report.chain.checked)} verified."]
        newest = report.newest_checkpoint
        if newest is None:
            out.append(
                f"No checkpoints yet in {checkpoint_file()}: the chain alone cannot show that the newest "
                "events were deleted or that the whole chain was recomputed."
            )
        else:
            count = len(report.checkpoints)
            out.append(
                f"{count} signed checkpoint{'s match' if count != 1 else ' matches'} the trail "
                f"(the newest, of {newest.when()}, signed event #{newest.seq})."
            )
        after = report.after_last_checkpoint
        if newest is not None and after:
            verb = "is" if after == 1 else "are"
            out.append(f"{_events(after)} after the last checkpoint {verb} verified by the chain only.")
        elif newest is not None:
            out.append("Every event is covered by a signed checkpoint.")
        if report.unsealed:
            waiting = _events(report.unsealed)
            out.append(f"{waiting} written during the check not sealed yet: the next check covers them.")
        head = report.chain.head
        if write_checkpoint and head is not None:
            try:
                checkpoint = checkpoint_write(head=head)
            except OSError as exc:
                # The trail is intact, so the exit status stays 0; the warning still reaches cron's mail.
                self.stderr.write(
                    f"Warning: no checkpoint written: {checkpoint_file()} cannot be written ({exc.strerror})."
                )
            else:
                out.append(f"Checkpoint written: event #{checkpoint.seq}, {_events(checkpoint.count)}.")
        self.stdout.write("\n".join(out))

    def _checkpoint(self) -> None:
        result = checkpoint_take()
        if not result.ok:
            raise CommandError(f"No checkpoint written: {result.problem}.", returncode=1)
        if result.checkpoint is None:
            self.stdout.write("The audit trail has no events yet: nothing to checkpoint.")
            return
        checkpoint = result.checkpoint
        self.stdout.write(
            f"Checkpoint written to {checkpoint_file()}: event #{checkpoint.seq} "
            f"({_events(checkpoint.count)}, head {checkpoint.head_hash[:12]}…) at {checkpoint.when()}."
        )
