"""PostgreSQL stopped and restarted under load: while it is down every page that needs it answers our clean 503
(no 500, no traceback), and afterwards the same gunicorn processes serve pages again, with nobody restarting them.

A throwaway PostgreSQL cluster of the test's own (port 55431), holding a copy of the test database, behind a real
``gunicorn`` running Liaison's production settings (port 58101); a few threads ask for the sign-in page and a
signed-in officer's page the whole time.
"""

from __future__ import annotations

import glob
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from conftest import login_verified, make_cast
from tests.survival.conftest import REPO

PG_PORT = 55431
WEB_PORT = 58101
DATABASE = "liaison_survival"
SAVE_OR_VIEW_503 = "Liaison cannot open this page just now"
pytestmark = pytest.mark.slow


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def as_postgres(*args: str | Path) -> list[str]:
    """initdb and the server refuse to run as root: as root, run them as the postgres user."""
    command = [str(a) for a in args]
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Cluster:
    bin: Path
    root: Path

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            as_postgres(
                self.bin / "pg_ctl", "-D", self.root / "data", "-l", self.root / "log", "-w", "-t", "60", *args
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=90,
        )

    def start(self) -> None:
        options = f"-p {PG_PORT} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg_ctl("-o", options, "start")


@pytest.fixture
def own_postgres() -> Iterator[Cluster]:
    """A PostgreSQL cluster of this test alone, stopped and deleted whatever happens."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the test stops and restarts a PostgreSQL server under a running gunicorn")
    found = postgres_bin()
    if found is None:
        pytest.skip("No PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    for port in (PG_PORT, WEB_PORT):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                pytest.fail(f"Port {port} is taken (a cluster or server left by an earlier run?); this test needs it")
    root = Path(tempfile.mkdtemp(prefix="liaison-survival-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    cluster = Cluster(found, root)
    try:
        subprocess.run(
            as_postgres(
                found / "initdb",
                "-D",
                root / "data",
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=120,
        )
        cluster.start()
        yield cluster
    finally:
        subprocess.run(
            as_postgres(found / "pg_ctl", "-D", root / "data", "-m", "immediate", "-w", "stop"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


def copy_test_database(cluster: Cluster) -> None:
    """The migrated test database (with its cast and the officer's session), copied into the cluster."""
    db = settings.DATABASES["default"]
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    target = ["-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres"]
    subprocess.run(
        [cluster.bin / "psql", *target, "-X", "-q", "-c", f"CREATE DATABASE {DATABASE}"], check=True, timeout=60
    )
    dump = subprocess.Popen(
        [
            cluster.bin / "pg_dump",
            "--no-owner",
            "--no-privileges",
            "-h",
            str(db["HOST"] or "127.0.0.1"),
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            str(db["USER"]),
            str(db["NAME"]),
        ],
        stdout=subprocess.PIPE,
        env=env,
    )
    restore = subprocess.run(
        [cluster.bin / "psql", *target, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", DATABASE],
        stdin=dump.stdout,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    assert dump.wait(timeout=60) == 0 and restore.returncode == 0


@dataclass
class Answer:
    at: float
    path: str
    status: int  # 0: no answer at all
    ours_503: bool
    traceback: bool
    signed_in_page: bool
    error: str = ""


class Load:
    """A few threads asking for the sign-in page and a signed-in page until stopped."""

    def __init__(self, cookie: str, threads: int = 4) -> None:
        self.cookie = cookie
        self.answers: list[Answer] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(threads)]

    def ask(self, path: str, signed_in: bool) -> Answer:
        at = time.monotonic()
        try:
            web = http.client.HTTPConnection("127.0.0.1", WEB_PORT, timeout=15)
            web.request("GET", path, headers={"Cookie": self.cookie} if signed_in else {})
            response = web.getresponse()
            page = response.read().decode(errors="replace")
            web.close()
        except OSError as exc:
            return Answer(at, path, 0, False, False, False, f"{type(exc).__name__} after {time.monotonic() - at:.1f} s")
        return Answer(
            at,
            path,
            response.status,
            response.status == 503 and SAVE_OR_VIEW_503 in page,
            "Traceback" in page or (response.status != 200 and "Error" in page),
            "Olive Officer" in page and "Sign out" in page,
        )

    def run(self, n: int) -> None:
        while not self.stop.is_set():
            signed_in = n % 2 == 0
            self.answers.append(self.ask("/" if signed_in else "/accounts/login/", signed_in))
            time.sleep(0.05)

    def signed_in_since(self, since: float) -> list[Answer]:
        return [a for a in list(self.answers) if a.path == "/" and a.at >= since]

    def wait_for_pages(self, since: float, count: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while sum(a.status == 200 for a in self.signed_in_since(since)) < count:
            assert time.monotonic() < deadline, f"fewer than {count} signed-in pages within {seconds} s"
            time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_postgres_restarted_under_load_gives_503s_then_pages_again_without_restarting_gunicorn(
    own_postgres: Cluster, tmp_path: Path, sqlite_flushable_audit: None
) -> None:
    cast = make_cast()
    officer = login_verified(Client(), cast.officer)
    cookie = f"{settings.SESSION_COOKIE_NAME}={officer.cookies[settings.SESSION_COOKIE_NAME].value}"
    copy_test_database(own_postgres)

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LIAISON_", "DATABASE_URL", "EMAIL_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "liaison.settings",  # production settings: DEBUG off, MFA required
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PG_PORT}/{DATABASE}",
        "LIAISON_SECRET_KEY": settings.SECRET_KEY,  # the officer's session cookie was signed with it
        "LIAISON_AUDIT_KEY": settings.LIAISON_AUDIT_KEY,
        "LIAISON_AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.jsonl"),
        "LIAISON_ALLOWED_HOSTS": "127.0.0.1",
        "LIAISON_BASE_URL": f"http://127.0.0.1:{WEB_PORT}",
        "LIAISON_HTTPS": "0",
        "LIAISON_DATA_DIR": str(tmp_path / "var"),
    }
    log_file = (tmp_path / "gunicorn.log").open("w+")  # a file, not a pipe: a full pipe would block its logging
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "liaison.wsgi:application",
            "--bind",
            f"127.0.0.1:{WEB_PORT}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
        ],
        cwd=REPO,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    load = Load(cookie)
    try:
        started = time.monotonic()
        while load.ask("/healthz", False).status != 200:
            assert gunicorn.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
            assert time.monotonic() - started < 60, "gunicorn did not answer within 60 s"
            time.sleep(0.2)
        workers = sorted(child.pid for child in psutil.Process(gunicorn.pid).children())
        for thread in load.threads:
            thread.start()
        load.wait_for_pages(started, count=5, seconds=30)

        own_postgres.pg_ctl("-m", "fast", "stop")
        stopped = time.monotonic()
        time.sleep(3)  # down for long enough that every thread meets it
        restarting = time.monotonic()
        own_postgres.start()
        up = time.monotonic()
        load.wait_for_pages(up, count=8, seconds=30)

        # And the restart itself, as an operator types it: connections cut in the middle of requests.
        own_postgres.pg_ctl("-m", "fast", "restart")
        back = time.monotonic()
        load.wait_for_pages(back, count=8, seconds=30)
    finally:
        load.stop.set()
        for thread in load.threads:
            if thread.is_alive():
                thread.join(timeout=30)
        still_serving = gunicorn.poll() is None
        workers_after = sorted(child.pid for child in psutil.Process(gunicorn.pid).children()) if still_serving else []
        gunicorn.send_signal(signal.SIGTERM)
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
            gunicorn.wait()
        log_file.close()
    log = (tmp_path / "gunicorn.log").read_text(errors="replace")

    answers = load.answers
    assert len(answers) < 5_000  # bounded: a few threads for well under a minute
    unclean = [a for a in answers if a.status not in (200, 503) or a.traceback or (a.status == 503 and not a.ours_503)]
    assert not unclean, (unclean[:10], log[-3000:])
    # Every signed-in page asked for while the server was down got the 503 page...
    while_down = [a for a in load.signed_in_since(stopped) if a.at < restarting]
    assert len(while_down) >= 3 and all(a.ours_503 for a in while_down), while_down
    # ...and every other one the officer's page, before, between and after the two outages.
    assert all(a.signed_in_page for a in answers if a.path == "/" and a.status == 200)
    assert sum(a.status == 200 for a in load.signed_in_since(back)) >= 8
    # Served again by the same processes: gunicorn was not restarted, and none of its workers died.
    assert still_serving and workers_after == workers, log[-3000:]
    # The log says what failed, once a request, without a traceback each time, a page's content or the officer.
    assert "Database unavailable (connection)" in log
    assert "Internal Server Error" not in log and "Traceback" not in log and "Olive Officer" not in log
