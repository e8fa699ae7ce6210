"""Scotland: the Patient Rights (Complaints Procedure and Consequential Provisions) (Scotland) Regulations 2012.

RULES.md UK-S1 (SSI 2012/36 reg. 6). Clocks run for "complaint" (and "grievance", treated as a complaint):

- acknowledge: 3 working days after the day of receipt, Scottish bank holidays;
- respond: the investigation report 20 working days after the day of receipt.

Neither duty applies when the complaint is resolved to the complainant's satisfaction within 3 working
days; a complaint resolved at the time by staff present is such a case, so it gets no clocks. RULES.md
records no time limit for making a complaint in Scotland, so none is applied.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from liaison.lib.workdays import SCOTLAND
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

SOURCE = "SSI 2012/36 reg. 6"
ACKNOWLEDGE_DAYS = 3
RESPOND_DAYS = 20


class ScotlandNHS:
    key = "scotland_nhs"
    name = "Scotland NHS (SSI 2012/36)"
    default_zone = "Europe/London"

    def classify(self, facts: CaseFacts) -> Classification:
        return uk_classification(
            facts,
            "A complaint in Scotland must be acknowledged within 3 working days and the investigation report "
            "sent within 20 working days, unless it was resolved within 3 working days (UK-S1).",
            ("UK-S1",),
        )

    def clocks(self, facts: CaseFacts, zone: ZoneInfo) -> list[Clock]:
        if facts.case_type not in UK_FORMAL_TYPES or facts.resolved_at_time_by_staff_present:
            return []
        return acknowledge_and_respond_clocks(
            facts,
            zone,
            calendar=SCOTLAND,
            acknowledge_days=ACKNOWLEDGE_DAYS,
            respond_days=RESPOND_DAYS,
            respond_name="Send the investigation report",
            respond_note="; if that cannot be met, as soon as reasonably practicable, with the reason",
            rule_id="UK-S1",
            source=SOURCE,
        )

    def time_limit(self, facts: CaseFacts, zone: ZoneInfo) -> TimeLimitCheck:
        return no_time_limit(
            "No time limit for making a complaint in Scotland is recorded in the rules, so none is applied."
        )
