"""Background jobs of the audit trail: thin wrappers that call a service (the worker runs them)."""

from __future__ import annotations

import logging

from django_tasks import task

from liaison.audit.chain import checkpoint_take

logger = logging.getLogger(__name__)


@task()
def checkpoint() -> dict[str, int | bool]:
    """Sign the head of the trail (registered with the worker in ``AuditConfig.ready``)."""
    result = checkpoint_take()
    if not result.ok:
        # Positions and dates only: the message never carries an event's contents.
        logger.error("Audit checkpoint refused: %s", result.problem)
        return {"written": False}
    if result.checkpoint is None:
        return {"written": False, "seq": 0}
    return {"written": True, "seq": result.checkpoint.seq}
