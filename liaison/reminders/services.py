"""Reminders and escalation: what is due soon or overdue, told to the right people exactly once.

A reminder is claimed by inserting its ReminderLog row (unique per kind, object and occurrence) in the same
transaction that sends it. A second worker doing the same sweep waits on that row and then finds it taken;
if sending fails, the transaction rolls back and the next sweep tries again. The occurrence is the due date
(or the day, for the daily digest), so a reminder is sent again only when the situation recurs.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.permissions import Cap, users_with
from liaison.cases import rules
from liaison.cases.models import OPEN_STATUSES, Case, CaseType, Status
from liaison.cases.selectors import calendar_for
from liaison.investigations.models import InvestigationRequest, RequestStatus
from liaison.lib.emails import send_templated, site_url
from liaison.lib.workdays import add_working_days
from liaison.reminders.models import ReminderLog

logger = logging.getLogger(__name__)


SweepStep = Callable[[datetime, "SweepReport"], None]
_STEPS: list[SweepStep] = []


def register_sweep_step(step: SweepStep) -> SweepStep:
    """Let a higher app add its own reminders or clean-up to the sweep (reminders never imports them)."""
    if step not in _STEPS:
        _STEPS.append(step)
    return step


@dataclass
class SweepReport:
    sent: int = 0
    already_sent: int = 0


def send_once(
    *,
    kind: str,
    obj_type: str,
    obj_id: object,
    occurrence: str,
    template: str,
    context: dict[str, object],
    to: list[str],
    report: SweepReport,
) -> None:
    if not to:
        return
    try:
        with transaction.atomic():
            ReminderLog.objects.create(
                kind=kind, object_type=obj_type, object_id=str(obj_id), occurrence=occurrence, recipients=", ".join(to)
            )
            send_templated(template, context, to=to)
    except IntegrityError:
        report.already_sent += 1
        return
    report.sent += 1
    logger.info("reminder sent kind=%s object=%s:%s", kind, obj_type, obj_id)


def _managers_of(case: Case) -> list[str]:
    return sorted(users_with(Cap.OVERSEE, case.site_id).values_list("email", flat=True))


def _case_people(case: Case) -> list[str]:
    return [case.owner.email] if case.owner else _managers_of(case)


def reminders_sweep(*, now: datetime | None = None) -> SweepReport:
    now = now or timezone.now()
    report = SweepReport()
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES).select_related("site", "owner")

    # Acknowledgement due tomorrow (the owner), and the US 7-day interim notice due within a day.
    for case in open_cases.filter(next_due_at__gte=now, next_due_at__lte=now + timedelta(days=2)):
        zone = case.site.zone
        today = timezone.localdate(now, zone)
        for clock in rules.running_clocks(case):
            due_day = timezone.localdate(clock.due, zone)
            url = site_url(reverse("cases:detail", args=[case.reference]))
            if clock.key == "acknowledge" and due_day == today + timedelta(days=1):
                send_once(
                    kind="acknowledge_due",
                    obj_type="cases.case",
                    obj_id=case.pk,
                    occurrence=due_day.isoformat(),
                    template="reminder_acknowledge",
                    context={"case": case, "clock": clock, "url": url},
                    to=_case_people(case),
                    report=report,
                )
            elif (
                clock.key == "interim_notice"
                and case.case_type == CaseType.GRIEVANCE
                and today <= due_day <= today + timedelta(days=1)
            ):
                send_once(
                    kind="interim_notice_due",
                    obj_type="cases.case",
                    obj_id=case.pk,
                    occurrence=due_day.isoformat(),
                    template="reminder_interim",
                    context={"case": case, "clock": clock, "url": url},
                    to=_case_people(case),
                    report=report,
                )

    # Investigation requests due in 2 working days (the department's investigators and leads).
    for request in InvestigationRequest.objects.filter(status=RequestStatus.OPEN).select_related(
        "case", "case__site", "department"
    ):
        site = request.case.site
        in_two = add_working_days(timezone.localdate(now, site.zone), 2, calendar_for(site.policy_pack))
        if request.due_date == in_two:
            leads = {u.email for u in request.department.leads.filter(is_active=True)}
            investigators = {u.email for u in request.department.investigators.filter(is_active=True)}
            send_once(
                kind="request_due",
                obj_type="investigations.investigationrequest",
                obj_id=request.pk,
                occurrence=request.due_date.isoformat(),
                template="reminder_request",
                context={"request": request, "url": site_url(reverse("investigations:detail", args=[request.pk]))},
                to=sorted(leads | investigators),
                report=report,
            )

    # Overdue items: one daily digest per person, to owners and to their site's managers.
    overdue_by_person: dict[str, list[Case]] = defaultdict(list)
    for case in open_cases.filter(next_due_at__lt=now).exclude(status=Status.REFERRED).order_by("next_due_at"):
        for address in {*(_case_people(case)), *(_managers_of(case))}:
            overdue_by_person[address].append(case)
    for address, cases in sorted(overdue_by_person.items()):
        day = timezone.localdate(now).isoformat()
        rows = [{"case": c, "url": site_url(reverse("cases:detail", args=[c.reference]))} for c in cases]
        send_once(
            kind="overdue_digest",
            obj_type="person",
            obj_id=address,
            occurrence=day,
            template="reminder_overdue",
            context={"rows": rows, "count": len(rows)},
            to=[address],
            report=report,
        )
    # Steps other apps registered (improvement actions due, the hiring retention sweep...).
    for step in _STEPS:
        step(now, report)
    return report
