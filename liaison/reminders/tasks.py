"""Background jobs: thin wrappers that call a service (the worker runs them)."""

from __future__ import annotations

from django_tasks import task

from liaison.reminders.services import reminders_sweep


@task()
def sweep() -> dict[str, int]:
    report = reminders_sweep()
    return {"sent": report.sent, "already_sent": report.already_sent}
