"""Soak test: an office's clicks at a steady rate for ten minutes, watching gunicorn's memory; no error allowed.

    .venv/bin/python bench/soak.py [--database-url URL] [--quick] [--duration 600] [--users 10] [--rate 10]
                                   [--svg docs/images/soak-rss.svg]

Starts gunicorn as `liaison serve` does (gthread, production settings, MFA required) with two workers on
127.0.0.1:58401, signs in the busiest officers, and runs locust headless with bench/locustfile.py: simulated
officers open worklists, cases, search, My work and the dashboard, and add notes through the case's form.
Every few seconds it samples the resident memory (RSS) of gunicorn's master and workers. Writes an SVG chart
of RSS over time (docs/images/soak-rss.svg; with --quick, bench/results/soak-rss-quick.svg, so a quick check
never replaces the documented figure) and prints one JSON object: requests, failures, latency, RSS at the
start, after the warm-up, at the end and at most. Exits non-zero on any failed request.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # bench/ is not a package: found through the path above

BENCH = Path(__file__).resolve().parent


class RssSampler(threading.Thread):
    """RSS of the master and each worker, every ``every`` seconds (a restarted worker shows as a new pid)."""

    def __init__(self, server: common.Server, every: float) -> None:
        super().__init__(daemon=True)
        self.server, self.every = server, every
        self.started = time.monotonic()
        self.samples: list[tuple[float, dict[int, float]]] = []
        self._stop_event = threading.Event()

    def sample(self) -> None:
        import psutil

        taken: dict[int, float] = {}
        for process in self.server.processes():
            try:
                taken[process.pid] = process.memory_info().rss / 2**20
            except psutil.NoSuchProcess:
                continue
        self.samples.append((time.monotonic() - self.started, taken))

    def run(self) -> None:
        self.sample()
        while not self._stop_event.wait(self.every):
            self.sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)
        self.sample()


def _clients(officer_count: int) -> list[dict[str, Any]]:
    """Each officer's session cookie, cases they may open, and words to search for (kept in var/, never printed)."""
    import re

    from liaison.cases.selectors import cases_for_user

    clients = []
    for user in common.officers(officer_count):
        visible = cases_for_user(user=user)
        references = list(visible.order_by("?").values_list("reference", flat=True)[:200])
        names = visible.exclude(patient_name="").order_by("?").values_list("patient_name", flat=True)[:20]
        words = [w for name in names for w in re.findall(r"[^\W\d_]{3,}", name)][-10:]
        if not references:
            continue
        clients.append(
            {"cookie": common.signed_in_cookie(user), "references": references, "words": words + references[:5]}
        )
    if not clients:
        raise SystemExit("The officers of this database have no cases to open: generate data first.")
    return clients


def _locust_stats(prefix: Path) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, str]]]:
    rows = list(csv.DictReader((prefix.parent / f"{prefix.name}_stats.csv").open(encoding="utf-8")))

    def figures(row: dict[str, str]) -> dict[str, Any]:
        def number(key: str) -> float | None:
            value = row.get(key, "")
            return None if value in ("", "N/A") else float(value)

        return {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "requests_per_s": round(number("Requests/s") or 0.0, 2),
            "p50_ms": number("50%"),
            "p95_ms": number("95%"),
            "p99_ms": number("99%"),
            "max_ms": round(number("Max Response Time") or 0.0, 1),
        }

    total = next(r for r in rows if r["Name"] == "Aggregated")
    by_name = {f"{r['Type']} {r['Name']}": figures(r) for r in rows if r["Name"] != "Aggregated"}
    failures_path = prefix.parent / f"{prefix.name}_failures.csv"
    failures = list(csv.DictReader(failures_path.open(encoding="utf-8"))) if failures_path.exists() else []
    return figures(total), by_name, failures


