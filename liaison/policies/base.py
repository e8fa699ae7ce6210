"""The shared language of the policy packs: the facts of a case in, clocks and a classification out.

A policy pack is a set of pure functions over :class:`CaseFacts`. Packs read no database and no clock:
the same facts always give the same answers, whenever they are asked. To add a jurisdiction, copy one
pack module, change its rules, and list it in :mod:`liaison.policies.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from liaison.lib.workdays import WorkingDayCalendar, add_working_days

CASE_TYPES: tuple[str, ...] = ("concern", "complaint", "grievance", "compliment", "enquiry", "advocacy")
CHANNELS: tuple[str, ...] = ("phone", "in_person", "letter", "email", "web_form", "survey", "social_media", "other")
TOPICS: frozenset[str] = frozenset(
    {
        "abuse",
        "neglect",
        "cop_compliance",
        "medicare_billing_rights",
        "billing",
        "quality_of_care",
        "premature_discharge",
        "safeguarding",
    }
)

# The case types that start the formal (statutory) clocks in the UK packs. "grievance" is the US CMS
# word; a case recorded as one at a UK site is handled as a complaint.
UK_FORMAL_TYPES: frozenset[str] = frozenset({"complaint", "grievance"})


@dataclass(frozen=True)
class CaseFacts:
    """What a pack needs to know about a case. Unknown types, channels or topics are refused."""

    case_type: str
    channel: str
    received_at: datetime  # timezone-aware; never changes, even when the case changes type
    event_date: date | None = None
    awareness_date: date | None = None
    topics: frozenset[str] = frozenset()
    resolved_at_time_by_staff_present: bool = False
    postponed: bool = False
    referred: bool = False
    requires_investigation: bool = False
    requires_further_action: bool = False
    requested_formal_or_response: bool = False
    medicare_beneficiary: bool = False
    acknowledged_at: datetime | None = None
    agreed_response_date: date | None = None  # England: the date agreed with the complainant
    extension_agreed_until: date | None = None  # only with a recorded agreement
    interim_notice_sent_at: datetime | None = None  # US-14
    followup_within_days: int | None = None  # US-14, as stated in the interim notice

    def __post_init__(self) -> None:
        if self.case_type not in CASE_TYPES:
            raise ValueError(f"Unknown case type {self.case_type!r}; expected one of {', '.join(CASE_TYPES)}.")
        if self.channel not in CHANNELS:
            raise ValueError(f"Unknown channel {self.channel!r}; expected one of {', '.join(CHANNELS)}.")
        unknown = set(self.topics) - TOPICS
        if unknown:
            raise ValueError(
                f"Unknown topics {', '.join(sorted(unknown))}; expected any of {', '.join(sorted(TOPICS))}."
            )
        for name in ("received_at", "acknowledged_at", "interim_notice_sent_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware, not a naive datetime ({value.isoformat()}).")
        if self.followup_within_days is not None and self.followup_within_days < 0:
            raise ValueError(f"followup_within_days must be zero or more, not {self.followup_within_days}.")


@dataclass(frozen=True)
class Clock:
    key: str  # "acknowledge", "respond", "statutory_limit", "interim_notice", "final_response"
    name: str  # "Acknowledge the complaint"
    due: datetime  # aware, in the site's zone; the last microsecond of the due day for day-based rules
    rule: str  # one plain sentence
    rule_id: str  # the RULES.md id, e.g. "UK-3"
    source: str  # the regulation, e.g. "SI 2009/309 reg. 13(2)"


@dataclass(frozen=True)
class Classification:
    case_type: str  # the type the rules require or suggest; UK packs return the recorded type
    is_grievance: bool  # a grievance in the US CMS sense; always False in the UK packs
    reasons: tuple[str, ...]  # sentences, each naming its rule id
    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class TimeLimitCheck:
    out_of_time: bool
    limit_date: date | None
    needs_decision: bool  # an officer must record good reason and that a fair investigation is still possible
    rule: str
    rule_id: str  # "" where the pack has no time limit


class PolicyPack(Protocol):
    key: str
    name: str
    default_zone: str

    def classify(self, facts: CaseFacts) -> Classification: ...

    def clocks(self, facts: CaseFacts, zone: ZoneInfo) -> list[Clock]: ...

    def time_limit(self, facts: CaseFacts, zone: ZoneInfo) -> TimeLimitCheck: ...


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day ``moment`` falls on at the site: 23:30 on a Friday in London is a Friday."""
    return moment.astimezone(zone).date()


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """23:59:59.999999 local time on ``day``, with the UTC offset in force on that day."""
    return datetime.combine(day, time.max, tzinfo=zone)


def no_time_limit(rule: str) -> TimeLimitCheck:
    return TimeLimitCheck(out_of_time=False, limit_date=None, needs_decision=False, rule=rule, rule_id="")


def uk_classification(facts: CaseFacts, formal_rule: str, formal_rule_ids: tuple[str, ...]) -> Classification:
    """UK packs keep the recorded type and explain which clocks apply to it."""
    if facts.case_type in UK_FORMAL_TYPES:
        reasons = (formal_rule,)
        rule_ids = formal_rule_ids
    elif facts.case_type == "concern":
        reasons = (
            "A concern is handled informally (PALS) and has no statutory clock; if it becomes a complaint "
            "it keeps the day it was received (UK-13).",
        )
        rule_ids = ("UK-13",)
    else:
        reasons = (f"A case of type {facts.case_type} is not a complaint, so no statutory clock applies.",)
        rule_ids = ()
    return Classification(case_type=facts.case_type, is_grievance=False, reasons=reasons, rule_ids=rule_ids)


def acknowledge_and_respond_clocks(
    facts: CaseFacts,
    zone: ZoneInfo,
    *,
    calendar: WorkingDayCalendar,
    acknowledge_days: int,
    respond_days: int,
    respond_name: str,
    respond_note: str,
    rule_id: str,
    source: str,
) -> list[Clock]:
    """The two working-day clocks of the Scottish and Welsh procedures: acknowledge, then respond."""
    received = local_date(facts.received_at, zone)
    skipping = f"skipping weekends and {calendar.name}"
    return [
        Clock(
            key="acknowledge",
            name="Acknowledge the complaint",
            due=end_of_day(add_working_days(received, acknowledge_days, calendar), zone),
            rule=f"{acknowledge_days} working days after the day it was received, {skipping}.",
            rule_id=rule_id,
            source=source,
        ),
        Clock(
            key="respond",
            name=respond_name,
            due=end_of_day(add_working_days(received, respond_days, calendar), zone),
            rule=f"{respond_days} working days after the day it was received, {skipping}{respond_note}.",
            rule_id=rule_id,
            source=source,
        ),
    ]
