"""What the benchmarks share: the server's settings, signed-in sessions, a gunicorn to measure, and the context
(machine, database, data sizes) every result carries so that two figures can be compared fairly.

Not a test helper and not part of the product: the benchmarks under bench/ import it by path.
"""

from __future__ import annotations

import json
import math
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
# Keys, static files and the audit checkpoints of the benchmark's server: under var/, which git ignores.
DATA_DIR = ROOT / "var" / "bench"
RESULTS_DIR = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/liaison_bench_run"
PORT = 58401
# The worker class and threads of `liaison serve` (liaison/cli.py); the benchmark fixes the workers at two.
SERVER_THREADS = 4


def log(message: str) -> None:
    """Progress goes to stderr: stdout carries nothing but the one JSON result."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result, indent=2, default=str), flush=True)


def database_url(given: str | None) -> str:
    url = given or os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(f"The benchmarks measure PostgreSQL, the production database; {url!r} is not one.")
    return url


# -- The server's environment ---------------------------------------------------------------------------------


def server_env(url: str, port: int = PORT) -> dict[str, str]:
    """Production settings (no debug, no demo, MFA required) with throw-away keys, on plain HTTP on localhost.

    The fixed keys are for a benchmark database only: they let a later run read the sessions and audit
    checkpoints an earlier one wrote. Mail goes nowhere (nothing measured sends any; a real relay would add
    its own latency, not Liaison's).
    """
    env = dict(os.environ)
    for name in ("LIAISON_DEMO", "LIAISON_DEBUG", "LIAISON_REQUIRE_MFA", "EMAIL_URL", "LIAISON_AUDIT_CHECKPOINT_FILE"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="liaison.settings",
        DATABASE_URL=url,
        LIAISON_DEBUG="0",
        LIAISON_REQUIRE_MFA="1",
        LIAISON_SECRET_KEY="bench-only-secret-key-" + "b" * 48,
        LIAISON_AUDIT_KEY="bench-only-audit-key-" + "a" * 40,
        LIAISON_ALLOWED_HOSTS="127.0.0.1,localhost",
        LIAISON_HTTPS="0",
        LIAISON_BASE_URL=f"http://127.0.0.1:{port}",
        LIAISON_DATA_DIR=str(DATA_DIR),
        LIAISON_LOG_LEVEL="WARNING",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )
    return env


def setup_django(url: str, port: int = PORT) -> None:
    """This process uses the server's settings, so that the sessions it writes are ones the server reads."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.update(server_env(url, port))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def require_migrated() -> None:
    """Figures from a database the code does not match are meaningless (or errors): say so before measuring."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise SystemExit(
            f"The database lacks {len(plan)} migration(s) (first: {plan[0][0].app_label}.{plan[0][0].name}); "
            "migrate it first (bench/run.py does)."
        )


def collect_static(url: str, port: int = PORT) -> None:
    """What `liaison serve` does before it starts gunicorn in production."""
    command = [sys.executable, "-m", "liaison.cli", "manage", "collectstatic", "--noinput", "--verbosity", "0"]
    subprocess.run(command, check=True, cwd=ROOT, env=server_env(url, port), stdout=subprocess.DEVNULL)  # noqa: S603


# -- Context of a result ---------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import psutil

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        # Other work on the machine shows here: figures taken under load are not comparable.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def _connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True)


def database(url: str) -> dict[str, Any]:
    with _connect(url) as connection:
        row = connection.execute(
            "SELECT current_setting('server_version'), pg_database_size(current_database()),"
            " current_setting('shared_buffers'), current_setting('work_mem'), current_setting('max_connections')"
        ).fetchone()
    assert row is not None
    return {
        "engine": "postgresql",
        "server_version": row[0],
        "name": urlsplit(url).path.lstrip("/"),
        "size_mb": round(row[1] / 2**20, 1),
        "shared_buffers": row[2],
        "work_mem": row[3],
        "max_connections": int(row[4]),
    }


def sizes(url: str) -> dict[str, int]:
    """Rows in the tables the figures depend on (exact counts: a million rows count in well under a second)."""
    tables = {
        "cases": "cases_case",
        "feedback": "feedback_feedbackresponse",
        "audit_events": "audit_auditevent",
        "timeline_events": "cases_timelineevent",
        "users": "accounts_user",
        "sites": "org_site",
    }
    found: dict[str, int] = {}
    with _connect(url) as connection:
        for key, table in tables.items():
            exists = connection.execute("SELECT to_regclass(%s)", [table]).fetchone()
            if exists and exists[0]:
                count = connection.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 (fixed names)
                found[key] = int(count[0]) if count else 0
    return found


def context(url: str) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "database": database(url),
        "sizes": sizes(url),
    }


# -- Figures ---------------------------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of values already sorted: always one of the measured values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_summary(seconds: Iterable[float]) -> dict[str, float | None]:
    values = sorted(seconds)
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "p50_ms": round(percentile(values, 0.50) * 1000, 1),
        "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        "max_ms": round(values[-1] * 1000, 1),
    }


# -- Signed-in sessions ----------------------------------------------------------------------------------------


def verified_device(user: Any) -> Any:
    """The user's confirmed authenticator, enrolling one through the real services (and their audit) if needed."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from liaison.accounts.services import mfa_confirm_enrolment, mfa_start_enrolment

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        return device
    device = mfa_start_enrolment(user=user)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    mfa_confirm_enrolment(user=user, device=device, token=f"{code:0{device.digits}d}")
    device.refresh_from_db()
    return device


def signed_in_cookie(user: Any) -> str:
    """A session as the sign-in and MFA pages leave it: the user, their password hash, their verified device.

    Signing in over HTTP would run Argon2 and the TOTP form once per session, which is not what is measured.
    """
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY

    device = verified_device(user)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def officers(limit: int) -> list[Any]:
    """The officers with the most open cases: the ones whose worklists are the heaviest."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from liaison.accounts.permissions import Cap, users_with
    from liaison.cases.models import OPEN_STATUSES, Case

    open_cases = (
        Case.objects.filter(owner=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by()
        .values("owner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    busy = users_with(Cap.CASE_OWN).filter(sites__isnull=False)
    busy = busy.annotate(open_cases=Coalesce(Subquery(open_cases, output_field=IntegerField()), 0))
    found = list(busy.order_by("-open_cases", "pk")[:limit])
    if not found:
        raise SystemExit("No officer in this database: generate data first (liaison generate, or demo_seed).")
    return found


# -- The server under test -------------------------------------------------------------------------------------


class Server:
    """gunicorn as `liaison serve` starts it (gthread), with a fixed number of workers, on 127.0.0.1."""

    def __init__(self, url: str, *, port: int = PORT, workers: int = 2, threads: int = SERVER_THREADS) -> None:
        self.url, self.port, self.workers, self.threads = url, port, workers, threads
        self.log_path = DATA_DIR / f"gunicorn-{port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        # `liaison worker` runs beside the web server in production, and its work is part of the load: it
        # seals the audit events the pages write into the hash chain every two seconds.
        self.worker_log_path = DATA_DIR / f"worker-{port}.log"
        self.background: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def describe(self) -> dict[str, Any]:
        return {
            "server": "gunicorn",
            "worker_class": "gthread",
            "workers": self.workers,
            "threads_per_worker": self.threads,
            "settings": "production (LIAISON_DEBUG=0, MFA required, plain HTTP on 127.0.0.1)",
            "background": "liaison audit seal --every 2 (the worker's sealing of the audit events)",
        }

    def __enter__(self) -> Server:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "gunicorn", "liaison.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers),
            "--worker-class", "gthread",
            "--threads", str(self.threads),
            "--log-level", "warning",
        ]  # fmt: skip
        handle = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 (our interpreter, our arguments)
            command, cwd=ROOT, env=server_env(self.url, self.port), stdout=handle, stderr=subprocess.STDOUT
        )
        # The worker's steady work beside the pages: sealing every two seconds. (Not the whole worker: when it
        # starts it checks and signs the whole audit trail once, minutes of work that would land on the pages.)
        worker = [sys.executable, "-m", "liaison.cli", "manage", "audit", "seal", "--every", "2"]
        self.background = subprocess.Popen(  # noqa: S603 (our interpreter, our arguments)
            worker,
            cwd=ROOT,
            env=server_env(self.url, self.port),
            stdout=self.worker_log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start; see {self.log_path}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as answer:  # noqa: S310 (localhost)
                    if answer.status == 200 and len(self.worker_pids()) >= self.workers:
                        break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            self.__exit__(None, None, None)
            raise SystemExit(f"gunicorn did not answer on {self.base} within 90 s; see {self.log_path}")
        return self

    def __exit__(self, *exc: object) -> None:
        for process in (self.process, self.background):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def master_pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def worker_pids(self) -> list[int]:
        import psutil

        try:
            return [child.pid for child in psutil.Process(self.master_pid()).children()]
        except psutil.NoSuchProcess:
            return []

    def processes(self) -> list[Any]:
        """The master, its workers and `liaison worker` (psutil handles, so CPU times can be read twice)."""
        import psutil

        master = psutil.Process(self.master_pid())
        beside = [psutil.Process(self.background.pid)] if self.background and self.background.poll() is None else []
        return [master, *master.children(), *beside]

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def cpu_seconds(processes: Iterable[Any]) -> float:
    import psutil

    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


class WaitSampler(threading.Thread):
    """What the database's sessions are doing, sampled every ``interval`` seconds from pg_stat_activity.

    Shows whether writers queue on a lock (the audit chain's advisory lock, a row lock on a case sequence) or
    whether the time goes elsewhere. "idle in transaction" is time the application spends in Python while its
    transaction, and any lock it took, stays open.
    """

    def __init__(self, url: str, *, application_name: str = "", interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.url, self.application_name, self.interval = url, application_name, interval
        self.samples = 0
        self.states: Counter[str] = Counter()
        self._stop_event = threading.Event()

    def run(self) -> None:
        query = (
            "SELECT state, coalesce(wait_event_type, ''), coalesce(wait_event, '') FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        params: list[str] = []
        if self.application_name:
            query += " AND application_name = %s"
            params.append(self.application_name)
        with _connect(self.url) as connection:
            while not self._stop_event.wait(self.interval):
                rows = connection.execute(query, params).fetchall()
                self.samples += 1
                for state, kind, event in rows:
                    if state == "active":
                        self.states["running" if not kind else f"waiting {kind}:{event}"] += 1
                    elif state and state.startswith("idle in transaction"):
                        self.states["idle in transaction"] += 1

    def stop(self) -> dict[str, Any]:
        self._stop_event.set()
        self.join(timeout=5)
        busy = sum(self.states.values())
        return {
            "samples": self.samples,
            "busy_sessions_mean": round(busy / self.samples, 2) if self.samples else None,
            "share_of_busy_session_time": {k: round(v / busy, 3) for k, v in self.states.most_common()} if busy else {},
        }


# -- A line chart as plain SVG ---------------------------------------------------------------------------------


def _nice_step(span: float, ticks: int = 6) -> float:
    raw = span / max(ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def svg_line_chart(
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 760,
    height: int = 380,
) -> str:
    """Lines over shared axes starting at zero, with ticks, labels and a legend; the first series is drawn bold."""
    colours = ("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490")
    left, right, top, bottom = 70, 20, 40, 70
    points = [p for _, values in series for p in values]
    x_max = max((x for x, _ in points), default=1.0) or 1.0
    y_top = max((y for _, y in points), default=1.0) or 1.0
    x_step, y_step = _nice_step(x_max), _nice_step(y_top * 1.1)
    x_end, y_end = math.ceil(x_max / x_step) * x_step, math.ceil(y_top * 1.1 / y_step) * y_step
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + plot_w * x / x_end

    def sy(y: float) -> float:
        return top + plot_h * (1 - y / y_end)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
    ]
    tick = 0.0
    while tick <= y_end + 1e-9:
        y = sy(tick)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>')
        tick += y_step
    tick = 0.0
    while tick <= x_end + 1e-9:
        x = sx(tick)
        out.append(f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" y2="{top + plot_h + 5}" stroke="#374151"/>')
        out.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{tick:g}</text>')
        tick += x_step
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#374151"/>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#374151"/>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 36}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(
        f'<text transform="translate(16 {top + plot_h / 2}) rotate(-90)" text-anchor="middle">{escape(y_label)}</text>'
    )
    legend_x = left
    for index, (name, values) in enumerate(series):
        colour = colours[index % len(colours)]
        stroke = 2.5 if index == 0 else 1.2
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in values)
        if path:
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="{stroke}" points="{path}"/>')
        out.append(
            f'<line x1="{legend_x}" y1="{height - 12}" x2="{legend_x + 18}" y2="{height - 12}" '
            f'stroke="{colour}" stroke-width="{stroke}"/>'
        )
        out.append(f'<text x="{legend_x + 23}" y="{height - 8}">{escape(name)}</text>')
        legend_x += 30 + 7 * len(name)
    out.append("</svg>")
    return "\n".join(out) + "\n"
