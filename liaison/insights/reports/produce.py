"""The one path from a request for a report to its file: check, build, render, audit.

The report pages and the ``liaison report`` command both call :func:`report_produce`, so a report downloaded
from the page and one written by a hospital's scheduler are the same bytes from the same code.

Whose cases: a signed-in reader counts what they may read (``cases_for_user`` and ``responses_for_user`` at the
chosen site, so a restricted case counts only for the people it is restricted to), and sees patient identity
only with ``Cap.CASE_IDENTITY``. The command line, run by whoever runs the server, counts every case of the site
and never prints an identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can, require
from liaison.audit.context import RequestOrigin
from liaison.audit.services import audit_record
from liaison.cases.models import Case
from liaison.cases.selectors import cases_for_user
from liaison.feedback.models import FeedbackResponse
from liaison.feedback.selectors import responses_for_user
from liaison.insights.measures import Period
from liaison.insights.reports import KINDS
from liaison.insights.reports.base import Report, ReportInput, ReportKind, default_period
from liaison.insights.reports.render import CONTENT_TYPES, FORMATS, filename, render
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site

COMMAND_LINE = "command line"


@dataclass(frozen=True)
class ReportFile:
    filename: str
    content_type: str
    content: bytes
    report: Report


def kind_named(key: str) -> ReportKind:
    try:
        return KINDS[key]
    except KeyError:
        raise ApplicationError(f"There is no report {key!r}; choose one of: {', '.join(KINDS)}.") from None


def reader_sites(user: User) -> QuerySet[Site]:
    """The sites whose reports the user may open at all."""
    return Site.objects.filter(pk__in=[pk for pk in user.site_ids if can(user, Cap.INSIGHTS_READ, pk)]).order_by("name")


def may_produce(user: User, kind: ReportKind, site: Site) -> bool:
    return can(user, Cap.INSIGHTS_READ, site.pk) and can(user, kind.capability, site.pk)


def kinds_for(user: User) -> list[ReportKind]:
    """The reports the user may produce for at least one of their sites whose rules the report is for."""
    sites = list(reader_sites(user))
    return [kind for kind in KINDS.values() if any(may_produce(user, kind, s) and kind.fits(s) for s in sites)]


def usual_period(kind: ReportKind, site: Site, now: datetime | None = None) -> Period:
    return default_period(kind, timezone.localdate(now or timezone.now(), site.zone))


def report_source(*, user: User | None, site: Site, period: Period, now: datetime | None = None) -> ReportInput:
    cases: QuerySet[Case]
    feedback: QuerySet[FeedbackResponse]
    # Every case of the site is counted, restricted ones too, as on the dashboard (docs/decisions/0005):
    # restriction decides who may open a case and see its patient, not whether the office counts it.
    cases = Case.objects.filter(site=site)
    openable: QuerySet[Case] | None = None
    if user is None:
        feedback, identity = FeedbackResponse.objects.filter(site=site), False
    else:
        feedback = responses_for_user(user=user).filter(site=site)
        identity = can(user, Cap.CASE_IDENTITY, site.pk)
        openable = cases_for_user(user=user).filter(site=site)
    return ReportInput(
        site=site,
        period=period,
        cases=cases,
        feedback=feedback,
        identity=identity,
        now=now or timezone.now(),
        openable=openable,
    )


def report_produce(
    *, acting_user: User | None, kind: str, site: Site, period: Period, fmt: str, table: str = ""
) -> ReportFile:
    """Build one report and render it; audited as ``report.download`` (no patient data in the details).

    ``acting_user`` None is the command line. Raises ``ApplicationError`` (``ReportRefused`` while the records
    are not complete enough for a return) with a message for the person who asked.
    """
    chosen = kind_named(kind)
    if acting_user is not None:
        require(acting_user, Cap.INSIGHTS_READ, site.pk, what="read reports")
        require(acting_user, chosen.capability, site.pk, what=f"produce the {chosen.title}")
    chosen.check_site(site)
    if fmt not in FORMATS:
        raise ApplicationError(f"Choose PDF, CSV or XLSX, not {fmt!r}.")
    if table and fmt != "csv":
        raise ApplicationError("A single table can be chosen for CSV only; XLSX has a sheet for each table.")
    report = chosen.build(report_source(user=acting_user, site=site, period=period))
    content = render(report, fmt, table=table)
    details = {
        "kind": chosen.key,
        "site": site.code,
        "period": f"{period.start.isoformat()}/{period.end.isoformat()}",
        "format": fmt,
    }
    if table:
        details["table"] = table
    if acting_user is None:
        details["via"] = COMMAND_LINE
    audit_record(
        action="report.download",
        actor=acting_user,
        object_type="report",
        object_id=chosen.key,
        site=site,
        details=details,
        origin=RequestOrigin(ip_address=None, user_agent=COMMAND_LINE) if acting_user is None else None,
    )
    return ReportFile(filename(report, fmt, table=table), CONTENT_TYPES[fmt], content, report)
