"""Reading retention: each site's periods (its own or its pack's), and which records are due for purging today.

A record is *due* when its counting point is more than its period ago, counted in whole years by the site's
calendar: a case closed on 3 March 2015 under a 10-year period keeps its content through 3 March 2025 and is
due from 4 March 2025. Nothing on legal hold, nothing belonging to an open case, and nothing already purged is
ever due. A meeting or appeal whose case file is itself due is counted (and purged) with the case file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from liaison.accounts.permissions import Cap, can
from liaison.advocacy.models import OPEN_APPEAL_STATUSES, Appeal, PayerContact
from liaison.advocacy.models import Document as AppealDocument
from liaison.cases.models import OPEN_STATUSES, Case
from liaison.cases.selectors import cases_for_user
from liaison.feedback.models import FeedbackResponse, HandlingAnswer, ImportRejection
from liaison.meetings.models import Meeting, Participant, ParticipantKind
from liaison.org.models import Site
from liaison.retention.defaults import default_for
from liaison.retention.models import CountedFrom, PurgeRun, RecordType, RetentionRule, SitePurgeSetting

if TYPE_CHECKING:
    from liaison.accounts.models import User


@dataclass(frozen=True)
class EffectiveRule:
    """The period a site applies to one kind of record: its own, or its policy pack's default."""

    record_type: str
    years: int
    counted_from: str
    source: str
    verified: bool
    own: bool  # set by the site (True) or the pack's default (False)
    set_by: str = ""
    set_at: datetime | None = None

    @property
    def label(self) -> str:
        return RecordType(self.record_type).label

    @property
    def counted_from_label(self) -> str:
        return CountedFrom(self.counted_from).label

    def describe(self) -> str:
        """ "10 years from the case's closure (unverified)": how the period reads wherever it is shown."""
        state = "verified" if self.verified else "unverified until checked"
        return f"{self.years} years from {self.counted_from_label} ({state})"


def rules_for(site: Site) -> dict[str, EffectiveRule]:
    """Every kind of record's period at ``site``, in the order of :class:`RecordType`."""
    own = {row.record_type: row for row in RetentionRule.objects.filter(site=site).select_related("set_by")}
    rules: dict[str, EffectiveRule] = {}
    for record_type in RecordType.values:
        row = own.get(record_type)
        if row is not None:
            rules[record_type] = EffectiveRule(
                record_type=record_type,
                years=row.years,
                counted_from=row.counted_from,
                source=row.source,
                verified=row.verified,
                own=True,
                set_by=row.set_by.full_name,
                set_at=row.set_at,
            )
        else:
            default = default_for(site.policy_pack, record_type)
            rules[record_type] = EffectiveRule(
                record_type=record_type,
                years=default.years,
                counted_from=default.counted_from,
                source=default.source,
                verified=default.verified,
                own=False,
            )
    return rules


def automatic_purge_on(site: Site) -> bool:
    return SitePurgeSetting.objects.filter(site=site, automatic=True).exists()


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier; 29 February becomes 28 February (a day later: the record is kept longer)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def add_years(day: date, years: int) -> date:
    """The inverse of :func:`years_before`, so the date a page shows is the day the purge first takes it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Cutoff:
    """Records counted from before ``day`` (``moment``: its first instant at the site) are due."""

    day: date
    moment: datetime


def cutoff(site: Site, years: int, today: date) -> Cutoff:
    day = years_before(today, years)
    return Cutoff(day=day, moment=datetime.combine(day, time.min, tzinfo=site.zone))


def site_today(site: Site, now: datetime | None = None) -> date:
    return timezone.localdate(now or timezone.now(), site.zone)


# -- What is due ----------------------------------------------------------------------------------------------


def _kept_cases(site: Site) -> QuerySet[Case]:
    """The site's cases whose content may go at all: closed, not held, not purged, not part of an open case."""
    return (
        Case.objects.filter(site=site, purged_at__isnull=True, legal_hold=False)
        .exclude(status__in=OPEN_STATUSES)
        # A duplicate merged into a case still open or held is part of that case's file.
        .exclude(merged_into__status__in=OPEN_STATUSES)
        .exclude(merged_into__legal_hold=True)
    )


def _closed_before(moment: datetime) -> Q:
    """Closed (or, for a case without a closing time, stopped) before ``moment``."""
    return Q(closed_at__lt=moment) | Q(closed_at__isnull=True, stopped_at__lt=moment)


def cases_due(site: Site, rule: EffectiveRule, today: date) -> QuerySet[Case]:
    """Case files past their period. A closed case without a recorded closure moment is never due."""
    return _kept_cases(site).filter(_closed_before(cutoff(site, rule.years, today).moment)).order_by("pk")


