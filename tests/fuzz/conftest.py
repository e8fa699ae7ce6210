"""Fuzzing the places where the outside world's bytes come in: imports, inbound mail, letter HTML, and the clocks.

Two hypothesis profiles, chosen with the environment variable ``LIAISON_FUZZ_PROFILE``:

- ``ci`` (the default): at most 200 examples a target (100 for the targets that write to the database),
  generated from a fixed seed (``derandomize``) and with no example database, so a CI run is the same every time
  and keeps no failing examples between runs (hypothesis still caches a few tables in ``.hypothesis/``, which
  carries its own ``.gitignore``; the project's does not list it). Each target also stops running
  examples after ``LIAISON_FUZZ_SECONDS`` (15 by default), and after 2 seconds once all targets together have
  run for ``LIAISON_FUZZ_TOTAL_SECONDS`` (60 by default), so a slow machine runs fewer examples rather than a
  longer job: the whole folder takes under two minutes on SQLite.
- ``long``: a developer's hunt for new failures: up to 100,000 examples a target from a random seed, each target
  bounded by ``LIAISON_FUZZ_SECONDS`` (120 by default) and all of them by ``LIAISON_FUZZ_TOTAL_SECONDS`` (600).
  A failure prints the seed and a blob to reproduce it with ``@reproduce_failure``; then add the input as an
  ``@example`` next to the target and fix the module.

    LIAISON_FUZZ_PROFILE=long LIAISON_FUZZ_SECONDS=60 .venv/bin/pytest -p no:cacheprovider tests/fuzz

The profiles are applied to these tests only (``fuzz_settings``), never loaded globally, so the rest of the suite
keeps its own hypothesis settings when it runs in the same process.

Tests that write to the database run their examples inside one test, each in a savepoint that is rolled back
(``rolled_back``): pytest-django's ``db`` fixture is function-scoped, and hypothesis would otherwise share one
database state across all the examples of a test (its ``function_scoped_fixture`` health check).
"""

from __future__ import annotations

import functools
import os
import time
import unittest
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("LIAISON_FUZZ_PROFILE", "ci")
if PROFILE not in ("ci", "long"):
    raise RuntimeError(f"LIAISON_FUZZ_PROFILE must be 'ci' or 'long', not {PROFILE!r}.")

_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

settings.register_profile(
    "liaison-fuzz-ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=_SLOW_IS_FINE,
)
settings.register_profile(
    "liaison-fuzz-long",
    max_examples=100_000,
    deadline=None,
    derandomize=False,
    database=None,
    print_blob=True,
    suppress_health_check=_SLOW_IS_FINE,
)

fuzz_settings: settings = settings.get_profile(f"liaison-fuzz-{PROFILE}")
# A target that writes to the database costs ten times more an example (a hundredth of a second is the parsing;
# the rest is transactions), and several times more again on PostgreSQL: fewer of them in CI.
fuzz_settings_db: settings = settings(fuzz_settings, max_examples=100) if PROFILE == "ci" else fuzz_settings
SECONDS_PER_TARGET = float(os.environ.get("LIAISON_FUZZ_SECONDS", "15" if PROFILE == "ci" else "120"))
# All targets together: once this is spent, each target still to come gets only MIN_SECONDS.
TOTAL_SECONDS = float(os.environ.get("LIAISON_FUZZ_TOTAL_SECONDS", "60" if PROFILE == "ci" else "600"))
MIN_SECONDS = 2.0
# Always run in full: the explicit @example regressions come first, and a few generated examples after them.
MIN_EXAMPLES = 10

F = TypeVar("F", bound=Callable[..., Any])

# Per target: examples run, and whether its time ran out (shown at the end of the run).
TALLY: dict[str, list[int]] = {}
_SESSION = {"started": 0.0}


class TimeUp(unittest.SkipTest):
    """A target's time is up. Hypothesis stops at once on a "skip" exception (it generates no more examples);
    ``pytest_pyfunc_call`` below then counts the test as passed, with the examples it ran."""


def time_boxed(test: F) -> F:
    """Stop running examples of ``test`` once its time is up: ``SECONDS_PER_TARGET``, or ``MIN_SECONDS`` once
    all targets together have used ``TOTAL_SECONDS``.

    Goes between ``@given`` and the function. Hypothesis has no wall-clock limit of its own; past the limit this
    raises ``TimeUp``, so a slow machine runs fewer examples instead of a longer job. The first ``MIN_EXAMPLES``
    calls always run (hypothesis tries the explicit ``@example`` inputs first, so the regressions are never cut),
    and once one example has failed every later call runs in full, so that shrinking and the final replay see
    the failure.
    """
    state = {"started": 0.0, "failed": False, "calls": 0}
    tally = TALLY.setdefault(test.__qualname__.replace(".<locals>", ""), [0, 0])

    def time_is_up(now: float) -> bool:
        mine = now - state["started"]
        return mine > SECONDS_PER_TARGET or (now - _SESSION["started"] > TOTAL_SECONDS and mine > MIN_SECONDS)

    @functools.wraps(test)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        now = time.monotonic()
        if not state["started"]:
            state["started"] = now
            _SESSION["started"] = _SESSION["started"] or now
        state["calls"] += 1
        if not state["failed"] and state["calls"] > MIN_EXAMPLES and time_is_up(now):
            tally[1] += 1
            raise TimeUp(f"{test.__name__}: time is up after {tally[0]} examples")
        tally[0] += 1
        try:
            return test(*args, **kwargs)
        except BaseException:
            state["failed"] = True
            raise

    return bounded  # type: ignore[return-value]


class _Undo(Exception):
    """Raised at the end of an example to roll its savepoint back."""


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example inside a savepoint that is always rolled back, so each example meets the same database.

    An example that fails rolls back the same way (``atomic`` undoes its savepoint) and its error goes on.
    """
    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Any:
    try:
        return (yield)
    except TimeUp:
        return True  # the target ran out of time, not out of luck: it passed every example it ran


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY:
        return
    terminalreporter.section(
        f"fuzz targets (profile {PROFILE}: {SECONDS_PER_TARGET:g} s each, {TOTAL_SECONDS:g} s in all)"
    )
    for name, (ran, skipped) in sorted(TALLY.items()):
        if ran or skipped:
            late = " (then its time was up)" if skipped else ""
            terminalreporter.write_line(f"{name}: {ran} examples{late}")
