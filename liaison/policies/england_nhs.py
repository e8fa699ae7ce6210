"""England: the NHS complaints regulations, SI 2009/309 (RULES.md section E).

Clocks run for a case of type "complaint" (and "grievance", the US word, treated as a complaint).
Concerns (PALS), compliments, enquiries and advocacy cases have no statutory clock.

- acknowledge (UK-3): 3 working days after the day of receipt, England and Wales bank holidays.
- respond: the date agreed with the complainant (UK-4); failing that, the trust's own target of
  ``default_response_working_days`` working days (UK-4: the body sets the period when none is agreed).
  Either way never later than the statutory limit.
- statutory_limit (UK-8): 6 months after receipt (clamped to month end, see
  :func:`liaison.lib.workdays.add_months`), or the extended date when an extension is recorded.
- time limit (UK-2): a complaint should be made within 12 months of the later of the event and the
  day the complainant learnt of it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from liaison.lib.workdays import ENGLAND_AND_WALES, add_months, add_working_days
from liaison.policies.base import (
    UK_FORMAL_TYPES,
    CaseFacts,
    Classification,
    Clock,
    TimeLimitCheck,
    end_of_day,
    local_date,
    uk_classification,
)

REGS = "SI 2009/309"


class EnglandNHS:
    key = "england_nhs"
    name = "England NHS (SI 2009/309)"
    default_zone = "Europe/London"

    def __init__(self, default_response_working_days: int = 25) -> None:
        """``default_response_working_days``: the trust's response target when no date is agreed (local policy)."""
        if default_response_working_days < 1:
            raise ValueError(f"default_response_working_days must be at least 1, not {default_response_working_days}.")
        self.default_response_working_days = default_response_working_days

    def classify(self, facts: CaseFacts) -> Classification:
        return uk_classification(
            facts,
            "A complaint in England must be acknowledged within 3 working days and answered within 6 months "
            "unless a longer period is agreed (UK-3, UK-8).",
            ("UK-3", "UK-8"),
        )

    def clocks(self, facts: CaseFacts, zone: ZoneInfo) -> list[Clock]:
        if facts.case_type not in UK_FORMAL_TYPES:
            return []
        received = local_date(facts.received_at, zone)
        calendar = ENGLAND_AND_WALES

        acknowledge = Clock(
            key="acknowledge",
            name="Acknowledge the complaint",
            due=end_of_day(add_working_days(received, 3, calendar), zone),
            rule=f"3 working days after the day it was received, skipping weekends and {calendar.name}.",
            rule_id="UK-3",
            source=f"{REGS} reg. 13(2)",
        )

        six_months = add_months(received, 6)
        # UK-8 allows a longer period by agreement, never a shorter one: an agreed date before the six months are
        # up is the response date agreed (UK-4), and the statutory limit stays where the regulations put it.
        if facts.extension_agreed_until is not None and facts.extension_agreed_until > six_months:
            limit_day = facts.extension_agreed_until
            limit_rule = "The later date agreed with the complainant for the response, which replaces the 6 months."
        else:
            limit_day = six_months
            limit_rule = (
                "6 months after the day it was received; when that month has no such day, its last day "
                "(31 August gives the end of February)."
            )
        statutory_limit = Clock(
            key="statutory_limit",
            name="Statutory limit for the response",
            due=end_of_day(limit_day, zone),
            rule=limit_rule,
            rule_id="UK-8",
            source=f"{REGS} reg. 14(4)-(5)",
        )

        if facts.agreed_response_date is not None:
            target = facts.agreed_response_date
            target_words = "the response date agreed with the complainant"
        else:
            target = add_working_days(received, self.default_response_working_days, calendar)
            target_words = (
                f"the trust's target of {self.default_response_working_days} working days after the day it was "
                f"received (used when no date is agreed), skipping weekends and {calendar.name}"
            )
        if target > limit_day:
            respond = Clock(
                key="respond",
                name="Send the response",
                due=statutory_limit.due,
                rule=f"The statutory limit, because {target_words} falls after it.",
                rule_id="UK-8",
                source=statutory_limit.source,
            )
        else:
            respond = Clock(
                key="respond",
                name="Send the response",
                due=end_of_day(target, zone),
                rule=f"{target_words[0].upper()}{target_words[1:]}, never later than the statutory limit.",
                rule_id="UK-4",
                source=f"{REGS} reg. 13(7)",
            )
        return [acknowledge, respond, statutory_limit]

    def time_limit(self, facts: CaseFacts, zone: ZoneInfo) -> TimeLimitCheck:
        known = [d for d in (facts.event_date, facts.awareness_date) if d is not None]
        if not known:
            return TimeLimitCheck(
                out_of_time=False,
                limit_date=None,
                needs_decision=False,
                rule="The 12-month time limit cannot be checked until the event date or the awareness date is known.",
                rule_id="UK-2",
            )
        limit = add_months(max(known), 12)
        out_of_time = local_date(facts.received_at, zone) > limit
        if out_of_time:
            rule = (
                f"Made after {limit.isoformat()}, 12 months after the later of the event and when the complainant "
                "learnt of it: it may go ahead only if there was good reason for the delay and a fair "
                "investigation is still possible."
            )
        else:
            rule = (
                f"Made by {limit.isoformat()}, within 12 months of the later of the event and when the complainant "
                "learnt of it."
            )
        return TimeLimitCheck(
            out_of_time=out_of_time, limit_date=limit, needs_decision=out_of_time, rule=rule, rule_id="UK-2"
        )
