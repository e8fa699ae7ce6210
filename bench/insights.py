"""Benchmark: the office's dashboard, the board report and a case export over a million cases on PostgreSQL.

    .venv/bin/python bench/insights.py [--cases 1000000] [--database-url postgres://postgres@127.0.0.1:5432/liaison_bench]

Drops and re-creates the (throw-away) database, migrates it, and fills it with ``liaison generate``
(``liaison.ops.generate``): five years of synthetic cases at two sites, 80% of them at the English one, each
worked through as the office would (issues coded, letters, investigation requests, outcomes, referrals, the
audit trail), with every figure column the measures read filled as the services fill it. ``--reuse`` measures
a database filled before (by this script or by ``liaison generate``) without loading anything.

Then it times, warm, the median of three runs each:

- the dashboard (every measure with the previous period and the year before, the 12-month trend, seven
  breakdowns, open cases by age, feedback) for the English site and last month, built and rendered to HTML;
- the same for both sites and the last twelve months;
- the board report for last month, built and rendered to PDF;

and exports every case of the database, once as CSV and once as XLSX, each in a child process that reports
its own peak resident memory, first for 100,000 cases and then for all of them: constant memory shows as
the same peak for both. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/liaison_bench"


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _recreate(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    migrate = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('migrate', verbosity=0)"
    )
    subprocess.run([sys.executable, "-c", migrate], check=True, cwd=ROOT, env=os.environ)  # noqa: S603


# -- Loading ---------------------------------------------------------------------------------------------------


def _load(cases: int, feedback: int) -> dict[str, Any]:
    from liaison.cases.models import ExternalReferral, Issue
    from liaison.ops.generate import generate

    report = generate(cases, feedback, sites=2, years=5, seed=20261203)
    manager, sites = _generated_people_and_sites()
    return {
        "cases": report.counts["cases_case"],
        "issues": Issue.objects.count(),
        "referrals": ExternalReferral.objects.count(),
        "load_seconds": report.seconds,
        "rows": report.counts,
        "manager": manager,
        "sites": sites,
    }


def _generated_people_and_sites() -> tuple[Any, tuple[Any, Any]]:
    """The head of the office (a manager at every site) and the first two synthetic sites (England, US)."""
    from liaison.accounts.models import User
    from liaison.ops.generate_world import EMAIL_DOMAIN
    from liaison.ops.models import SyntheticSite

    english, american = (marker.site for marker in SyntheticSite.objects.select_related("site").order_by("pk")[:2])
    manager = User.objects.filter(email=f"director@{EMAIL_DOMAIN}").first()
    if manager is None:  # a database generated before the director existed: the English site's first manager
        manager = User.objects.get(email=f"manager1.{english.code.lower()}@{EMAIL_DOMAIN}")
    return manager, (english, american)


# -- Timing ----------------------------------------------------------------------------------------------------


def _median_seconds(work: Any, runs: int = 3) -> tuple[float, list[float]]:
    work()  # warm: the first run reads the pages into the cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3), [round(t, 3) for t in times]


def _dashboard(filters: Any) -> None:
    from django.template.loader import render_to_string

    from liaison.insights import dashboard as board
    from liaison.insights.forms import InsightsFilterForm

    data = board.build(filters)
    render_to_string(
        "insights/dashboard.html", {"data": data, "filters": filters, "form": InsightsFilterForm(user=_MANAGER[0])}
    )


_MANAGER: list[Any] = []


def _board_report(site: Any, period: Any, manager: Any) -> None:
    from liaison.insights.reports.produce import report_produce

    produced = report_produce(acting_user=manager, kind="board", site=site, period=period, fmt="pdf")
    assert produced.content.startswith(b"%PDF")


def _export_child(fmt: str, limit: int, out: str) -> dict[str, Any]:
    code = f"""
import json, os, sys, time
sys.path.insert(0, {str(ROOT)!r})
import django; django.setup()
from liaison.cases.models import Case
from liaison.insights.exports import export_cases
cases = Case.objects.order_by("pk")[:{limit}]
started = time.perf_counter()
with open({out!r}, "wb") as handle:
    rows = export_cases(cases, fmt={fmt!r}, out=handle, identity=True)
# VmHWM: this process's own peak (getrusage's maxrss would carry the parent's over from the fork).
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
seconds = round(time.perf_counter() - started, 1)
size = round(os.path.getsize({out!r}) / 1048576, 1)
print(json.dumps({{"rows": rows, "seconds": seconds, "peak_rss_mb": round(peak / 1024, 1), "file_mb": size}}))
"""
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, check=True, cwd=ROOT, env=os.environ, capture_output=True, text=True)  # noqa: S603
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--feedback", type=int, default=0, help="feedback answers to generate with the cases")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()
    _setup(args.database_url)
    from django.db import connection

    from liaison.cases.models import Case
    from liaison.insights import dashboard as board
    from liaison.insights.forms import last_full_month
    from liaison.insights.measures import Period

    if args.reuse and Case.objects.exists():
        loaded: dict[str, Any] = {"cases": Case.objects.count(), "reused": True}
        manager, (rgh, hpm) = _generated_people_and_sites()
    else:
        _recreate(args.database_url)
        connection.close()
        loaded = _load(args.cases, args.feedback)
        manager = loaded.pop("manager")
        rgh, hpm = loaded.pop("sites")
    _MANAGER.append(manager)
    month = last_full_month()
    first = month.start.year * 12 + month.start.month - 1 - 11  # twelve months, ending with last month
    year = Period(date(first // 12, first % 12 + 1, 1), month.end)
    result: dict[str, Any] = {"database": connection.vendor, "loaded": loaded}
    one_site = board.Filters(sites=[rgh], period=month)
    both_year = board.Filters(sites=[rgh, hpm], period=year)
    result["dashboard_one_site_last_month_s"], result["dashboard_runs"] = _median_seconds(lambda: _dashboard(one_site))
    result["dashboard_both_sites_twelve_months_s"], result["dashboard_year_runs"] = _median_seconds(
        lambda: _dashboard(both_year)
    )
    result["board_report_pdf_s"], result["board_report_runs"] = _median_seconds(
        lambda: _board_report(rgh, month, manager)
    )
    if not args.skip_export:
        with tempfile.TemporaryDirectory() as folder:
            total = Case.objects.count()
            result["export"] = {
                f"{fmt}_{limit}": _export_child(fmt, limit, str(Path(folder) / f"cases.{fmt}"))
                for fmt in ("csv", "xlsx")
                for limit in sorted({min(100_000, total), total})
            }
    result["this_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
