"""The office's measures, each defined once: what it counts, in plain words, and the cases behind it.

Every measure takes a *scope* (a Case queryset the caller has already restricted: a site, a department,
what the user may see) and a :class:`Period`. ``numerator`` returns exactly the cases counted, so a
dashboard's drill-down can list them; ``denominator`` the cases it is a share of (``None`` for counts and
day measures); ``value`` the number shown.

Choices that hold for every measure unless its definition says otherwise:

- A case belongs to the period in which the office received it, by the calendar of the site's time zone:
  a case received at 23:30 on 31 January in London is January's, and so is one received at 23:30 on
  31 January in New York (04:30 on 1 February UTC).
- A converted case counts as its current type; its received date never changes (cases.services.case_convert).
- A duplicate merged into another case is not counted: the case it was merged into carries on and counts.
- Restricted cases count like any other: measures count cases, never identities.
- A clock is *met* when the step was done by the end of its due day; *missed* when done later, or when the
  due day has passed with the step not done while the case was still open. A case closed, withdrawn or
  referred before its due day without the step is left out of that clock's measure (nothing was late).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from liaison.cases import rules
from liaison.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseType,
    ExternalBody,
    ExternalReferral,
    Outcome,
    Status,
    TimelineEvent,
    TimelineKind,
)
from liaison.cases.selectors import calendar_for
from liaison.lib.errors import ApplicationError
from liaison.lib.workdays import is_working_day
from liaison.org.models import Site

Number = int | float | None
CaseSet = Callable[[QuerySet[Case], "Period"], QuerySet[Case]]


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included, each read in the site's own time zone."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ApplicationError(
                f"The period must end on or after its first day ({self.start:%d %B %Y}), not on {self.end:%d %B %Y}."
            )

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(first, following - timedelta(days=1))

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The first moment of the period and the first moment after it, at a site in ``zone``."""
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Measure:
    key: str
    name: str
    definition: str  # plain words, shown beside the number
    rule: str  # the RULES.md id it serves, or ""
    unit: str  # "count", "percent" or "days"
    numerator: CaseSet
    denominator: CaseSet | None
    value: Callable[[QuerySet[Case], Period], Number]


# -- Which cases: received in the period, by each site's calendar -------------------------------------------


def _counted(scope: QuerySet[Case]) -> QuerySet[Case]:
    return scope.filter(merged_into__isnull=True)


def received(scope: QuerySet[Case], period: Period) -> QuerySet[Case]:
    """Cases of the scope received in the period (duplicates merged away left out)."""
    within = Q(pk__in=[])
    for site in Site.objects.filter(pk__in=scope.values("site_id")):
        start, after = period.bounds(site.zone)
        within |= Q(site_id=site.pk, received_at__gte=start, received_at__lt=after)
    return _counted(scope).filter(within)


def breakdown(scope: QuerySet[Case], period: Period, *, by: str) -> dict[str, int]:
    """Cases received in the period counted by ``case_type`` or ``channel``, largest first."""
    if by not in ("case_type", "channel"):
        raise ApplicationError("Cases can be broken down by type or by channel.")
    counts = Counter(received(scope, period).values_list(by, flat=True))
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _by_pk(scope: QuerySet[Case], pks: Iterable[int]) -> QuerySet[Case]:
    return scope.filter(pk__in=list(pks))


def _status_events() -> Prefetch:
    return Prefetch(
        "timeline",
        queryset=TimelineEvent.objects.filter(kind=TimelineKind.STATUS).order_by("occurred_at", "pk"),
        to_attr="status_events",
    )


def _loaded(cases: QuerySet[Case]) -> list[Case]:
    return list(cases.select_related("site").prefetch_related(_status_events()))


def _was_reopened(case: Case) -> bool:
    return any(event.summary == "Reopened" for event in case.status_events)  # type: ignore[attr-defined]


def first_response_at(case: Case) -> datetime | None:
    """When the first response went out. Reopening clears ``responded_at``, so for a reopened case the first
    response is known only from the timeline: the moment it was recorded as sent (which may be later than the
    date on the letter, if it was recorded afterwards)."""
    if not _was_reopened(case):
        return case.responded_at
    recorded = [e.occurred_at for e in case.status_events if (e.data or {}).get("to") == Status.RESPONDED]  # type: ignore[attr-defined]
    return min(recorded) if recorded else case.responded_at


# -- Clocks --------------------------------------------------------------------------------------------------

_RESPOND_KEYS = ("respond", "final_response")


def _done_at(case: Case, key: str) -> datetime | None:
    if key == "acknowledge":
        return case.acknowledged_at
    if key == "interim_notice":
        answered = first_response_at(case)
        return min((m for m in (case.interim_notice_sent_at, answered) if m is not None), default=None)
    return first_response_at(case)


