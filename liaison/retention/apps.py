from datetime import datetime
from typing import Any

from django.apps import AppConfig


def _retention_panel(case: Any, show_identity: bool) -> dict[str, Any]:
    """The case page's retention panel: the hold, or when the content may go, or that it has gone.

    Plain values only (the hold's reason is shown to those who see the case's identity)."""
    from liaison.retention.models import RecordType
    from liaison.retention.selectors import purge_from, rules_for

    rule = rules_for(case.site)[RecordType.CASE_FILE]
    holder = case.legal_hold_by
    return {
        "retention_panel": {
            "reference": case.reference,
            "held": case.legal_hold,
            "reason": case.legal_hold_reason if show_identity else "",
            "held_by": holder.full_name if holder is not None else "",
            "held_at": case.legal_hold_at,
            "purged_at": case.purged_at,
            "rule": rule.describe(),
            "verified": rule.verified,
            "purge_from": None if case.purged_at else purge_from(case, rule),
        }
    }


def _purge_once_a_day(now: datetime, report: Any) -> None:
    from liaison.retention.services import purge_sweep

    purge_sweep(now, report)


class RetentionConfig(AppConfig):
    """How long each kind of record is kept, legal holds, and the audited purge."""

    name = "liaison.retention"
    label = "retention"

    def ready(self) -> None:
        from liaison.cases.panels import register_case_panel
        from liaison.reminders.services import register_sweep_step

        register_case_panel(_retention_panel)
        register_sweep_step(_purge_once_a_day)
