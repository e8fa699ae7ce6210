"""The advocacy part of the reminders sweep: the case owner hears 5 and 1 working days before a deadline."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from liaison.accounts.permissions import Cap, users_with
from liaison.advocacy import rules
from liaison.advocacy.models import OPEN_APPEAL_STATUSES, Appeal
from liaison.advocacy.selectors import overrides_for, running_deadlines
from liaison.lib.emails import site_url
from liaison.lib.workdays import add_working_days
from liaison.reminders.services import SweepReport, send_once

REMIND_WORKING_DAYS_BEFORE = (5, 1)


def remind_appeal_deadlines(now: datetime, report: SweepReport) -> None:
    overrides: dict[int, dict[str, rules.Override]] = {}
    for appeal in Appeal.objects.filter(status__in=OPEN_APPEAL_STATUSES).select_related(
        "case", "case__site", "case__owner"
    ):
        case = appeal.case
        if case.site_id not in overrides:
            overrides[case.site_id] = overrides_for(case.site_id)
        today = timezone.localdate(now, case.site.zone)
        calendar = rules.calendar_for_plan(appeal.plan_type)
        for deadline in running_deadlines(appeal, overrides[case.site_id]):
            for before in REMIND_WORKING_DAYS_BEFORE:
                if deadline.due != add_working_days(today, before, calendar):
                    continue
                to = (
                    [case.owner.email]
                    if case.owner
                    else sorted(users_with(Cap.OVERSEE, case.site_id).values_list("email", flat=True))
                )
                send_once(
                    kind="advocacy_deadline",
                    obj_type="advocacy.appeal",
                    obj_id=appeal.pk,
                    occurrence=f"{deadline.key}:{deadline.due.isoformat()}:{before}",
                    template="advocacy_deadline",
                    context={
                        "reference": case.reference,
                        "organisation": appeal.org_name,
                        "deadline": deadline,
                        "working_days": before,
                        "url": site_url(reverse("advocacy:appeal", args=[case.reference])),
                    },
                    to=to,
                    report=report,
                )
