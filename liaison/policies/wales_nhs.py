"""Wales: the NHS concerns and complaints arrangements, from the MDU summary in RULES.md UK-W1.

The figures come from a secondary source ([S] in RULES.md); the primary Welsh regulations were not
checked. Clocks run for "complaint" (and "grievance", treated as a complaint):

- acknowledge: 2 working days after the day of receipt, England and Wales bank holidays (Wales and
  England share the same bank holidays);
- respond: the full response 30 working days after the day of receipt.

RULES.md records no time limit for making a complaint in Wales, so none is applied.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from liaison.lib.workdays import ENGLAND_AND_WALES
from liaison.policies.base import (
    UK_FORMAL_TYPES,
    CaseFacts,
    Classification,
    Clock,
    TimeLimitCheck,
    acknowledge_and_respond_clocks,
    no_time_limit,
    uk_classification,
)

SOURCE = "NHS Wales complaints arrangements, as summarised by the MDU (primary text not checked)"
ACKNOWLEDGE_DAYS = 2
RESPOND_DAYS = 30


class WalesNHS:
    key = "wales_nhs"
    name = "Wales NHS"
    default_zone = "Europe/London"

    def classify(self, facts: CaseFacts) -> Classification:
        return uk_classification(
            facts,
            "A complaint in Wales must be acknowledged within 2 working days and fully answered within 30 "
            "working days, or the delay explained (UK-W1).",
            ("UK-W1",),
        )

    def clocks(self, facts: CaseFacts, zone: ZoneInfo) -> list[Clock]:
        if facts.case_type not in UK_FORMAL_TYPES:
            return []
        return acknowledge_and_respond_clocks(
            facts,
            zone,
            calendar=ENGLAND_AND_WALES,
            acknowledge_days=ACKNOWLEDGE_DAYS,
            respond_days=RESPOND_DAYS,
            respond_name="Send the full response",
            respond_note="; if that cannot be met, write to explain the delay",
            rule_id="UK-W1",
            source=SOURCE,
        )

    def time_limit(self, facts: CaseFacts, zone: ZoneInfo) -> TimeLimitCheck:
        return no_time_limit(
            "No time limit for making a complaint in Wales is recorded in the rules, so none is applied."
        )
