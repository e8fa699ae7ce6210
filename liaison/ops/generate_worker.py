"""Making days of synthetic cases in worker processes, while the main process writes and chains.

The main process writes every row (one transaction) and hashes the audit chain, which must go in order; the
stories themselves, most of the work, are independent from day to day and are made here. Workers are
started fresh (``spawn``): they share nothing with the main process, its database connection least of all,
and never connect to the database themselves.

This module imports no Django model at import time: a new process unpickles its start-up function before
Django is set up.
"""

from __future__ import annotations

import pickle
from datetime import datetime
from typing import Any

_maker: Any = None


def start(settings_module: str, sites: bytes, now: datetime) -> None:
    """Set up Django in this worker, then the maker of days for the run's sites."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()
    from liaison.ops.generate_cases import Maker

    global _maker
    _maker = Maker(pickle.loads(sites), now=now)  # noqa: S301 - from our own main process


def make_day(job: Any) -> Any:
    return _maker.day(job)
