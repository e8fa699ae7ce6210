"""Background jobs of the public pages (the worker runs them)."""

from __future__ import annotations

from django_tasks import task

from liaison.lib import ratelimit


@task()
def attempts_prune() -> int:
    """Forget the counted attempts older than a day: API tokens alone may count 600 a minute each."""
    return ratelimit.prune()
