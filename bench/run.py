"""`make bench`: every benchmark against PostgreSQL, one after the other, into one JSON file.

    .venv/bin/python bench/run.py [--quick] [--database-url URL] [--only pages,create,feedback_import,insights]
                                  [--soak] [--output bench/results/latest.json]

1. Creates the database if it is missing (default liaison_bench_run, or liaison_bench_run_quick with --quick,
   so a quick run never replaces the big data set) and migrates it.
2. Fills it with `liaison generate` unless it already holds generated data of the size asked for (generation
   of a million cases takes a long time, so a later run reuses it; a smaller generated data set is topped
   up, a much bigger one is regenerated only in a database whose name says it is a benchmark's).
   Full: 1,000,000 cases and 5,000,000 feedback answers; quick: 20,000 and 50,000.
3. Runs bench/pages.py, bench/create.py, bench/feedback_import.py (in its own throw-away database,
   <name>_import, re-created each time) and bench/insights.py (on the same data: the dashboards over the
   million cases and five million answers), and with --soak, bench/soak.py.
4. Writes all their JSON objects into one file and prints it. Exits non-zero when any benchmark failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # bench/ is not a package: found through the path above

BENCH = Path(__file__).resolve().parent
SIZES = {"full": (1_000_000, 5_000_000), "quick": (20_000, 50_000)}
IMPORT_ROWS = {"full": 1_000_000, "quick": 20_000}
INSIGHTS_CASES = {"full": 1_000_000, "quick": 20_000}
ALL = ("pages", "create", "feedback_import", "insights")


def _with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _shown(url: str) -> str:
    """The address without a password, for the result file."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{parts.username + '@' if parts.username else ''}{host}{':' + str(parts.port) if parts.port else ''}"
    return urlunsplit(parts._replace(netloc=netloc))


def _admin(url: str) -> Any:
    import psycopg

    return psycopg.connect(_with_name(url, "postgres"), autocommit=True)


def _exists(url: str) -> bool:
    with _admin(url) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [_name(url)]).fetchone() is not None


def _create(url: str, *, drop: bool = False) -> None:
    from psycopg import sql

    with _admin(url) as connection:
        if drop:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(_name(url))))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(_name(url))))


def _manage(url: str, *args: str) -> None:
    """A management command with the benchmark server's settings; what it prints joins the progress (stderr)."""
    command = [sys.executable, "-m", "liaison.cli", "manage", *args]
    subprocess.run(command, check=True, cwd=common.ROOT, env=common.server_env(url), stdout=sys.stderr)  # noqa: S603


