"""Derived facts of a case: its policy-pack facts, clocks, classification, priority. No writes here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from liaison.cases.models import OPEN_STATUSES, PRIORITY_RANK, Case, CaseType, ExternalBody, Priority
from liaison.policies.base import CaseFacts, Classification, Clock, TimeLimitCheck
from liaison.policies.registry import get_pack

# A 5×5 consequence × likelihood matrix: the product gives the rating (the NHS risk-matrix banding).
_BANDS = [(3, Priority.LOW), (6, Priority.MODERATE), (12, Priority.HIGH), (25, Priority.EXTREME)]

RED_FLAGS = {
    "abuse": ("Alleged abuse", Priority.HIGH),
    "neglect": ("Alleged neglect", Priority.HIGH),
    "safeguarding": ("Safeguarding concern", Priority.HIGH),
    "still_in_hospital": ("Patient still in hospital", Priority.MODERATE),
    "harm_moderate_or_worse": ("Harm of moderate severity or worse", Priority.HIGH),
    "media_or_legal_threat": ("Media or legal action mentioned", Priority.MODERATE),
}
_ORDER = [Priority.LOW, Priority.MODERATE, Priority.HIGH, Priority.EXTREME]


@dataclass(frozen=True)
class PriorityResult:
    priority: str
    score: int
    reasons: tuple[str, ...]

    @property
    def rank(self) -> int:
        return PRIORITY_RANK[Priority(self.priority)]


def rate_priority(consequence: int, likelihood: int, red_flags: list[str] | tuple[str, ...]) -> PriorityResult:
    score = consequence * likelihood
    rating = next(band for limit, band in _BANDS if score <= limit)
    reasons = [f"Risk {consequence} × {likelihood} = {score}: {rating.label.lower()}"]
    for flag in red_flags:
        label, floor = RED_FLAGS[flag]
        if _ORDER.index(floor) > _ORDER.index(rating):
            rating = floor
            reasons.append(f"Raised to {floor.label.lower()}: {label.lower()}")
        else:
            reasons.append(f"Red flag: {label.lower()}")
    return PriorityResult(rating.value, score, tuple(reasons))


def case_facts(case: Case) -> CaseFacts:
    return CaseFacts(
        case_type=case.case_type,
        channel=case.channel,
        received_at=case.received_at,
        event_date=case.event_date,
        awareness_date=case.awareness_date,
        topics=frozenset(case.topics or []) | frozenset(f for f in case.red_flags or [] if f in ("abuse", "neglect")),
        resolved_at_time_by_staff_present=case.resolved_at_time_by_staff_present,
        postponed=case.postponed,
        referred=case.referred,
        requires_investigation=case.requires_investigation,
        requires_further_action=case.requires_further_action,
        requested_formal_or_response=case.requested_formal_or_response,
        medicare_beneficiary=case.medicare_beneficiary,
        acknowledged_at=case.acknowledged_at,
        agreed_response_date=case.agreed_response_date,
        extension_agreed_until=case.extension_agreed_until,
        interim_notice_sent_at=case.interim_notice_sent_at,
        followup_within_days=case.followup_within_days,
    )


def classification(case: Case) -> Classification:
    return get_pack(case.site.policy_pack).classify(case_facts(case))


def clocks(case: Case) -> list[Clock]:
    return get_pack(case.site.policy_pack).clocks(case_facts(case), case.site.zone)


def time_limit(case: Case) -> TimeLimitCheck:
    return get_pack(case.site.policy_pack).time_limit(case_facts(case), case.site.zone)


def needs_time_limit_decision(case: Case) -> bool:
    return time_limit(case).needs_decision and case.time_limit_decided_at is None


def _clock_is_running(case: Case, clock: Clock) -> bool:
    if clock.key == "acknowledge":
        return case.acknowledged_at is None
    if clock.key == "interim_notice":
        return case.interim_notice_sent_at is None and case.responded_at is None
    return case.responded_at is None


def running_clocks(case: Case) -> list[Clock]:
    """The clocks still to be met, soonest first; none once the case is closed or responded to."""
    if case.status not in OPEN_STATUSES:
        return []
    return sorted((c for c in clocks(case) if _clock_is_running(case, c)), key=lambda c: c.due)


def next_due(case: Case) -> tuple[datetime | None, str]:
    running = running_clocks(case)
    return (running[0].due, running[0].name) if running else (None, "")


# -- Which actions still apply: the case page offers only these, and the services refuse the rest. ----------

_REFERRAL_BODIES = {
    "us_cms": (ExternalBody.QIO, ExternalBody.STATE_AGENCY),
}
_UK_REFERRAL_BODIES = (ExternalBody.OMBUDSMAN, ExternalBody.REGULATOR)


def referral_bodies(case: Case) -> tuple[str, ...]:
    """The bodies a site's rules send complaints on to: the QIO and State agency in the US, else the ombudsman."""
    return _REFERRAL_BODIES.get(case.site.policy_pack, _UK_REFERRAL_BODIES)


def extension_applies(case: Case) -> bool:
    """UK-8: an agreed longer response period, for an open case not yet answered; the US rules have none."""
    return case.site.policy_pack != "us_cms" and case.is_open and case.responded_at is None


def interim_notice_applies(case: Case) -> bool:
    """US-14: one interim notice for an open grievance that has not been answered yet."""
    return (
        case.case_type == CaseType.GRIEVANCE
        and case.is_open
        and case.interim_notice_sent_at is None
        and case.responded_at is None
    )


@dataclass(frozen=True)
class ClockState:
    clock: Clock
    running: bool
    state: str  # "running", "met", "missed" or "stopped"
    note: str  # "met on 3 March 2026", "missed by 2 days", "stopped: the case was withdrawn on 4 March 2026"


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _met_by(case: Case, clock: Clock) -> datetime | None:
    if clock.key == "acknowledge":
        return case.acknowledged_at
    if clock.key == "interim_notice":
        return case.interim_notice_sent_at or case.responded_at
    return case.responded_at


def clock_states(case: Case) -> list[ClockState]:
    """Each clock with what became of it: still running, met on a date, missed by some days, or stopped."""
    zone = case.site.zone
    running = {c.key for c in running_clocks(case)}
    states = []
    for clock in clocks(case):
        if clock.key in running:
            states.append(ClockState(clock, True, "running", ""))
            continue
        met_at = _met_by(case, clock)
        if met_at is not None:
            day = met_at.astimezone(zone).date()
            if met_at <= clock.due:
                states.append(ClockState(clock, False, "met", f"met on {_long(day)}"))
            else:
                late = (day - clock.due.astimezone(zone).date()).days
                states.append(ClockState(clock, False, "missed", f"missed by {late} day{'s' if late != 1 else ''}"))
            continue
        ended = case.closed_at
        why = {
            "withdrawn": "the complainant withdrew",
            "referred": "the case was referred externally",
            "closed": "the case was merged into another" if case.merged_into_id else "the case was closed",
        }.get(case.status, "the case is no longer open")
        when = f" on {_long(ended.astimezone(zone).date())}" if ended else ""
        states.append(ClockState(clock, False, "stopped", f"stopped: {why}{when}"))
    return states
