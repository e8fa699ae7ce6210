"""Background jobs: thin wrappers that call a service (the worker runs them)."""

from __future__ import annotations

from django_tasks import task

from liaison.webhooks.services import deliveries_prune, deliveries_send_due


@task()
def deliver() -> dict[str, int]:
    report = deliveries_send_due()
    return {"delivered": report.delivered, "retrying": report.retrying, "failed": report.failed}


@task()
def prune() -> int:
    return deliveries_prune()
