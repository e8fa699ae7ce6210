"""The improvement app's part of the reminders sweep: owners are told the day before an action is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from liaison.improvement.models import ActionStatus, ImprovementAction
from liaison.lib.emails import site_url
from liaison.reminders.services import SweepReport, send_once


def remind_actions_due_tomorrow(now: datetime, report: SweepReport) -> None:
    for action in ImprovementAction.objects.filter(
        status__in=[ActionStatus.PLANNED, ActionStatus.IN_PROGRESS]
    ).select_related("site", "owner"):
        if action.due_date == timezone.localdate(now, action.site.zone) + timedelta(days=1):
            send_once(
                kind="improvement_due",
                obj_type="improvement.improvementaction",
                obj_id=action.pk,
                occurrence=action.due_date.isoformat(),
                template="reminder_improvement",
                context={"action": action, "url": site_url(reverse("improvement:detail", args=[action.pk]))},
                to=[action.owner.email],
                report=report,
            )
