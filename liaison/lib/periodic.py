"""Jobs that ``liaison worker`` enqueues on a fixed interval.

The app that owns a job registers it from its ``AppConfig.ready()``, so the worker only reads this list and
never imports that app's internals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class PeriodicJob:
    task: str  # dotted path of a django-tasks task that takes no arguments
    every: timedelta


_jobs: dict[str, PeriodicJob] = {}


def register(*, task: str, every: timedelta) -> None:
    """Have the worker enqueue ``task`` when it starts and then every ``every`` (registering twice is harmless)."""
    if every <= timedelta(0):
        raise ValueError("a periodic job needs a positive interval")
    _jobs[task] = PeriodicJob(task=task, every=every)


def registered() -> list[PeriodicJob]:
    return list(_jobs.values())
