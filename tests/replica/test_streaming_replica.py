"""A real primary and a real streaming standby, and Liaison served by gunicorn against both.

Replay on the standby is paused, so that it is visibly behind: a case logged then shows on the case page (the
primary) but not on the dashboard, its drill-down or the worklist download (the replica) until replay resumes.
The audit rows those pages write are on the primary. With the standby stopped, the same pages are served from
the primary, and the warning logged about it names no patient.

PostgreSQL only: a replica is a PostgreSQL standby. Needs the server binaries (``initdb``, ``pg_ctl``,
``pg_basebackup``) under /usr/lib/postgresql/*/bin, and ports 55433, 55434 and 58201 free.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookiejar import Cookie
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.utils import timezone

from tests.html_forms import HtmlForm, parse_forms

REPO = Path(__file__).resolve().parents[2]
PRIMARY_PORT, REPLICA_PORT, WEB_PORT = 55433, 55434, 58201
DB_NAME = "liaison_replica_rig"
PATIENT = "Rowena Quillfeather"  # a name to look for where it must never be: the server's log

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="a read replica is a PostgreSQL streaming standby; this runs only with DATABASE_URL on PostgreSQL",
)


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


# -- Two clusters in a temporary folder --------------------------------------------------------------------


@dataclass
class Clusters:
    root: Path
    bin: Path
    started: list[Path] = field(default_factory=list)

    def as_postgres(self, *command: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a server binary as ``postgres`` when we are root (initdb and the server refuse to run as root)."""
        argv = [str(c) for c in command]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        return done

    def start(self, data: Path) -> None:
        log = data.parent / f"{data.name}.log"
        done = self.as_postgres(self.bin / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "30", "start", check=False)
        if done.returncode != 0:  # e.g. the port is taken by a server left over from an interrupted run
            raise AssertionError(f"the {data.name} server did not start:\n{log.read_text(errors='replace')[-3000:]}")
        self.started.append(data)

    def stop(self, data: Path) -> None:
        self.as_postgres(self.bin / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop", check=False)
        if data in self.started:
            self.started.remove(data)

    @property
    def replica_log(self) -> Path:
        return self.root / "replica.log"


def _scratch() -> str | None:
    """Memory-backed /dev/shm when it has room (the clusters take a few hundred MB), else the temp folder."""
    try:
        shm = os.statvfs("/dev/shm")
    except OSError:
        return None
    return "/dev/shm" if shm.f_bavail * shm.f_frsize > 2 * 1024**3 else None


def _url(port: int) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{DB_NAME}"


def _sql(port: int, query: str, params: tuple[Any, ...] = (), *, db: str = DB_NAME) -> list[tuple[Any, ...]]:
    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname=db, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def _wait_until(what: str, check: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting until {what}")


def _replica_caught_up() -> bool:
    [(lsn,)] = _sql(PRIMARY_PORT, "SELECT pg_current_wal_lsn()::text")
    [(done,)] = _sql(REPLICA_PORT, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,))
    return bool(done)


@pytest.fixture(scope="module")
def clusters() -> Iterator[Clusters]:
    pg_bin = _pg_bin()
    if pg_bin is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) are not installed")
    root = Path(tempfile.mkdtemp(prefix="liaison-replica-", dir=_scratch()))
    rig = Clusters(root=root, bin=pg_bin)
    try:
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        root.chmod(0o700)
        primary, replica = root / "primary", root / "replica"
        rig.as_postgres(pg_bin / "initdb", "-D", primary, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {PRIMARY_PORT}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{root}'\n"
                "wal_level = replica\nmax_wal_senders = 4\n"
                # A throwaway pair: no durability, and little WAL kept, so that it starts and goes quickly.
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_wal_size = 64MB\nmin_wal_size = 32MB\n"
            )
        with (primary / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        rig.start(primary)
        rig.as_postgres(
            pg_bin / "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(PRIMARY_PORT), "-U", "postgres", "-D", replica),
            *("-R", "-X", "stream", "--checkpoint=fast", "--no-sync"),
        )
        with (replica / "postgresql.conf").open("a") as conf:
            # Every statement the standby runs is logged: the reports and the feedback dashboard are shown to
            # read from it by their queries appearing there.
            conf.write(f"port = {REPLICA_PORT}\nhot_standby = on\nlog_statement = 'all'\n")
        rig.start(replica)
        _sql(PRIMARY_PORT, f"CREATE DATABASE {DB_NAME}", db="postgres")
        yield rig
    finally:
        for data in list(reversed(rig.started)):
            rig.stop(data)
        shutil.rmtree(root, ignore_errors=True)


# -- Liaison on both: migrated, seeded, served --------------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("LIAISON_", "DATABASE_URL", "DJANGO_"))}
    return {**keep, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": _url(PRIMARY_PORT), **extra}


SEED = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
from conftest import login_verified, make_cast
cast = make_cast()
client = login_verified(Client(), cast.manager)
print(json.dumps({"session": client.cookies[settings.SESSION_COOKIE_NAME].value}))
"""


@dataclass
class Browser:
    """Just enough of a browser over urllib: a cookie jar, CSRF from the page, redirects followed."""

    base: str
    opener: urllib.request.OpenerDirector

    def get(self, path: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), exc.read().decode()

    def post(self, path: str, data: dict[str, list[str]]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), exc.read().decode()


@dataclass
class Served:
    clusters: Clusters
    browser: Browser
    log: Path


def _form(page: str, having: str) -> HtmlForm:
    """The page's posted form that has the field ``having``."""
    forms = [f for f in parse_forms(page) if f.method.lower() == "post" and having in f.fields]
    assert forms, f"no form with {having!r} on the page"
    return forms[0]


@pytest.fixture(scope="module")
def served(clusters: Clusters) -> Iterator[Served]:
    data_dir = clusters.root / "liaison-data"
    data_dir.mkdir()
    env = _env(LIAISON_DATA_DIR=str(data_dir))
    migrate = subprocess.run(
        [sys.executable, "-m", "liaison.cli", "manage", "migrate", "--noinput", "--verbosity", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    seeded = subprocess.run(
        [sys.executable, "-c", SEED], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    session = json.loads(seeded.stdout.strip().splitlines()[-1])["session"]
    _wait_until("the replica has replayed the migrations and the seed", _replica_caught_up)

    log = clusters.root / "gunicorn.log"
    web_env = {**env, "LIAISON_REPLICA_DATABASE_URL": _url(REPLICA_PORT), "LIAISON_LOG_LEVEL": "INFO"}
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "liaison.wsgi:application"),
                *("--bind", f"127.0.0.1:{WEB_PORT}", "--workers", "1", "--worker-class", "gthread", "--threads", "2"),
                *("--graceful-timeout", "2", "--no-control-socket"),
            ],
            cwd=REPO,
            env=web_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        jar = urllib.request.HTTPCookieProcessor()
        opener = urllib.request.build_opener(jar)
        browser = Browser(f"http://127.0.0.1:{WEB_PORT}", opener)

        def answering() -> bool:
            assert server.poll() is None, log.read_text()[-3000:]
            try:
                return browser.get("/accounts/login/")[0] == 200
            except OSError:
                return False

        _wait_until("gunicorn answers", answering, seconds=60)
        # Signed in as the manager, with both factors, by the seed script's session.
        jar.cookiejar.set_cookie(
            Cookie(
                version=0,
                name=settings.SESSION_COOKIE_NAME,
                value=session,
                port=None,
                port_specified=False,
                domain="127.0.0.1",
                domain_specified=False,
                domain_initial_dot=False,
                path="/",
                path_specified=True,
                secure=False,
                expires=None,
                discard=False,
                comment=None,
                comment_url=None,
                rest={},
            )
        )
        yield Served(clusters, browser, log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


# -- Reading the pages ------------------------------------------------------------------------------------


def _period() -> str:
    today = timezone.now().date()
    # A day either side: the site's calendar (London) and the server's (UTC) may be on different days.
    return urllib.parse.urlencode(
        {
            "site": "RGH",
            "date_from": (today - timedelta(days=1)).isoformat(),
            "date_to": (today + timedelta(days=1)).isoformat(),
        }
    )


def _received_tile(page: str) -> int:
    """The number on the dashboard's "received" tile (its link to the cases it counts)."""
    for href, text in re.findall(r'<a[^>]*href="([^"]+)"[^>]*>(.*?)</a>', page, flags=re.S):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(html.unescape(href)).query)
        if query.get("measure") == ["received"] and "part" not in query:
            return int(re.sub(r"<[^>]+>", "", text).split(":")[0].strip())
    raise AssertionError("no 'received' tile on the dashboard")


def _references(page: str) -> set[str]:
    return set(re.findall(r"\bRGH-\d{4}-\d{5}\b", page))


def _dashboard(browser: Browser) -> int:
    status, _, page = browser.get(f"/insights/?{_period()}")
    assert status == 200, page[:500]
    return _received_tile(page)


def _drilldown(browser: Browser) -> set[str]:
    status, _, page = browser.get(f"/insights/cases/?{_period()}&measure=received")
    assert status == 200, page[:500]
    return _references(page)


def _export(browser: Browser) -> set[str]:
    status, _, body = browser.get("/insights/exports/cases.csv?view=site&status=")
    assert status == 200, body[:500]
    return {cell for row in csv.reader(io.StringIO(body)) for cell in row if re.fullmatch(r"RGH-\d{4}-\d{5}", cell)}


def _audit_count(port: int, action: str) -> int:
    [(count,)] = _sql(port, "SELECT count(*) FROM audit_auditevent WHERE action = %s", (action,))
    return int(count)


def _log_case(browser: Browser) -> tuple[str, str]:
    """Log a case through the intake form; the page it lands on, and the case's reference."""
    status, _, page = browser.get("/cases/new/")
    assert status == 200, page[:500]
    form = _form(page, "patient_name")
    data = form.base_data(plausible=False)
    data.update(
        {
            "patient_name": [PATIENT],
            "account": ["The appointment letter came after the appointment."],
            "received_at": [""],
            "save": ["1"],
        }
    )
    status, landed, page = browser.post("/cases/new/", data)
    assert status == 200, page[:1000]
    match = re.search(r"/cases/(RGH-\d{4}-\d{5})/$", landed)
    assert match, f"intake did not land on a case page but on {landed}: {page[:1000]}"
    return match.group(1), page


def _pause_replay() -> None:
    _sql(REPLICA_PORT, "SELECT pg_wal_replay_pause()")
    _wait_until(
        "replay is paused", lambda: _sql(REPLICA_PORT, "SELECT pg_get_wal_replay_pause_state()")[0][0] == "paused"
    )


def _resume_replay() -> None:
    _sql(REPLICA_PORT, "SELECT pg_wal_replay_resume()")
    _wait_until("the replica has caught up", _replica_caught_up)


# -- The behaviour --------------------------------------------------------------------------------------------


def test_dashboards_read_the_replica_while_writes_and_the_case_page_use_the_primary(served: Served) -> None:
    browser = served.browser
    before_count, before_listed, before_exported = _dashboard(browser), _drilldown(browser), _export(browser)
    _pause_replay()
    try:
        # (b) The write, and the page that reads it back, work on the primary while the replica stands still.
        reference, case_page = _log_case(browser)
        assert reference in case_page and PATIENT in case_page
        status, _, edit_page = browser.get(f"/cases/{reference}/edit/")
        assert status == 200
        edit = _form(edit_page, "version").base_data(plausible=False)
        edit["desired_outcome"] = ["A new appointment and an apology."]
        status, landed, case_page = browser.post(f"/cases/{reference}/edit/", edit)
        assert status == 200 and landed.endswith(f"/cases/{reference}/"), case_page[:1000]
        assert "A new appointment and an apology." in case_page
        [(stored,)] = _sql(PRIMARY_PORT, "SELECT desired_outcome FROM cases_case WHERE reference = %s", (reference,))
        assert stored == "A new appointment and an apology."
        assert _sql(REPLICA_PORT, "SELECT 1 FROM cases_case WHERE reference = %s", (reference,)) == []

        # (a) The dashboard, its drill-down and the download are read from the replica: the case is not there yet.
        views_before = _audit_count(PRIMARY_PORT, "insights.dashboard_view")
        assert _dashboard(browser) == before_count
        assert reference not in _drilldown(browser) and _drilldown(browser) == before_listed
        assert _export(browser) == before_exported

        # (c) The audit row of viewing the dashboard was written on the primary (the paused replica lacks it).
        assert _audit_count(PRIMARY_PORT, "insights.dashboard_view") == views_before + 1
        assert _audit_count(REPLICA_PORT, "insights.dashboard_view") < views_before + 1
        [(exports_on_primary,)] = _sql(
            PRIMARY_PORT, "SELECT count(*) FROM audit_auditevent WHERE action = 'export.cases'"
        )
        assert exports_on_primary == 2  # the download before the pause and the one during it
    finally:
        _resume_replay()

    # Replayed: the replica now has the case, and the same pages show it.
    assert _dashboard(browser) == before_count + 1
    assert reference in _drilldown(browser)
    assert reference in _export(browser)


def test_reports_and_the_feedback_dashboard_query_the_replica(served: Served) -> None:
    browser = served.browser
    replica_log = served.clusters.replica_log

    def replica_queries_during(path: str) -> str:
        mark = replica_log.stat().st_size
        status, _, body = browser.get(path)
        assert status == 200, body[:500]
        time.sleep(0.3)  # the server's logger writes asynchronously
        with replica_log.open("rb") as read:
            read.seek(mark)
            return read.read().decode(errors="replace")

    today = timezone.now().date()
    period = urllib.parse.urlencode({"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()})
    report = replica_queries_during(f"/insights/reports/download/?kind=board&site=RGH&{period}&format=csv")
    assert "cases_case" in report
    feedback = replica_queries_during("/feedback/")
    assert "feedback_feedbackresponse" in feedback
    # The case page is not marked: nothing of it reaches the replica.
    reference, _ = _log_case(browser)
    assert "cases_case" not in replica_queries_during(f"/cases/{reference}/")


def test_with_the_replica_down_the_dashboard_is_served_from_the_primary(served: Served) -> None:
    browser = served.browser
    served.clusters.stop(served.clusters.root / "replica")
    # Written only to the primary now: the pages can show it only by reading the primary.
    reference, _ = _log_case(browser)
    [(on_primary,)] = _sql(
        PRIMARY_PORT, "SELECT count(*) FROM cases_case c JOIN org_site s ON s.id = c.site_id WHERE s.code = 'RGH'"
    )
    assert _dashboard(browser) == on_primary
    assert reference in _drilldown(browser)
    assert reference in _export(browser)
    log = served.log.read_text(errors="replace")
    assert "The read replica (database 'replica') cannot be reached (OperationalError)" in log
    assert log.count("cannot be reached") == 1  # not tried again on every page
    assert PATIENT not in log and reference not in log
