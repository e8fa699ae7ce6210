from datetime import datetime
from typing import Any

from django.apps import AppConfig
from django.utils import timezone


def _purge_candidates(now: datetime, report: Any) -> None:
    """Candidates' personal data goes once their vacancy's retention date has passed."""
    from liaison.hiring.panels import candidates_purge

    candidates_purge(today=timezone.localdate(now))


class HiringConfig(AppConfig):
    name = "liaison.hiring"
    label = "hiring"

    def ready(self) -> None:
        from liaison.reminders.services import register_sweep_step

        register_sweep_step(_purge_candidates)