def _meeting_has_content() -> Q:
    others = Participant.objects.filter(meeting_id=OuterRef("pk")).exclude(kind=ParticipantKind.STAFF)
    named = others.filter(~Q(name="") | ~Q(email=""))
    return (
        ~Q(place="")
        | ~Q(video_link="")
        | ~Q(agenda="")
        | ~Q(access_needs="")
        | ~Q(notes="")
        | ~Q(points_agreed="")
        | ~Q(cancel_reason="")
        | Q(Exists(named))
    )


def meetings_due(site: Site, rules: dict[str, EffectiveRule], today: date) -> QuerySet[Meeting]:
    """Meeting records past their own period whose case file is not itself due (that purge takes them)."""
    rule = rules[RecordType.MEETING]
    limit = cutoff(site, rule.years, today)
    kept = _kept_cases(site)
    if rule.counted_from == CountedFrom.MEETING_DATE:
        cases = kept
        when = Q(starts_at__lt=limit.moment)
    else:
        cases = kept.filter(_closed_before(limit.moment))
        when = Q()
    going_with_case = cases_due(site, rules[RecordType.CASE_FILE], today)
    return (
        Meeting.objects.filter(case__in=cases.values("pk"))
        .filter(when)
        .filter(_meeting_has_content())
        .exclude(case__in=going_with_case.values("pk"))
        .order_by("pk")
    )


def _appeal_has_content() -> Q:
    said = PayerContact.objects.filter(appeal_id=OuterRef("pk")).filter(
        ~Q(person="") | ~Q(said="") | ~Q(reference_number="")
    )
    documents = AppealDocument.objects.filter(appeal_id=OuterRef("pk"))
    return ~Q(service="") | ~Q(reason_given="") | ~Q(extension_reason="") | Q(Exists(said)) | Q(Exists(documents))


def appeals_due(site: Site, rules: dict[str, EffectiveRule], today: date) -> QuerySet[Appeal]:
    """Appeal records past their own period (decided or withdrawn ones only) not going with their case file."""
    rule = rules[RecordType.APPEAL]
    limit = cutoff(site, rule.years, today)
    kept = _kept_cases(site)
    if rule.counted_from == CountedFrom.DECISION:
        # An appeal without a decision date falls back on its case's closure.
        closed_long_ago = kept.filter(_closed_before(limit.moment)).values("pk")
        when = Q(decision_on__lt=limit.day) | Q(decision_on__isnull=True, case__in=closed_long_ago)
        cases = kept
    else:
        cases = kept.filter(_closed_before(limit.moment))
        when = Q()
    going_with_case = cases_due(site, rules[RecordType.CASE_FILE], today)
    return (
        Appeal.objects.filter(case__in=cases.values("pk"))
        .exclude(status__in=OPEN_APPEAL_STATUSES)
        .filter(when)
        .filter(_appeal_has_content())
        .exclude(case__in=going_with_case.values("pk"))
        .order_by("pk")
    )


def _not_kept_by_case(prefix: str) -> Q:
    """Feedback tied to a case follows the case: never while it is open or held (or not purged yet but due)."""
    return Q(**{f"{prefix}__legal_hold": True}) | Q(**{f"{prefix}__status__in": OPEN_STATUSES})


@dataclass(frozen=True)
class FeedbackDue:
    responses: QuerySet[FeedbackResponse]
    handling_answers: QuerySet[HandlingAnswer]
    import_rows: QuerySet[ImportRejection]

    def count(self) -> int:
        return self.responses.count() + self.handling_answers.count() + self.import_rows.count()


def feedback_due(site: Site, rules: dict[str, EffectiveRule], today: date) -> FeedbackDue:
    """Free text and contact details in feedback older than the period: survey and imported answers, answers to
    the handling survey, and rejected import rows (which hold the row as read)."""
    limit = cutoff(site, rules[RecordType.FEEDBACK_TEXT].years, today)
    going_with_case = cases_due(site, rules[RecordType.CASE_FILE], today).values("pk")
    responses = (
        FeedbackResponse.objects.filter(site=site, received_on__lt=limit.day)
        .filter(~Q(comment="") | ~Q(contact_name="") | ~Q(contact_email="") | ~Q(contact_phone=""))
        .exclude(_not_kept_by_case("case"))
        .exclude(case__in=going_with_case)
        .order_by("pk")
    )
    handling = (
        HandlingAnswer.objects.filter(invitation__site=site, answered_at__lt=limit.moment)
        .exclude(comment="")
        .exclude(_not_kept_by_case("invitation__case"))
        .exclude(invitation__case__in=going_with_case)
        .order_by("pk")
    )
    rows = (
        ImportRejection.objects.filter(job__source__site=site, job__started_at__lt=limit.moment)
        .exclude(raw="")
        .order_by("pk")
    )
    return FeedbackDue(responses=responses, handling_answers=handling, import_rows=rows)


