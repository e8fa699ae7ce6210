"""Benchmark: cases logged per second through the intake service, with its audit row and clocks, on PostgreSQL.

    .venv/bin/python bench/create.py [--database-url URL] [--quick] [--duration 20] [--levels 1,2,4,8]

Calls ``liaison.cases.services.case_open`` (what the intake form calls) back to back for a fixed time after a
warm-up: first in one process, then in 2, 4 and 8 processes at once, each with its own database connection, as
the officers of one site (every case takes the site's next reference, so this is where writers queue). A
sealer runs beside them as the worker does in production, sealing the new audit events into the hash chain
every two seconds. Reports cases per second and the latency of one creation, and samples what the writers'
database sessions were doing: waiting on a row lock (the site's reference sequence), on the disk, or running.
Checks afterwards that every case has its audit row, sealed, and its clocks. Prints one JSON object.

The cases are added to the database measured (they are synthetic, like the rest of a benchmark database).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import time
import traceback
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # bench/ is not a package: found through the path above

GOAL_PER_S = 200
APPLICATION_NAME = "liaison-bench-create"
CATEGORIES = ("quality", "safety", "environment", "institutional_processes", "listening", "communication")
STAGES = ("admissions", "examination_diagnosis", "ward_care", "operation_procedure", "discharge_transfer", "other")
CHANNELS = ("phone", "email", "letter", "web_form", "in_person")


def _fields(rng: random.Random, n: int, today: date) -> dict[str, Any]:
    """What an officer types at intake for a named patient, with one coded issue (synthetic values)."""
    return {
        "patient_known": True,
        "patient_name": f"Bench Intake {n}",
        "patient_mrn": f"BI{n:09d}",
        "patient_dob": today - timedelta(days=rng.randint(365, 90 * 365)),
        "patient_phone": "01632 960000",
        "complainant_is_patient": True,
        "event_date": today - timedelta(days=rng.randint(1, 60)),
        "account": "A synthetic account written for the benchmark, long enough to look like a real one. " * 3,
        "desired_outcome": "An explanation and an apology.",
        "risk_consequence": rng.randint(1, 5),
        "risk_likelihood": rng.randint(1, 5),
    }


def _worker(
    index: int, user_pk: int, site_pk: int, window: tuple[float, float, float], results: Any, seed: int
) -> None:
    """One officer logging cases back to back; the figures of those finished inside the window go back."""
    try:
        from django.db import connection

        # Named, so the parent can tell this process's database session from any other one.
        connection.settings_dict.setdefault("OPTIONS", {})["application_name"] = APPLICATION_NAME
        from django.utils import timezone

        from liaison.accounts.models import User
        from liaison.cases.services import case_open
        from liaison.org.models import Department, Site

        user, site = User.objects.get(pk=user_pk), Site.objects.get(pk=site_pk)
        departments = list(Department.objects.filter(site=site))
        rng = random.Random(seed * 1000 + index)  # noqa: S311 (synthetic data)
        starts, opens, closes = window
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        today = timezone.localdate()
        n = 0
        time.sleep(max(0.0, starts - time.monotonic()))
        while time.monotonic() < closes:
            n += 1
            issue = {
                "category": rng.choice(CATEGORIES),
                "severity": rng.randint(1, 3),
                "stage_of_care": rng.choice(STAGES),
                "department": rng.choice(departments) if departments else None,
                "summary": "A synthetic issue logged by the benchmark",
            }
            began = time.monotonic()
            try:
                case_open(
                    acting_user=user,
                    site=site,
                    case_type=rng.choice(("complaint", "complaint", "concern")),
                    channel=rng.choice(CHANNELS),
                    owner=user,
                    issues=[issue],
                    **_fields(rng, seed * 10**8 + index * 10**6 + n, today),
                )
            except Exception as exc:  # every failure is counted and shown, none stops the run
                if opens <= time.monotonic() <= closes:
                    errors[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1
                continue
            done = time.monotonic()
            if opens <= done <= closes:
                latencies.append(done - began)
        results.put({"latencies": latencies, "errors": dict(errors)})
    except Exception:
        results.put({"latencies": [], "errors": {"worker crashed": 1}, "traceback": traceback.format_exc()})


def _high_water(url: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM cases_case), (SELECT coalesce(max(id), 0) FROM audit_auditevent)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _sealer(stop_at: float) -> None:
    """What `liaison worker` does beside the web server: seal the new audit events every two seconds."""
    from django.db import connections

    from liaison.audit.sealing import SEAL_EVERY_SECONDS, seal_pending

    connections.close_all()
    while time.monotonic() < stop_at:
        time.sleep(SEAL_EVERY_SECONDS)
        seal_pending(wait=False)
    connections.close_all()


def _verify(url: str, case_after: int, audit_after: int) -> dict[str, int]:
    """The rows a user (or an auditor) would look for: each new case, its audit row (sealed), its deadline."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        cases = connection.execute(
            "SELECT count(*), count(next_due_at) FROM cases_case WHERE id > %s", [case_after]
        ).fetchone()
        audited = connection.execute(
            "SELECT count(*), count(seq) FROM audit_auditevent WHERE id > %s AND action = 'case.create'",
            [audit_after],
        ).fetchone()
    assert cases is not None and audited is not None
    return {
        "cases_added": cases[0],
        "with_a_deadline": cases[1],
        "case_create_audit_rows": audited[0],
        "sealed_by_the_end": audited[1],  # by the worker-like sealer, every two seconds
    }


