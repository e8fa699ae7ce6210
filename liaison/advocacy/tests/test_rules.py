"""Appeal deadlines for every plan type, level and urgency in RULES.md section D, worked out by hand.

Every INS rule counts calendar days, so several expected dates fall on a weekend or a US holiday on purpose:
they must not move. Working days appear only when a site sets them (INS-3's old "3 working days").
"""

from __future__ import annotations

from datetime import date

import pytest

from liaison.advocacy import rules
from liaison.advocacy.rules import NO_RULE, Override, appeal_deadlines

# (plan, level, urgency, timing) -> (kind, start, expected due, rule id, source, unverified, counting)
KNOWN = [
    # INS-5: 26 May 2026 + 60 calendar days = Saturday 25 July 2026 (not moved to Monday).
    (
        "medicaid_managed_care",
        "internal",
        "standard",
        "post_service",
        "file",
        date(2026, 5, 26),
        date(2026, 7, 25),
        "INS-5",
        "42 CFR 438.402(c)(2)",
        True,
        "calendar days",
    ),
    (
        "medicaid_managed_care",
        "internal",
        "expedited",
        "pre_service",
        "file",
        date(2026, 5, 26),
        date(2026, 7, 25),
        "INS-5",
        "42 CFR 438.402(c)(2)",
        True,
        "calendar days",
    ),
    # INS-2: filed Thursday 4 June 2026 + 30 = Saturday 4 July 2026, Independence Day: calendar days, kept.
    (
        "medicaid_managed_care",
        "internal",
        "standard",
        "post_service",
        "decide",
        date(2026, 6, 4),
        date(2026, 7, 4),
        "INS-2",
        "42 CFR 438.408(b)(2)",
        True,
        "calendar days",
    ),
    (
        "medicaid_managed_care",
        "internal",
        "standard",
        "pre_service",
        "decide",
        date(2026, 6, 4),
        date(2026, 7, 4),
        "INS-2",
        "42 CFR 438.408(b)(2)",
        True,
        "calendar days",
    ),
    # INS-3: filed Thursday 2 July 2026 + 72 hours = Sunday 5 July 2026.
    (
        "medicaid_managed_care",
        "internal",
        "expedited",
        "post_service",
        "decide",
        date(2026, 7, 2),
        date(2026, 7, 5),
        "INS-3",
        "42 CFR 438.408(b)(3) and 438.410",
        True,
        "hours",
    ),
    # INS-6: 5 January 2026 + 180 days = 4 July 2026 (26 + 28 + 31 + 30 + 31 + 30 = 176 to 30 June, + 4).
    (
        "erisa_employer",
        "internal",
        "standard",
        "post_service",
        "file",
        date(2026, 1, 5),
        date(2026, 7, 4),
        "INS-6",
        "29 CFR 2560.503-1",
        False,
        "calendar days",
    ),
    (
        "erisa_employer",
        "internal",
        "expedited",
        "pre_service",
        "file",
        date(2026, 1, 5),
        date(2026, 7, 4),
        "INS-6",
        "29 CFR 2560.503-1",
        False,
        "calendar days",
    ),
    # INS-7: filed Friday 6 March 2026: urgent 72 hours = Monday 9 March; pre-service 30 days = Sunday 5 April;
    # post-service 60 days = 5 May (25 to 31 March, 30 in April, 5 in May).
    (
        "erisa_employer",
        "internal",
        "expedited",
        "post_service",
        "decide",
        date(2026, 3, 6),
        date(2026, 3, 9),
        "INS-7",
        "29 CFR 2560.503-1(i)",
        False,
        "hours",
    ),
    (
        "erisa_employer",
        "internal",
        "standard",
        "pre_service",
        "decide",
        date(2026, 3, 6),
        date(2026, 4, 5),
        "INS-7",
        "29 CFR 2560.503-1(i)",
        False,
        "calendar days",
    ),
    (
        "erisa_employer",
        "internal",
        "standard",
        "post_service",
        "decide",
        date(2026, 3, 6),
        date(2026, 5, 5),
        "INS-7",
        "29 CFR 2560.503-1(i)",
        False,
        "calendar days",
    ),
    # Marketplace plans: the same numbers through INS-8 (ACA applies the ERISA rules).
    (
        "marketplace",
        "internal",
        "standard",
        "pre_service",
        "file",
        date(2026, 1, 5),
        date(2026, 7, 4),
        "INS-8",
        "45 CFR 147.136 (applies 29 CFR 2560.503-1)",
        False,
        "calendar days",
    ),
    (
        "marketplace",
        "internal",
        "expedited",
        "pre_service",
        "decide",
        date(2026, 3, 6),
        date(2026, 3, 9),
        "INS-8",
        "45 CFR 147.136 (applies 29 CFR 2560.503-1(i))",
        False,
        "hours",
    ),
    (
        "marketplace",
        "internal",
        "standard",
        "pre_service",
        "decide",
        date(2026, 3, 6),
        date(2026, 4, 5),
        "INS-8",
        "45 CFR 147.136 (applies 29 CFR 2560.503-1(i))",
        False,
        "calendar days",
    ),
    (
        "marketplace",
        "internal",
        "standard",
        "post_service",
        "decide",
        date(2026, 3, 6),
        date(2026, 5, 5),
        "INS-8",
        "45 CFR 147.136 (applies 29 CFR 2560.503-1(i))",
        False,
        "calendar days",
    ),
    # INS-8 external review: 4 months after the final internal decision; 31 October + 4 months = 28 February.
    (
        "erisa_employer",
        "external_review",
        "standard",
        "post_service",
        "file",
        date(2026, 10, 31),
        date(2027, 2, 28),
        "INS-8",
        "45 CFR 147.136",
        True,
        "months",
    ),
    (
        "marketplace",
        "external_review",
        "expedited",
        "post_service",
        "file",
        date(2026, 8, 31),
        date(2026, 12, 31),
        "INS-8",
        "45 CFR 147.136",
        True,
        "months",
    ),
]


