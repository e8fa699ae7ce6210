"""What the survival tests share: a client that shows the error page instead of raising, and the environment
for a Liaison process started by a test against the test database."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from conftest import login_verified
from liaison.accounts.models import User

REPO = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    # Registered here, beside the only tests that use it; nothing deselects them, so CI runs them.
    config.addinivalue_line("markers", "slow: starts real processes (workers, gunicorn, a PostgreSQL cluster)")


def database_url() -> str:
    """The test database, as a URL a Liaison process started by the test can use."""
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test settings on the test database, with nothing of this shell's Liaison or mail settings."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LIAISON_", "DATABASE_URL", "EMAIL_"))},
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "LIAISON_AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.jsonl"),
        **extra,
    }


@pytest.fixture
def signed_in() -> Any:
    """signed_in(user) -> a client signed in with both factors that answers a server error with its page.

    Django's test client re-raises an error the site reported; a person sees the page the site answered, and
    that page is what these tests are about.
    """

    def _client(user: User) -> Client:
        return login_verified(Client(raise_request_exception=False), user)

    return _client


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Every worker a test starts is ended when it ends, whatever happened."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def wait_for(what: str, check: Callable[[], bool], *, seconds: float, worker: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if worker.poll() is not None:
            raise AssertionError(f"the worker ended while waiting until {what}: {log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}; its log: {log.read_text()[-3000:]}")
        time.sleep(0.1)