def run_level(
    url: str, processes: int, officers: list[tuple[int, int]], duration: float, warmup: float, seed: int
) -> dict[str, Any]:
    import psutil
    from django.db import connections

    connections.close_all()  # a forked child must open its own connection, never share the parent's
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    starts = time.monotonic() + 1.0
    window = (starts, starts + warmup, starts + warmup + duration)
    case_before, audit_before = _high_water(url)
    children = [
        context.Process(target=_worker, args=(i, *officers[i % len(officers)], window, results, seed), daemon=True)
        for i in range(processes)
    ]
    for child in children:
        child.start()
    sealer = context.Process(target=_sealer, args=(window[2] + 2.5,), daemon=True)
    sealer.start()
    time.sleep(max(0.0, window[1] - time.monotonic()))
    handles = [psutil.Process(child.pid) for child in children if child.pid is not None]
    cpu_before = common.cpu_seconds(handles)
    sampler = common.WaitSampler(url, application_name=APPLICATION_NAME, interval=0.05)
    sampler.start()
    time.sleep(max(0.0, window[2] - time.monotonic()))
    waits = sampler.stop()
    cpu = common.cpu_seconds(handles) - cpu_before
    gathered = [results.get(timeout=120) for _ in children]
    for child in [*children, sealer]:
        child.join(timeout=30)
    latencies = [x for g in gathered for x in g["latencies"]]
    errors: Counter[str] = Counter()
    for g in gathered:
        errors.update(g["errors"])
    level: dict[str, Any] = {
        "cases": len(latencies),
        "cases_per_s": round(len(latencies) / duration, 1),
        **common.latency_summary(latencies),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "worker_cpu_cores": round(cpu / duration, 2),
        "database_sessions": waits,
        "check": _verify(url, case_before, audit_before),
    }
    crashes = [g["traceback"] for g in gathered if "traceback" in g]
    if crashes:
        level["worker_traceback"] = crashes[0][-2000:]
    return level


def _api_creation() -> str:
    from liaison.api.v1 import api

    for path, operations in api.get_openapi_schema()["paths"].items():
        if "post" in operations and path.rstrip("/").endswith("/cases"):
            return f"available at POST {path}, not measured yet: add it to bench/create.py"
    return "not available: /api/v1/ has no case-creation operation"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--quick", action="store_true", help="3 s per level after a 1 s warm-up")
    parser.add_argument("--duration", type=float, default=None, help="seconds measured per level (default 20)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds before each level's window (default 3)")
    parser.add_argument("--levels", default="1,2,4,8", help="concurrent processes, comma-separated")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    args = parser.parse_args()
    duration = args.duration if args.duration is not None else (3.0 if args.quick else 20.0)
    warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    url = common.database_url(args.database_url)
    common.setup_django(url)
    common.require_migrated()

    from liaison.accounts.permissions import Cap, users_with

    busiest = common.officers(1)[0]
    site = busiest.sites.order_by("pk").first()
    colleagues = list(users_with(Cap.CASE_WORK, site).order_by("pk")[: max(levels)])
    officers = [(u.pk, site.pk) for u in colleagues]
    result: dict[str, Any] = {"benchmark": "create", **common.context(url)}
    result["setup"] = {
        "service": "liaison.cases.services.case_open (the intake form's service): case, one issue, clocks, "
        "timeline, audit row, in one transaction",
        "concurrency": "separate processes, one database connection each",
        "site": f"one site (id {site.pk}, {site.policy_pack}): every case takes its next reference",
        "officers": len(officers),
        "levels": levels,
        "duration_s": duration,
        "warmup_s": warmup,
    }
    result["goal"] = {"cases_per_s": GOAL_PER_S}
    figures: dict[str, Any] = {}
    for processes in levels:
        common.log(f"case_open: {processes} process(es), {warmup:g} s warm-up + {duration:g} s")
        figures[str(processes)] = run_level(url, processes, officers, duration, warmup, args.seed)
    result["figures"] = {"service": figures, "api": _api_creation()}
    best = max((f["cases_per_s"] for f in figures.values()), default=0.0)
    result["best_cases_per_s"] = best
    result["meets_goal"] = best >= GOAL_PER_S and all(f["errors"] == 0 for f in figures.values())
    result["errors_total"] = sum(f["errors"] for f in figures.values())
    common.emit(result)


if __name__ == "__main__":
    main()
