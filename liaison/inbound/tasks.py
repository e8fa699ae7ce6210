"""Background jobs of inbound email (the worker runs them)."""

from __future__ import annotations

from django_tasks import task


@task()
def mailbox_poll() -> dict[str, int | str]:
    """Read one batch from the hospital mailbox (LIAISON_IMAP_*); the worker enqueues it every poll interval."""
    from liaison.inbound.imap import mailbox_poll as poll

    return poll()
