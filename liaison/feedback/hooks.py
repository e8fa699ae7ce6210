"""Hooks that let higher apps act when feedback arrives, without the feedback app importing them.

A higher app registers its callback in its ``AppConfig.ready``; the feedback service calls every registered
callback inside its own transaction, so what the callback writes commits with the change or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from liaison.feedback.models import ImportJob

ImportFinishedCallback = Callable[["ImportJob"], object]
_IMPORT_FINISHED: list[ImportFinishedCallback] = []


def on_import_finished(callback: ImportFinishedCallback) -> ImportFinishedCallback:
    """Register ``callback`` to run, in the same transaction, when a feedback import has read its whole file."""
    if callback not in _IMPORT_FINISHED:
        _IMPORT_FINISHED.append(callback)
    return callback


def import_finished(job: ImportJob) -> None:
    for callback in list(_IMPORT_FINISHED):
        callback(job)