# -- The dry run -------------------------------------------------------------------------------------------------


@dataclass
class DueList:
    """What one kind of record would lose today: how many, and what to call each (references, never content)."""

    rule: EffectiveRule
    count: int
    labels: list[str] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.labels)


@dataclass
class SitePlan:
    site: Site
    today: date
    due: dict[str, DueList]
    held: int  # closed cases kept only because of a legal hold

    @property
    def total(self) -> int:
        return sum(item.count for item in self.due.values())


def _labels(queryset: QuerySet[Any], describe: Any, limit: int | None) -> list[str]:
    rows = queryset if limit is None else queryset[:limit]
    return [describe(row) for row in rows]


def site_plan(site: Site, *, today: date | None = None, label_limit: int | None = 50) -> SitePlan:
    """What a purge of ``site`` would remove today, per kind of record. Reads only; changes nothing."""
    today = today or site_today(site)
    rules = rules_for(site)
    cases = cases_due(site, rules[RecordType.CASE_FILE], today)
    meetings = meetings_due(site, rules, today).select_related("case")
    appeals = appeals_due(site, rules, today).select_related("case")
    feedback = feedback_due(site, rules, today)
    feedback_labels = (
        _labels(feedback.responses, lambda r: f"feedback answer {r.pk}", label_limit)
        + _labels(feedback.handling_answers, lambda a: f"handling survey answer {a.pk}", label_limit)
        + _labels(feedback.import_rows, lambda r: f"rejected import row {r.pk}", label_limit)
    )
    due: dict[str, DueList] = {
        RecordType.CASE_FILE: DueList(
            rules[RecordType.CASE_FILE],
            cases.count(),
            _labels(cases.only("reference"), lambda c: c.reference, label_limit),
        ),
        RecordType.FEEDBACK_TEXT: DueList(
            rules[RecordType.FEEDBACK_TEXT],
            feedback.count(),
            feedback_labels if label_limit is None else feedback_labels[:label_limit],
        ),
        RecordType.MEETING: DueList(
            rules[RecordType.MEETING],
            meetings.count(),
            _labels(meetings, lambda m: f"{m.case.reference} meeting {m.pk}", label_limit),
        ),
        RecordType.APPEAL: DueList(
            rules[RecordType.APPEAL],
            appeals.count(),
            _labels(appeals, lambda a: f"{a.case.reference} appeal {a.pk}", label_limit),
        ),
    }
    held = (
        Case.objects.filter(site=site, legal_hold=True, purged_at__isnull=True)
        .exclude(status__in=OPEN_STATUSES)
        .count()
    )
    return SitePlan(site=site, today=today, due={key: due[key] for key in RecordType.values}, held=held)


# -- Pages ---------------------------------------------------------------------------------------------------


def sites_for(user: User, cap: Cap) -> list[Site]:
    """The active sites where ``user`` holds ``cap``, by name."""
    return [
        site
        for site in Site.objects.filter(pk__in=user.site_ids, is_active=True).order_by("name")
        if can(user, cap, site.pk)
    ]


def holds_for(user: User, sites: list[Site]) -> QuerySet[Case]:
    """Cases on legal hold at ``sites`` that ``user`` may see (a restricted case only for its named people),
    longest-held first."""
    return (
        cases_for_user(user=user)
        .filter(site__in=sites, legal_hold=True)
        .select_related("site", "legal_hold_by")
        .order_by("legal_hold_at", "pk")
    )


SHORT_LABELS: dict[str, str] = {
    RecordType.CASE_FILE: "case files",
    RecordType.FEEDBACK_TEXT: "feedback answers",
    RecordType.MEETING: "meeting records",
    RecordType.APPEAL: "appeal records",
}


def recent_runs(site: Site, limit: int = 5) -> list[dict[str, Any]]:
    """The site's latest purges, as plain values for the page."""
    runs = []
    for run in PurgeRun.objects.filter(site=site)[:limit]:
        counts = run.counts or {}
        purged = [f"{counts[key]} {SHORT_LABELS[key]}" for key in RecordType.values if counts.get(key)]
        runs.append(
            {
                "started_at": run.started_at,
                "trigger": run.get_trigger_display(),
                "finished": run.finished_at is not None,
                "purged": ", ".join(purged) or "nothing",
            }
        )
    return runs


def purge_from(case: Case, rule: EffectiveRule) -> date | None:
    """The first day ``case``'s content may be purged under ``rule`` (``None`` while it is open or unclosed)."""
    if case.status in OPEN_STATUSES:
        return None
    closed = case.closed_at or case.stopped_at
    if closed is None:
        return None
    return add_years(timezone.localdate(closed, case.site.zone), rule.years) + timedelta(days=1)
