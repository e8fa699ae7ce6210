"""``liaison generate --cases N --feedback M``: fill the database with synthetic data to measure Liaison at size."""

from __future__ import annotations

import sys
from argparse import ArgumentParser, BooleanOptionalAction
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from liaison.ops.generate import GenerateRefused, generate


class Command(BaseCommand):
    help = (
        "Fill the current database with realistic synthetic data spread over the last years: synthetic sites "
        "(England and the US in turn), departments, staff and logins, cases with their issues, timelines, "
        "letters, investigation requests, outcomes and audit trail, and feedback answers. Refuses, writing "
        "nothing, when the database holds any case it did not create. Run again on a database it filled, it adds "
        "more to the same sites (references continue). Run it while the application is stopped: it writes in one "
        "transaction, and on PostgreSQL large runs rebuild the indexes at the end. Every generated login "
        "(@synthetic.liaison.invalid) has the password printed at the end."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--cases", type=int, required=True, metavar="N", help="How many cases to add.")
        parser.add_argument("--feedback", type=int, required=True, metavar="M", help="How many feedback answers.")
        parser.add_argument("--sites", type=int, default=2, metavar="K", help="How many sites (default 2).")
        parser.add_argument("--years", type=int, default=3, metavar="Y", help="Over how many years (default 3).")
        parser.add_argument("--seed", type=int, default=1, metavar="S", help="Seed for repeatable data (default 1).")
        parser.add_argument(
            "--progress",
            action=BooleanOptionalAction,
            default=None,
            help="Show a progress bar on stderr (default: when stderr is a terminal).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        progress = options["progress"] if options["progress"] is not None else sys.stderr.isatty()
        try:
            report = generate(
                options["cases"],
                options["feedback"],
                sites=options["sites"],
                years=options["years"],
                seed=options["seed"],
                progress=progress,
            )
        except GenerateRefused as exc:
            raise CommandError(exc.message, returncode=1) from exc
        counts = report.counts
        self.stdout.write(
            f"Added {counts['cases_case']:,} cases and {counts['feedback_feedbackresponse']:,} feedback answers "
            f"at {', '.join(report.sites)} in {report.seconds:,.1f} s{' (bulk mode)' if report.bulk else ''}."
        )
        for table, rows in sorted(counts.items()):
            self.stdout.write(f"  {table:<40} {rows:>12,}")
        self.stdout.write("Time: " + ", ".join(f"{name} {seconds:,.1f} s" for name, seconds in report.phases.items()))
        self.stdout.write(
            "Logins (@synthetic.liaison.invalid): officer1.<site code>, manager1.<site code>, "
            "investigator1.<site code> (one per department), and across every site director (a manager), "
            f"executive and auditor; {report.users_created} added. Password for all: {report.password}"
        )