def _chart(sampler: RssSampler, path: Path, title: str) -> None:
    minutes = sampler.samples[-1][0] >= 180
    scale = 60.0 if minutes else 1.0
    master = sampler.server.master_pid()
    total = [(t / scale, sum(rss.values())) for t, rss in sampler.samples]
    series: list[tuple[str, list[tuple[float, float]]]] = [("master and workers", total)]
    pids = sorted({pid for _, rss in sampler.samples for pid in rss}, key=lambda p: (p != master, p))
    for number, pid in enumerate(pids):
        label = "master" if pid == master else f"worker {number} (pid {pid})"
        series.append((label, [(t / scale, rss[pid]) for t, rss in sampler.samples if pid in rss]))
    svg = common.svg_line_chart(
        series, title=title, x_label="minutes" if minutes else "seconds", y_label="resident memory (MB)"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--quick", action="store_true", help="one minute")
    parser.add_argument("--duration", type=int, default=None, help="seconds (default 600)")
    parser.add_argument("--users", type=int, default=10, help="simulated officers")
    parser.add_argument("--rate", type=float, default=10.0, help="clicks per second, all officers together")
    parser.add_argument("--officers", type=int, default=4, help="real officers' sessions the simulated ones share")
    parser.add_argument("--every", type=float, default=None, help="seconds between RSS samples (default 5; quick 2)")
    parser.add_argument("--svg", default="")
    parser.add_argument("--port", type=int, default=common.PORT)
    args = parser.parse_args()
    duration = args.duration if args.duration is not None else (60 if args.quick else 600)
    every = args.every if args.every is not None else (2.0 if args.quick else 5.0)
    default_svg = common.RESULTS_DIR / "soak-rss-quick.svg" if args.quick else common.ROOT / "docs/images/soak-rss.svg"
    svg = Path(args.svg) if args.svg else default_svg
    url = common.database_url(args.database_url)
    common.setup_django(url, args.port)
    common.require_migrated()

    common.log("signing in officers and choosing their cases")
    clients = _clients(args.officers)
    clients_file = common.DATA_DIR / "soak-clients.json"
    clients_file.write_text(json.dumps(clients), encoding="utf-8")
    clients_file.chmod(0o600)  # session keys and patient names (synthetic, but treated as real)
    from django.db import connections

    connections.close_all()
    common.collect_static(url, args.port)
    result: dict[str, Any] = {"benchmark": "soak", **common.context(url)}
    server = common.Server(url, port=args.port, workers=2)
    result["setup"] = {
        **server.describe(),
        "load": f"locust, {args.users} simulated officers sharing {len(clients)} signed-in sessions, "
        f"{args.rate:g} clicks/s in all (a search or a note is one click of two or three requests)",
        "duration_s": duration,
        "rss_sample_every_s": every,
    }
    prefix = common.DATA_DIR / "soak"
    for old in common.DATA_DIR.glob("soak_*.csv"):
        old.unlink()
    with server:
        sampler = RssSampler(server, every)
        sampler.start()
        env = {
            **os.environ,
            "LIAISON_BENCH_CLIENTS": str(clients_file),
            "LIAISON_BENCH_CLICKS_PER_USER": str(args.rate / args.users),
        }
        command = [
            sys.executable, "-m", "locust", "-f", str(BENCH / "locustfile.py"), "--headless",
            "--host", server.base, "--users", str(args.users), "--spawn-rate", str(args.users),
            "--run-time", f"{duration}s", "--stop-timeout", "30", "--csv", str(prefix), "--only-summary",
            "--loglevel", "WARNING",
        ]  # fmt: skip
        common.log(f"locust: {args.users} users, {args.rate:g} clicks/s, {duration} s")
        # Locust's tables go to stderr with the progress: stdout carries only this script's JSON.
        locust = subprocess.run(command, cwd=common.ROOT, env=env, stdout=sys.stderr, check=False)  # noqa: S603
        sampler.stop()
        result["server_log_tail"] = server.log_tail(20)
    total, by_name, failures = _locust_stats(prefix)
    rss = [sum(values.values()) for _, values in sampler.samples]
    after_warmup = next((sum(v.values()) for t, v in sampler.samples if t >= duration * 0.1), rss[-1])
    workers_seen = {pid for _, values in sampler.samples for pid in values} - {server.master_pid()}
    title = f"gunicorn memory, {args.rate:g} clicks/s for {duration // 60 if duration >= 120 else duration}"
    title += " min" if duration >= 120 else " s"
    _chart(sampler, svg, title)
    result["figures"] = {
        **total,
        "by_request": by_name,
        "failure_kinds": [
            {"request": f"{f['Method']} {f['Name']}", "error": f["Error"], "count": int(f["Occurrences"])}
            for f in failures
        ],
        "rss_mb": {
            "start": round(rss[0], 1),
            "after_warmup": round(after_warmup, 1),
            "end": round(rss[-1], 1),
            "max": round(max(rss), 1),
            "growth_after_warmup": round(rss[-1] - after_warmup, 1),
            "samples": len(rss),
        },
        "worker_processes_seen": len(workers_seen),  # more than 2: a worker died and was replaced
        "locust_exit_status": locust.returncode,
        "chart": str(svg.relative_to(common.ROOT)) if svg.is_relative_to(common.ROOT) else str(svg),
    }
    result["failures"] = total["failures"]
    ok = locust.returncode == 0 and total["failures"] == 0 and total["requests"] > 0 and len(workers_seen) == 2
    result["ok"] = ok
    common.emit(result)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