def _deadline(plan: str, level: str, urgency: str, timing: str, kind: str, start: date, **kw: object) -> rules.Deadline:
    found = appeal_deadlines(
        plan=plan,
        level=level,
        urgency=urgency,
        timing=timing,
        decision_received_on=start,
        filed_on=start,
        **kw,  # type: ignore[arg-type]
    )
    return next(d for d in found if d.key == kind)


@pytest.mark.parametrize(
    ("plan", "level", "urgency", "timing", "kind", "start", "due", "rule_id", "source", "unverified", "counting"),
    KNOWN,
)
def test_it_computes_each_deadline_the_rules_give_with_its_rule_and_source(
    plan: str, level: str, urgency: str, timing: str, kind: str, start: date, due: date,
    rule_id: str, source: str, unverified: bool, counting: str,
) -> None:  # fmt: skip
    deadline = _deadline(plan, level, urgency, timing, kind, start)
    assert (deadline.due, deadline.rule_id, deadline.source) == (due, rule_id, source)
    assert deadline.unverified is unverified
    assert deadline.counting == counting
    assert not deadline.overridden and deadline.missing == ""


ALL = [
    (plan, level, urgency, timing)
    for plan in rules.PLAN_TYPES
    for level in rules.LEVELS
    for urgency in rules.URGENCIES
    for timing in rules.TIMINGS
]


@pytest.mark.parametrize(("plan", "level", "urgency", "timing"), ALL)
def test_every_combination_has_a_date_from_the_rules_or_says_there_is_none(
    plan: str, level: str, urgency: str, timing: str
) -> None:
    start = date(2026, 3, 6)
    for deadline in appeal_deadlines(
        plan=plan, level=level, urgency=urgency, timing=timing, decision_received_on=start, filed_on=start
    ):
        key = (
            rules.decide_key(plan, level, urgency, timing) if deadline.key == "decide" else rules.file_key(plan, level)
        )
        if key in rules.KNOWN_RULES:
            assert deadline.due is not None and deadline.rule_id.startswith("INS-") and deadline.source
        else:
            # Medicare, Medicare Advantage, other US plans, NHS routes, second level and fair hearings:
            # RULES.md gives no number, and none is invented.
            assert (deadline.due, deadline.rule_id, deadline.rule, deadline.missing) == (None, "", NO_RULE, NO_RULE)


def test_the_hand_worked_table_covers_every_rule_with_a_number() -> None:
    keys = {rules.decide_key(p, lv, u, t) if k == "decide" else rules.file_key(p, lv) for p, lv, u, t, k, *_ in KNOWN}
    assert keys == set(rules.KNOWN_RULES)


def test_a_decision_due_date_waits_for_the_filing_date() -> None:
    file, decide = appeal_deadlines(
        plan="erisa_employer", level="internal", urgency="standard", timing="post_service",
        decision_received_on=date(2026, 1, 5), filed_on=None,
    )  # fmt: skip
    assert file.due == date(2026, 7, 4)
    assert decide.due is None and decide.missing == "Record the date the appeal was filed."
    assert decide.rule_id == "INS-7"


def test_a_working_day_override_skips_weekends_and_us_federal_holidays() -> None:
    # INS-3's old text: 3 working days. Filed Thursday 2 July 2026; Friday 3 July is Independence Day
    # (observed), then the weekend: Monday 6 (1), Tuesday 7 (2), Wednesday 8 (3).
    deadline = _deadline(
        "medicaid_managed_care", "internal", "expedited", "post_service", "decide", date(2026, 7, 2),
        overrides={"decide:medicaid_managed_care:internal:expedited": Override(3, "working_days", "Mona")},
    )  # fmt: skip
    assert deadline.due == date(2026, 7, 8)
    assert deadline.rule_id == "INS-3" and deadline.overridden and deadline.unverified
    assert deadline.source == "42 CFR 438.408(b)(3) and 438.410; number set by this site (Mona)"
    assert "skipping weekends and US federal holidays" in deadline.rule


def test_a_site_number_where_the_rules_give_none_counts_english_bank_holidays_for_nhs_routes() -> None:
    # Filed Thursday 24 December 2026: Friday 25 (Christmas), the weekend, Monday 28 (Boxing Day substitute)
    # are skipped: Tuesday 29 (1), Wednesday 30 (2), Thursday 31 (3).
    deadline = _deadline(
        "nhs_continuing_healthcare", "internal", "standard", "post_service", "decide", date(2026, 12, 24),
        overrides={"decide:nhs_continuing_healthcare:internal:standard": Override(3, "working_days")},
    )  # fmt: skip
    assert deadline.due == date(2026, 12, 31)
    assert deadline.rule_id == rules.LOCAL_RULE_ID and deadline.unverified
    assert "England and Wales bank holidays" in deadline.rule


def test_unknown_values_are_refused() -> None:
    with pytest.raises(ValueError, match="Unknown plan"):
        appeal_deadlines(
            plan="blue_cross", level="internal", urgency="standard", timing="pre_service",
            decision_received_on=date(2026, 1, 1), filed_on=None,
        )  # fmt: skip