def _generated(url: str) -> tuple[int, int]:
    """Cases and feedback answers `liaison generate` wrote into this database, over all its runs."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        if connection.execute("SELECT to_regclass('ops_generationrun')").fetchone() in (None, (None,)):
            return 0, 0
        row = connection.execute(
            "SELECT coalesce(sum((parameters->>'cases')::bigint), 0), "
            "coalesce(sum((parameters->>'feedback')::bigint), 0) FROM ops_generationrun"
        ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _generate(url: str, cases: int, feedback: int) -> None:
    if (common.ROOT / "liaison" / "ops" / "management" / "commands" / "generate.py").exists():
        _manage(url, "generate", "--cases", str(cases), "--feedback", str(feedback), "--progress")
        return
    # Before the command existed: the same function it calls.
    code = (
        "import django; django.setup(); from liaison.ops.generate import generate; "
        f"generate({cases}, {feedback}, progress=True)"
    )
    command = [sys.executable, "-c", code]
    subprocess.run(command, check=True, cwd=common.ROOT, env=common.server_env(url), stdout=sys.stderr)  # noqa: S603


def prepare_data(url: str, mode: str) -> dict[str, Any]:
    """The main database, migrated and holding generated data of the size asked for (reused when it does)."""
    want_cases, want_feedback = SIZES[mode]
    if not _exists(url):
        common.log(f"creating the database {_name(url)}")
        _create(url)
    common.log("migrating")
    _manage(url, "migrate", "--noinput", "--verbosity", "0")
    cases, feedback = _generated(url)
    started = time.monotonic()
    if cases > want_cases * 1.5 or feedback > want_feedback * 1.5:
        if "bench" not in _name(url):
            raise SystemExit(
                f"{_name(url)} holds more generated data ({cases:,} cases) than asked for ({want_cases:,}); "
                "its name does not say it is a benchmark's, so it is left alone. Use another --database-url."
            )
        common.log(f"{_name(url)} holds {cases:,} generated cases, far more than {want_cases:,}: re-creating it")
        _create(url, drop=True)
        _manage(url, "migrate", "--noinput", "--verbosity", "0")
        cases = feedback = 0
    if cases >= want_cases and feedback >= want_feedback:
        return {"data": "reused", "generated_cases": cases, "generated_feedback": feedback}
    more_cases, more_feedback = max(0, want_cases - cases), max(0, want_feedback - feedback)
    common.log(f"generating {more_cases:,} cases and {more_feedback:,} feedback answers (this takes a while)")
    _generate(url, more_cases, more_feedback)
    topped_up = bool(cases or feedback)
    cases, feedback = _generated(url)
    return {
        "data": "topped up" if topped_up else "generated",
        "generated_cases": cases,
        "generated_feedback": feedback,
        "generation_seconds": round(time.monotonic() - started, 1),
    }


def _run(name: str, command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """A benchmark in its own process: its progress passes through (and its end is kept), its JSON is kept."""
    common.log(f"--- {name}: {' '.join(command[1:])}")
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 (our interpreter, our scripts)
        command, cwd=common.ROOT, env=env or dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    tail: deque[str] = deque(maxlen=30)

    def relay() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            line = raw.decode("utf-8", "replace")
            sys.stderr.write(line)
            tail.append(line)

    relaying = threading.Thread(target=relay, daemon=True)
    relaying.start()
    assert process.stdout is not None
    text = process.stdout.read().decode("utf-8", "replace")
    status = process.wait()
    relaying.join(timeout=10)
    seconds = round(time.monotonic() - started, 1)
    start = text.find("{")
    try:
        parsed, _ = json.JSONDecoder().raw_decode(text[start:]) if start >= 0 else (None, 0)
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        return {"failed": True, "exit_status": status, "seconds": seconds, "stderr_tail": "".join(tail)[-3000:]}
    # A benchmark that measured but found errors (soak) exits non-zero with its JSON: keep both.
    return {**parsed, "seconds": seconds, **({"exit_status": status} if status else {})}


def _plain_env() -> dict[str, str]:
    """For the two older benchmarks, which choose their own settings (tests.settings) and database."""
    env = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "LIAISON_DEBUG", "LIAISON_DEMO"):
        env.pop(name, None)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, short runs: checks the harness end to end")
    parser.add_argument("--database-url", default="", help="default: DATABASE_URL, else liaison_bench_run(_quick)")
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated, of {', '.join(ALL)}")
    parser.add_argument("--soak", action="store_true", help="also run bench/soak.py (10 minutes; 1 with --quick)")
    parser.add_argument("--output", default=str(common.RESULTS_DIR / "latest.json"))
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    default = common.DEFAULT_URL + ("_quick" if args.quick else "")
    url = common.database_url(args.database_url or os.environ.get("DATABASE_URL") or default)
    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(wanted) - set(ALL)
    if unknown:
        raise SystemExit(f"Unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(ALL)}")
    quick = ["--quick"] if args.quick else []
    python = sys.executable

    report: dict[str, Any] = {
        "run": {
            "mode": mode,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "database_url": _shown(url),
            "commit": _commit(),
        }
    }
    report["run"].update(prepare_data(url, mode))
    report.update(common.context(url))
    results: dict[str, Any] = {}
    if "pages" in wanted:
        results["pages"] = _run("pages", [python, str(BENCH / "pages.py"), "--database-url", url, *quick])
    if "create" in wanted:
        results["create"] = _run("create", [python, str(BENCH / "create.py"), "--database-url", url, *quick])
    if "feedback_import" in wanted:
        import_url = _with_name(url, _name(url) + "_import")
        _create(import_url, drop=True)  # the benchmark expects an empty database
        rows = IMPORT_ROWS[mode]
        results["feedback_import"] = _run(
            "feedback_import",
            [python, str(BENCH / "feedback_import.py"), "--rows", str(rows), "--database-url", import_url],
            _plain_env(),
        )
    if "insights" in wanted:
        # On the main data set, which holds what the goal names: the cases and the feedback answers.
        insights = [str(BENCH / "insights.py"), "--cases", str(INSIGHTS_CASES[mode]), "--database-url", url]
        results["insights"] = _run("insights", [python, *insights, "--reuse"], _plain_env())
    if args.soak:
        results["soak"] = _run("soak", [python, str(BENCH / "soak.py"), "--database-url", url, *quick])
    report["results"] = results
    report["run"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    failed = [name for name, value in results.items() if value.get("failed")]
    report["run"]["failed"] = failed
    # Answers other than 2xx, failed creations, failed soak requests: a figure with errors in it is not one.
    report["run"]["with_errors"] = [
        name
        for name, value in results.items()
        if value.get("non_2xx_total") or value.get("errors_total") or value.get("failures") or value.get("exit_status")
    ]
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    common.emit(report)
    common.log(f"written to {output}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    sys.exit(1 if failed or report["run"]["with_errors"] else 0)


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (read-only, for the record)
            cwd=common.ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=common.ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return ""
    return done.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    main()