def _clock_result(case: Case, keys: tuple[str, ...], now: datetime) -> str | None:
    """'met', 'missed', or None when the case has no such clock or it is not decided yet."""
    clock = next((c for c in rules.clocks(case) if c.key in keys), None)
    if clock is None:
        return None
    done = _done_at(case, clock.key)
    if done is not None:
        return "met" if done <= clock.due else "missed"
    if clock.due >= now:
        return None
    if case.status in OPEN_STATUSES:
        return "missed"
    # Closed, withdrawn or referred without the step: late only if it was still open when the day passed.
    # A referral sets no closed_at, so the moment it left the open statuses comes from the timeline.
    stopped = case.closed_at or max(
        (e.occurred_at for e in case.status_events if (e.data or {}).get("to") not in (None, *OPEN_STATUSES)),  # type: ignore[attr-defined]
        default=None,
    )
    return "missed" if stopped is None or stopped > clock.due else None


def _clock_cases(keys: tuple[str, ...], wanted: tuple[str, ...]) -> CaseSet:
    def cases(scope: QuerySet[Case], period: Period) -> QuerySet[Case]:
        now = timezone.now()
        return _by_pk(scope, (c.pk for c in _loaded(received(scope, period)) if _clock_result(c, keys, now) in wanted))

    return cases


# -- Days taken ----------------------------------------------------------------------------------------------


def days_between(case: Case, done: datetime) -> int:
    """Days from the day received to the day done, at the site: working days where the pack counts them
    (the UK packs: day 1 is the first working day after the day received), calendar days in the US (US-14)."""
    zone = case.site.zone
    first, last = timezone.localdate(case.received_at, zone), timezone.localdate(done, zone)
    if case.site.policy_pack == "us_cms":
        return (last - first).days
    calendar = calendar_for(case.site.policy_pack)
    return sum(1 for n in range(1, (last - first).days + 1) if is_working_day(first + timedelta(days=n), calendar))


def percentile_90(values: list[int]) -> int:
    """Nearest rank: the smallest value with at least 90% of the values at or below it."""
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _days_taken(step: str, scope: QuerySet[Case], period: Period) -> dict[int, int]:
    taken = {}
    for case in _loaded(received(scope, period)):
        done = case.acknowledged_at if step == "acknowledge" else first_response_at(case)
        if done is not None:
            taken[case.pk] = days_between(case, done)
    return taken


# -- Building measures ---------------------------------------------------------------------------------------


def _count(numerator: CaseSet) -> Callable[[QuerySet[Case], Period], Number]:
    return lambda scope, period: numerator(scope, period).count()


def _count_measure(*, key: str, name: str, definition: str, rule: str, cases: CaseSet) -> Measure:
    """A count: its value is the number of ``cases``."""
    return Measure(key, name, definition, rule, "count", cases, None, _count(cases))


def _percent_measure(
    *, key: str, name: str, definition: str, rule: str, numerator: CaseSet, denominator: CaseSet
) -> Measure:
    """A share: the numerator's cases as a percentage of the denominator's."""
    return Measure(key, name, definition, rule, "percent", numerator, denominator, _percent(numerator, denominator))


def _percent(numerator: CaseSet, denominator: CaseSet) -> Callable[[QuerySet[Case], Period], Number]:
    def value(scope: QuerySet[Case], period: Period) -> Number:
        whole = denominator(scope, period).count()
        if not whole:
            return None
        share = Decimal(100 * numerator(scope, period).count()) / whole
        return float(share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))

    return value


def _days(step: str, summary: Callable[[list[int]], float | int]) -> tuple[CaseSet, Callable[..., Number]]:
    def cases(scope: QuerySet[Case], period: Period) -> QuerySet[Case]:
        return _by_pk(scope, _days_taken(step, scope, period))

    def value(scope: QuerySet[Case], period: Period) -> Number:
        taken = list(_days_taken(step, scope, period).values())
        return summary(taken) if taken else None

    return cases, value


def _filtered(**lookups: object) -> CaseSet:
    return lambda scope, period: received(scope, period).filter(**lookups)


def _reached(statuses: tuple[str, ...]) -> CaseSet:
    """Cases received in the period whose timeline shows them moved to one of ``statuses`` at least once."""

    def cases(scope: QuerySet[Case], period: Period) -> QuerySet[Case]:
        moved = TimelineEvent.objects.filter(kind=TimelineKind.STATUS, data__to__in=list(statuses))
        return received(scope, period).filter(pk__in=moved.values("case_id"))

    return cases


def _reopened(scope: QuerySet[Case], period: Period) -> QuerySet[Case]:
    reopenings = TimelineEvent.objects.filter(kind=TimelineKind.STATUS, summary="Reopened")
    return received(scope, period).filter(pk__in=reopenings.values("case_id"))


