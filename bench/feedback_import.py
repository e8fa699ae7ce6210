"""Benchmark: import a generated NHS FFT-style CSV and show that memory does not grow with the file.

    .venv/bin/python bench/feedback_import.py [--rows 200000] [--database-url URL]

Writes the CSV (row by row) and a fresh SQLite database in a temporary folder, migrates it (in a child process,
so that the migrations' memory is not counted), imports the file
through the service, then imports it again. Prints JSON: the peak resident memory of the process (getrusage)
once 20k, 100k and all rows are read, the current resident memory at those points, and rows per second.
With --database-url postgres://… it uses that (empty, throw-away) PostgreSQL database instead.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HEADINGS = [
    "Comment ID",
    "Trust",
    "Respondent ID",
    "Date",
    "Service type 1",
    "Service type 2",
    "FFT categorical answer",
    "FFT question",
    "FFT answer",
]
WORDS = ["kind", "quick", "wait", "parking", "nurse", "doctor", "food", "clean", "noisy", "rude", "late", "friendly"]


def write_csv(path: Path, rows: int) -> None:
    """Row by row; one row in 500 is malformed (a bad date or a score of 9), as real exports have."""
    first = date(2023, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADINGS)
        for i in range(rows):
            day = first + timedelta(days=i % 700)
            comment = " ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 4 + i % 20))
            row = [f"RGH {i} - Q1", "RGH", f"RGH {i}", f"{day:%d/%m/%Y}", "Inpatients", "", 1 + i % 6, "Why?", comment]
            if i % 500 == 250:
                row[3] = "31/02/2023"
            elif i % 500 == 499:
                row[6] = 9
            writer.writerow(row)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1048576


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="liaison-bench-"))
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["LIAISON_DATA_DIR"] = str(folder)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.db import connection

    from liaison.feedback.imports import feedback_import_file, guess_mapping, import_source_save
    from liaison.feedback.models import FeedbackResponse, ImportJob
    from liaison.org.services import site_create

    # Migrate in a child process, so that its memory is not in this process's peak.
    migrate = "import django; django.setup(); from django.core.management import call_command; call_command('migrate')"
    subprocess.run([sys.executable, "-c", migrate], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
    site = site_create(acting_user=None, name="Bench General", code="BGH", policy_pack="england_nhs")
    source = import_source_save(acting_user=None, site=site, name="FFT bench", mapping=guess_mapping(HEADINGS))
    path = folder / "fft.csv"
    write_csv(path, args.rows)

    checkpoints = sorted({min(n, args.rows) for n in (20_000, 100_000, args.rows)})
    memory: dict[str, dict[str, float]] = {}

    def progress(job: ImportJob) -> None:
        for mark in checkpoints:
            if job.rows_seen >= mark and str(mark) not in memory:
                memory[str(mark)] = {"peak_rss_mb": round(peak_rss_mb(), 1), "rss_mb": round(current_rss_mb(), 1)}

    before = {"peak_rss_mb": round(peak_rss_mb(), 1), "rss_mb": round(current_rss_mb(), 1)}
    started = time.perf_counter()
    first = feedback_import_file(acting_user=None, source=source, path=path, progress=progress)
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = feedback_import_file(acting_user=None, source=source, path=path)
    second_seconds = time.perf_counter() - started

    result: dict[str, Any] = {
        "database": connection.vendor,
        "rows": args.rows,
        "file_mb": round(path.stat().st_size / 1048576, 1),
        "memory_before_import": before,
        "memory_at_rows_read": memory,
        "first_import": {
            "status": first.status,
            "added": first.rows_added,
            "rejected": first.rows_rejected,
            "seconds": round(first_seconds, 1),
            "rows_per_s": round(args.rows / first_seconds),
        },
        "second_import": {
            "added": second.rows_added,
            "already_there": second.rows_already_there,
            "seconds": round(second_seconds, 1),
            "rows_per_s": round(args.rows / second_seconds),
        },
        "responses_in_db": FeedbackResponse.objects.filter(source=source).count(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
