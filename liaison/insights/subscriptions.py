"""Scheduled delivery of the monthly board report: subscribing, and the worker's monthly email.

On the first working day of each month (in the site's time zone and working-day calendar) every subscriber who
may still read the site's insights gets one email with a link to the previous month's board report. The email
carries only the link: the report may hold case details, so it is read behind the sign-in, audited there.

Exactly once per subscriber and month: the sweep claims the month with one conditional UPDATE (``last_sent_for``
moves forward only if it is still behind) in the transaction that sends the email. A re-run finds the month
claimed; a second worker running at the same moment waits on the row and then finds it claimed; a failed send
rolls the claim back so that the next sweep tries again. A worker that was down on the day catches up on its
next run that month, for the subscriptions made by the end of that day; later ones start the next month.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, require, users_with
from liaison.audit.services import audit_record
from liaison.cases.selectors import calendar_for
from liaison.insights.models import ReportKind, ReportSubscription
from liaison.lib.emails import send_templated, site_url
from liaison.lib.errors import ApplicationError
from liaison.lib.workdays import WorkingDayCalendar, is_working_day
from liaison.org.models import Site
from liaison.reminders.services import SweepReport

logger = logging.getLogger(__name__)


# -- Subscribing ---------------------------------------------------------------------------------------------


def subscriptions_for_user(*, user: User) -> QuerySet[ReportSubscription]:
    return ReportSubscription.objects.filter(user=user).select_related("site").order_by("site__name", "kind")


def subscription_create(*, acting_user: User, site: Site, kind: str = ReportKind.BOARD) -> ReportSubscription:
    require(acting_user, Cap.INSIGHTS_READ, site.pk, what="receive this site's reports")
    if kind not in ReportKind.values:
        raise ApplicationError("There is no such report.")
    try:
        with transaction.atomic():
            subscription = ReportSubscription.objects.create(user=acting_user, site=site, kind=kind)
            audit_record(
                action="insights.subscribe", actor=acting_user, obj=subscription, site=site, details={"kind": kind}
            )
    except IntegrityError:
        raise ApplicationError(f"You already receive the {ReportKind(kind).label.lower()} for {site}.") from None
    return subscription


def subscription_delete(*, acting_user: User, subscription: ReportSubscription) -> None:
    """Anyone may stop their own emails, even after losing the right to read the reports."""
    if subscription.user_id != acting_user.pk:
        raise ApplicationError("You can stop only your own emails.")
    with transaction.atomic():
        audit_record(
            action="insights.unsubscribe",
            actor=acting_user,
            obj=subscription,
            site=subscription.site,
            details={"kind": subscription.kind},
        )
        subscription.delete()


# -- The monthly email ---------------------------------------------------------------------------------------


def first_working_day(year: int, month: int, calendar: WorkingDayCalendar) -> date:
    day = date(year, month, 1)
    while not is_working_day(day, calendar):
        day += timedelta(days=1)
    return day


def previous_month(month_start: date) -> tuple[date, date]:
    """The first and last days of the month before the one starting on ``month_start``."""
    last = month_start - timedelta(days=1)
    return last.replace(day=1), last


def board_report_link(site: Site, first: date, last: date) -> str | None:
    """The absolute address of the signed-in board report download for a period (None if it is not installed)."""
    try:
        path = reverse("insights:report_download")
    except NoReverseMatch:
        return None
    query = urlencode(
        {"kind": "board", "site": site.code, "from": first.isoformat(), "to": last.isoformat(), "format": "pdf"}
    )
    return site_url(f"{path}?{query}")


def _due_this_month(site: Site, now: datetime) -> tuple[date, datetime] | None:
    """(this month's first day, end of its first working day) when the site's delivery day has come, else None."""
    zone = site.zone
    today = timezone.localdate(now, zone)
    delivery_day = first_working_day(today.year, today.month, calendar_for(site.policy_pack))
    if today < delivery_day:
        return None
    return today.replace(day=1), datetime.combine(delivery_day + timedelta(days=1), time.min, tzinfo=zone)


def board_reports_due(site: Site, now: datetime) -> list[ReportSubscription]:
    """The site's subscriptions still owed this month's email, to people who may still read its reports."""
    due = _due_this_month(site, now)
    if due is None:
        return []
    month_start, delivery_day_ends = due
    return list(
        ReportSubscription.objects.filter(
            site=site,
            kind=ReportKind.BOARD,
            created_at__lt=delivery_day_ends,
            user__in=users_with(Cap.INSIGHTS_READ, site),
        )
        .filter(Q(last_sent_for__isnull=True) | Q(last_sent_for__lt=month_start))
        .exclude(user__email="")
        .select_related("site", "user")
        .order_by("pk")
    )


def board_report_deliver(subscription: ReportSubscription, *, now: datetime, report: SweepReport) -> bool:
    """Claim this month for the subscription and send its email, together; False if it was claimed already."""
    site = subscription.site
    month_start = timezone.localdate(now, site.zone).replace(day=1)
    first, last = previous_month(month_start)
    url = board_report_link(site, first, last)
    if url is None:
        logger.warning("board report download is not installed; subscription %s waits", subscription.pk)
        return False
    with transaction.atomic():
        claimed = (
            ReportSubscription.objects.filter(pk=subscription.pk)
            .filter(Q(last_sent_for__isnull=True) | Q(last_sent_for__lt=month_start))
            .update(last_sent_for=month_start)
        )
        if not claimed:
            report.already_sent += 1
            return False
        send_templated(
            "board_report",
            {
                "site_name": site.name,
                "site_code": site.code,
                "month": first,
                "period_start": first,
                "period_end": last,
                "url": url,
                "subscriptions_url": site_url(reverse("insights:subscriptions")),
            },
            to=[subscription.user.email],
        )
    report.sent += 1
    logger.info("board report link sent subscription=%s month=%s", subscription.pk, month_start.isoformat())
    return True


def board_report_sweep(now: datetime, report: SweepReport) -> None:
    """The reminders sweep's monthly step (registered in InsightsConfig.ready)."""
    sites = Site.objects.filter(is_active=True, report_subscriptions__kind=ReportKind.BOARD).distinct()
    for site in sites.order_by("pk"):
        for subscription in board_reports_due(site, now):
            try:
                board_report_deliver(subscription, now=now, report=report)
            except (smtplib.SMTPException, OSError):
                # Nothing was claimed: the next sweep tries again. One bad address must not stop the others.
                logger.exception("board report link not sent subscription=%s", subscription.pk)
