from datetime import datetime
from typing import Any

from django.apps import AppConfig


def _send_board_reports(now: datetime, report: Any) -> None:
    """On the first working day of the month, email each subscriber a link to last month's board report."""
    from liaison.insights.subscriptions import board_report_sweep

    board_report_sweep(now, report)


class InsightsConfig(AppConfig):
    name = "liaison.insights"
    label = "insights"

    def ready(self) -> None:
        from liaison.reminders.services import register_sweep_step

        register_sweep_step(_send_board_reports)
