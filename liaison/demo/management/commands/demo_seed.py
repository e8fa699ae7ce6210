from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from liaison.advocacy.demo import demo_load_advocacy
from liaison.demo.cases import demo_load_cases
from liaison.demo.data import DEMO_PASSWORD
from liaison.demo.feedback import demo_load_feedback
from liaison.demo.services import demo_load
from liaison.meetings.demo import demo_load_meetings


class Command(BaseCommand):
    help = "Load the demo organisation and logins (synthetic data; safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "Demo data is loaded only with LIAISON_DEMO=1 or LIAISON_DEBUG=1, never into production."
            )
        report = demo_load()
        cases = demo_load_cases()
        feedback = demo_load_feedback()
        appeals = demo_load_advocacy()
        meetings = demo_load_meetings()
        self.stdout.write(
            f"Demo data: {report.sites} sites, {report.departments} departments, {report.staff} staff, "
            f"{cases} cases, {feedback} feedback answers, {appeals} appeals, {meetings} meetings added "
            "(nothing is added twice)."
        )
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for email, roles in report.users:
            self.stdout.write(f"  {email:<40} {roles}")