def _referred(body: str) -> CaseSet:
    def cases(scope: QuerySet[Case], period: Period) -> QuerySet[Case]:
        referrals = ExternalReferral.objects.filter(
            body=body, referred_on__gte=period.start, referred_on__lte=period.end
        )
        return _counted(scope).filter(pk__in=referrals.values("case_id"))

    return cases


def _open_now(scope: QuerySet[Case], period: Period) -> QuerySet[Case]:
    return _counted(scope).filter(status__in=OPEN_STATUSES)


def _overdue_now(scope: QuerySet[Case], period: Period) -> QuerySet[Case]:
    return _open_now(scope, period).filter(next_due_at__lt=timezone.now())


_JUDGED = (Outcome.UPHELD, Outcome.PARTLY_UPHELD, Outcome.NOT_UPHELD)

_acknowledged_on_time = _clock_cases(("acknowledge",), ("met",))
_acknowledge_decided = _clock_cases(("acknowledge",), ("met", "missed"))
_responded_on_time = _clock_cases(_RESPOND_KEYS, ("met",))
_respond_decided = _clock_cases(_RESPOND_KEYS, ("met", "missed"))
_interim_on_time = _clock_cases(("interim_notice",), ("met",))
_interim_decided = _clock_cases(("interim_notice",), ("met", "missed"))
_well_founded = _filtered(outcome__in=(Outcome.UPHELD, Outcome.PARTLY_UPHELD))
_judged = _filtered(outcome__in=_JUDGED)
_reopenable = _reached((Status.RESPONDED, Status.CLOSED, Status.WITHDRAWN))
_ack_cases, _ack_median = _days("acknowledge", statistics.median)
_, _ack_p90 = _days("acknowledge", percentile_90)
_resp_cases, _resp_median = _days("respond", statistics.median)
_, _resp_p90 = _days("respond", percentile_90)

_DAYS_WORDS = (
    "Days are counted from the day received (day 0) to the day done, at the site: working days at UK sites, "
    "skipping weekends and the nation's bank holidays, calendar days at US sites."
)
_FIRST_RESPONSE_WORDS = (
    "A reopened case counts once, with its first response: reopening clears the response date, so that first "
    "response is taken from the timeline, as the moment it was recorded as sent."
)

