"""Benchmark: the office's dashboard, the board report and a case export over a million cases on PostgreSQL.

    .venv/bin/python bench/insights.py [--cases 1000000] [--database-url postgres://postgres@127.0.0.1:5432/liaison_bench]

Drops and re-creates the (throw-away) database, migrates it, and loads five years of synthetic cases with
PostgreSQL's COPY: two sites, 80% of the cases at the English one; about 1.3 coded issues per complaint or
concern; 1% referred; the cases older than four months closed. Every figure column the measures read is
filled as the services would fill it. Then it times, warm, the median of three runs each:

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
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
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

OPEN = ("new", "acknowledged", "under_investigation", "response_drafted", "responded")
# The values of the models' choices (HcatCategory, StageOfCare, StaffGroup), so every label and mapping is used.
CATEGORIES = (
    "quality", "safety", "environment", "institutional_processes", "listening", "communication", "respect_rights",
)  # fmt: skip
STAGES = ("admissions", "examination_diagnosis", "ward_care", "operation_procedure", "discharge_transfer", "other")
GROUPS = ("medical", "nursing", "allied_health", "administrative", "other", "")
CHANNELS = ("phone", "email", "letter", "web_form", "in_person")
OUTCOMES = ("upheld", "partly_upheld", "not_upheld")


def _load(cases: int) -> dict[str, Any]:
    from django.db import connection
    from psycopg.types.json import Jsonb

    from liaison.accounts.services import user_create
    from liaison.cases.models import Case, ExternalReferral, Issue
    from liaison.org.models import Department
    from liaison.org.services import department_create, site_create

    rgh = site_create(
        acting_user=None, name="Riverside General", code="RGH", policy_pack="england_nhs", time_zone="Europe/London"
    )
    hpm = site_create(
        acting_user=None, name="Harbor Point", code="HPM", policy_pack="us_cms", time_zone="America/New_York"
    )
    departments = {
        site.pk: [
            department_create(acting_user=None, site=site, name=name).pk
            for name in ("Emergency", "Cardiology", "Maternity", "Surgery", "Outpatients", "Children's ward")
        ]
        for site in (rgh, hpm)
    }
    manager = user_create(
        acting_user=None, email="manager@bench.invalid", full_name="Bench Manager", password="bench password 77",
        roles=["manager"], sites=[rgh, hpm],
    )  # fmt: skip
    assert Department.objects.count() == 12
    rng = random.Random(20261203)  # noqa: S311 - synthetic data, not secrets
    now = datetime.now(UTC)
    span = timedelta(days=5 * 365)
    case_fields = [f for f in Case._meta.concrete_fields]
    issue_fields = [f for f in Issue._meta.concrete_fields]
    first_id = 1
    started = time.perf_counter()
    issue_rows: list[list[Any]] = []
    referral_rows: list[list[Any]] = []
    with connection.cursor() as cursor:
        columns = ", ".join(f'"{f.column}"' for f in case_fields)
        with cursor.connection.cursor().copy(f"COPY cases_case ({columns}) FROM STDIN") as copy:
            for n in range(cases):
                pk = first_id + n
                received_at = now - span * (1 - n / cases) - timedelta(minutes=rng.randrange(0, 600))
                site = rgh if rng.random() < 0.8 else hpm
                values = _case(rng, pk, site, received_at, now, departments[site.pk])
                copy.write_row([_column(f, values, Jsonb) for f in case_fields])
                if values["case_type"] in ("complaint", "concern", "grievance"):
                    for _ in range(1 if rng.random() < 0.7 else 2):
                        issue_rows.append(_issue(rng, pk, departments[site.pk]))
                if rng.random() < 0.01 and values["status"] not in OPEN:
                    body = "ombudsman" if site is rgh else rng.choice(("qio", "state_agency"))
                    referral_rows.append([pk, body, (received_at + timedelta(days=70)).date(), "", "", manager.pk])
        issue_columns = ", ".join(f'"{f.column}"' for f in issue_fields if f.attname != "id")
        with cursor.connection.cursor().copy(f"COPY cases_issue ({issue_columns}) FROM STDIN") as copy:
            for row in issue_rows:
                copy.write_row(row)
        with cursor.connection.cursor().copy(
            "COPY cases_externalreferral (case_id, body, referred_on, reference, notes, created_by_id) FROM STDIN"
        ) as copy:
            for row in referral_rows:
                copy.write_row(row)
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [first_id + cases])
        cursor.execute("ANALYZE")
    return {
        "cases": Case.objects.count(),
        "issues": Issue.objects.count(),
        "referrals": ExternalReferral.objects.count(),
        "load_seconds": round(time.perf_counter() - started, 1),
        "manager": manager,
        "sites": (rgh, hpm),
    }


def _case(
    rng: random.Random, pk: int, site: Any, received_at: datetime, now: datetime, departments: list[int]
) -> dict[str, Any]:
    uk = site.policy_pack != "us_cms"
    kind = rng.choices(("complaint", "concern", "compliment"), weights=(45, 40, 15))[0]
    if not uk and kind != "compliment":
        kind = "grievance"
    age = (now - received_at).days
    status = "closed" if age > 120 else rng.choice(OPEN)
    if status == "closed" and rng.random() < 0.03:
        status = "withdrawn"
    values: dict[str, Any] = {
        "id": pk,
        "site_id": site.pk,
        "reference": f"{site.code}-B{pk:08d}",
        "case_type": kind,
        "channel": rng.choice(CHANNELS),
        "received_at": received_at,
        "received_on": received_at.astimezone(site.zone).date(),
        "status": status,
        "patient_name": f"Bench Patient {pk}",
        "patient_mrn": f"B{pk:08d}",
        "account": "A synthetic account for the benchmark.",
        "reported_department_id": rng.choice(departments),
        "created_at": received_at,
        "updated_at": received_at,
    }
    if kind == "compliment":
        values["closed_at"] = values["stopped_at"] = received_at + timedelta(days=2)
        values["status"] = "closed"
        values["finished_once"] = True
        return values
    ack_days = rng.choice((0, 1, 1, 2, 2, 3, 3, 4, 6))
    respond_days = rng.randint(8, 45)
    if uk and kind == "complaint":
        values["ack_due_at"] = received_at + timedelta(days=4)
        values["response_due_at"] = received_at + timedelta(days=35)
        if age > ack_days:
            values["acknowledged_at"] = received_at + timedelta(days=ack_days, hours=2)
            values["days_to_acknowledge"] = ack_days
    if not uk:
        values["interim_due_at"] = values["response_due_at"] = received_at + timedelta(days=7)
    if kind != "concern" and age > respond_days:
        values["first_responded_at"] = values["responded_at"] = received_at + timedelta(days=respond_days)
        values["days_to_respond"] = respond_days
        values["interim_done_at"] = values["responded_at"] if not uk else None
        values["outcome"] = rng.choice(OUTCOMES)
        values["finished_once"] = True
    if kind == "concern" and status != "closed" and rng.random() < 0.5:
        values["informal_outcome"] = "resolved_first_contact"
    if values["status"] in ("closed", "withdrawn"):
        values["closed_at"] = values["stopped_at"] = received_at + timedelta(days=respond_days + 3)
        values["finished_once"] = True
    else:
        values["next_due_at"] = values.get("response_due_at") or received_at + timedelta(days=30)
        values["next_due_name"] = "Response"
    values["reopened"] = bool(values.get("finished_once")) and rng.random() < 0.03
    return values


def _column(field: Any, values: dict[str, Any], jsonb: Any) -> Any:
    if field.attname in values:
        return values[field.attname]
    if field.has_default():
        default = field.get_default()
        return jsonb(default) if isinstance(default, list | dict) else default
    if field.null:
        return None
    return ""


def _issue(rng: random.Random, case_id: int, departments: list[int]) -> list[Any]:
    # case, category, severity, stage of care, department, staff group, staff member, summary, finding, outcome
    return [
        case_id, rng.choice(CATEGORIES), rng.randint(0, 3), rng.choice(STAGES), rng.choice(departments),
        rng.choice(GROUPS), None, "A synthetic issue", "", "",
    ]  # fmt: skip


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
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()
    _setup(args.database_url)
    from django.db import connection

    from liaison.accounts.models import User
    from liaison.cases.models import Case
    from liaison.insights import dashboard as board
    from liaison.insights.forms import last_full_month
    from liaison.insights.measures import Period
    from liaison.org.models import Site

    if args.reuse and Case.objects.exists():
        loaded: dict[str, Any] = {"cases": Case.objects.count(), "reused": True}
        manager = User.objects.get(email="manager@bench.invalid")
        rgh, hpm = Site.objects.get(code="RGH"), Site.objects.get(code="HPM")
    else:
        _recreate(args.database_url)
        connection.close()
        loaded = _load(args.cases)
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