MEASURES_LIST: tuple[Measure, ...] = (
    _count_measure(
        key="received",
        name="Cases received",
        definition=(
            "Every case received in the period, of any type and channel (a breakdown by type and by channel "
            "goes with it). A converted case counts once, as its current type; a duplicate merged into another "
            "case is not counted."
        ),
        rule="UK-9",
        cases=received,
    ),
    _percent_measure(
        key="acknowledged_on_time",
        name="Acknowledged within the target",
        definition=(
            "Of the cases received in the period that have an acknowledgement clock under the site's rules "
            "(complaints at UK sites; US grievances have none), the share acknowledged by the end of the due "
            "day. Cases not yet acknowledged count as late once the due day has passed; cases still within "
            "their time, or closed before the due day without an acknowledgement, are left out."
        ),
        rule="UK-3",
        numerator=_acknowledged_on_time,
        denominator=_acknowledge_decided,
    ),
    _percent_measure(
        key="responded_on_time",
        name="Responded within the target or the agreed extension",
        definition=(
            "Of the cases received in the period that have a response clock (complaints at UK sites, grievances "
            "at US sites), the share whose first response went out by the end of the due day. The due day is "
            "the one the rules give today: the agreed response date or agreed extension at UK sites, and at US "
            "sites 7 days or the follow-up date the interim notice promised. Unanswered cases count as late "
            "once that day has passed. " + _FIRST_RESPONSE_WORDS
        ),
        rule="UK-8",
        numerator=_responded_on_time,
        denominator=_respond_decided,
    ),
    Measure(
        key="days_to_acknowledge_median",
        name="Days to acknowledge (median)",
        definition="The middle of the days taken to acknowledge the cases received in the period that have been "
        "acknowledged (the mean of the two middle values when there is an even number). " + _DAYS_WORDS,
        rule="UK-3",
        unit="days",
        numerator=_ack_cases,
        denominator=None,
        value=_ack_median,
    ),
    Measure(
        key="days_to_acknowledge_p90",
        name="Days to acknowledge (90th percentile)",
        definition="Of the cases received in the period that have been acknowledged, the smallest number of days "
        "within which at least 9 in 10 of them were acknowledged. " + _DAYS_WORDS,
        rule="UK-3",
        unit="days",
        numerator=_ack_cases,
        denominator=None,
        value=_ack_p90,
    ),
    Measure(
        key="days_to_respond_median",
        name="Days to respond (median)",
        definition="The middle of the days taken to send the first response, over the cases received in the "
        "period that have had one. " + _DAYS_WORDS + " " + _FIRST_RESPONSE_WORDS,
        rule="UK-8",
        unit="days",
        numerator=_resp_cases,
        denominator=None,
        value=_resp_median,
    ),
    Measure(
        key="days_to_respond_p90",
        name="Days to respond (90th percentile)",
        definition="Of the cases received in the period that have had a response, the smallest number of days "
        "within which at least 9 in 10 had their first response. " + _DAYS_WORDS + " " + _FIRST_RESPONSE_WORDS,
        rule="UK-8",
        unit="days",
        numerator=_resp_cases,
        denominator=None,
        value=_resp_p90,
    ),
    _percent_measure(
        key="interim_notice_on_time",
        name="Grievances answered or given an interim notice within 7 days",
        definition=(
            "Of the grievances received in the period at US sites, the share that had the written response or "
            "an interim notice by the end of the 7th calendar day after the day received. Grievances with "
            "neither count as late once that day has passed; those still within the 7 days are left out."
        ),
        rule="US-14",
        numerator=_interim_on_time,
        denominator=_interim_decided,
    ),
    _count_measure(
        key="upheld",
        name="Upheld",
        definition="Cases received in the period whose recorded overall outcome is upheld.",
        rule="UK-9",
        cases=_filtered(outcome=Outcome.UPHELD),
    ),
    _count_measure(
        key="partly_upheld",
        name="Partly upheld",
        definition="Cases received in the period whose recorded overall outcome is partly upheld.",
        rule="UK-9",
        cases=_filtered(outcome=Outcome.PARTLY_UPHELD),
    ),
    _count_measure(
        key="not_upheld",
        name="Not upheld",
        definition="Cases received in the period whose recorded overall outcome is not upheld.",
        rule="UK-9",
        cases=_filtered(outcome=Outcome.NOT_UPHELD),
    ),
    _percent_measure(
        key="well_founded_rate",
        name="Well-founded rate",
        definition=(
            "Of the cases received in the period with an outcome of upheld, partly upheld or not upheld, the "
            "share upheld or partly upheld. Cases the office was unable to investigate, and cases with no "
            "outcome yet, are left out."
        ),
        rule="UK-9",
        numerator=_well_founded,
        denominator=_judged,
    ),
    _percent_measure(
        key="reopened",
        name="Reopened",
        definition=(
            "Of the cases received in the period that were responded to, closed or withdrawn at least once, "
            "the share reopened afterwards. Reopening is not a field on the case: it is read from the "
            'timeline\'s status entries ("Reopened"). A case reopened twice counts once.'
        ),
        rule="",
        numerator=_reopened,
        denominator=_reopenable,
    ),
    *(
        Measure(
            key=f"referred_{body}",
            name=f"Referred to the {label}",
            definition=(
                f"Cases referred to the {label} on a day within the period (the referral date, not the received "
                "date). A case referred more than once in the period counts once."
            ),
            rule=rule,
            unit="count",
            numerator=_referred(body),
            denominator=None,
            value=_count(_referred(body)),
        )
        for body, label, rule in (
            (ExternalBody.OMBUDSMAN, "ombudsman", "UK-9"),
            (ExternalBody.QIO, "Quality Improvement Organization", "US-11"),
            (ExternalBody.STATE_AGENCY, "State survey agency", "US-18"),
        )
    ),
    _count_measure(
        key="open_now",
        name="Open now",
        definition="Cases open at this moment (new, acknowledged, under investigation, response drafted or "
        "responded and not yet closed), whenever they were received. The period does not apply.",
        rule="",
        cases=_open_now,
    ),
    _count_measure(
        key="overdue_now",
        name="Overdue now",
        definition="Open cases whose next deadline under the site's rules (acknowledgement, response, interim "
        "notice or statutory limit, extensions included) has passed at this moment. The period does not apply.",
        rule="",
        cases=_overdue_now,
    ),
    _count_measure(
        key="compliments",
        name="Compliments",
        definition="Cases received in the period recorded as compliments.",
        rule="",
        cases=_filtered(case_type=CaseType.COMPLIMENT),
    ),
    _count_measure(
        key="concerns_resolved_informally",
        name="Concerns resolved informally",
        definition=(
            "Concerns received in the period that were closed informally: resolved at first contact, or the "
            "person declined a formal complaint. A concern later converted into a complaint counts as a "
            "complaint, not here."
        ),
        rule="UK-13",
        cases=_filtered(case_type=CaseType.CONCERN, informal_outcome__gt=""),
    ),
)

MEASURES: dict[str, Measure] = {measure.key: measure for measure in MEASURES_LIST}
