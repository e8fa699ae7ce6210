"""USA (42 CFR 482.13): what is a grievance (US-2 to US-8) and the 7-day clock (US-14)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from liaison.policies.base import CaseFacts, Clock
from liaison.policies.us_cms import USCMS

NEW_YORK = ZoneInfo("America/New_York")
PACK = USCMS()
RECEIVED = datetime(2026, 5, 12, 10, 0, tzinfo=NEW_YORK)


def facts(
    channel: str = "phone", case_type: str = "complaint", received_at: datetime = RECEIVED, **extra: Any
) -> CaseFacts:
    return CaseFacts(case_type=case_type, channel=channel, received_at=received_at, **extra)


def clocks_by_key(case: CaseFacts) -> dict[str, Clock]:
    return {clock.key: clock for clock in PACK.clocks(case, NEW_YORK)}


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=NEW_YORK)


RESOLVED = {"resolved_at_time_by_staff_present": True}

CLASSIFICATION_TABLE: list[tuple[str, dict[str, Any], bool, set[str]]] = [
    # US-5: written is always a grievance, with no override.
    ("letter", {}, True, {"US-5"}),
    ("email", RESOLVED, True, {"US-5"}),
    ("web_form", {"topics": frozenset({"billing"})}, True, {"US-5"}),
    ("social_media", RESOLVED, True, {"US-5"}),
    # US-2: verbal counts unless staff present resolved it at the time.
    ("phone", {}, True, {"US-2"}),
    ("in_person", {}, True, {"US-2"}),
    ("other", {}, True, {"US-2"}),
    ("phone", RESOLVED, False, {"US-2", "US-3"}),
    ("in_person", RESOLVED, False, {"US-2", "US-3"}),
    # US-4: postponed, referred, needing investigation or further action is not "resolved at the time".
    ("in_person", {**RESOLVED, "postponed": True}, True, {"US-4"}),
    ("phone", {**RESOLVED, "referred": True}, True, {"US-4"}),
    ("phone", {**RESOLVED, "requires_investigation": True}, True, {"US-4"}),
    ("phone", {**RESOLVED, "requires_further_action": True}, True, {"US-4"}),
    # US-6: asking for formal handling or a response.
    ("phone", {**RESOLVED, "requested_formal_or_response": True}, True, {"US-6"}),
    ("survey", {"requested_formal_or_response": True}, True, {"US-6"}),
    ("survey", {}, False, {"US-9"}),
    # US-8: abuse or neglect, however raised.
    ("phone", {**RESOLVED, "topics": frozenset({"abuse"})}, True, {"US-8"}),
    ("survey", {"topics": frozenset({"neglect"})}, True, {"US-8"}),
    # US-2: compliance with the Conditions of Participation.
    ("phone", {**RESOLVED, "topics": frozenset({"cop_compliance"})}, True, {"US-2"}),
    # US-7: billing alone is not a grievance; Medicare billing rights are.
    ("phone", {"topics": frozenset({"billing"})}, False, {"US-7"}),
    ("phone", {"topics": frozenset({"billing"}), "referred": True}, False, {"US-7"}),
    (
        "phone",
        {"topics": frozenset({"billing", "medicare_billing_rights"}), "medicare_beneficiary": True, **RESOLVED},
        True,
        {"US-7"},
    ),
    ("phone", {"topics": frozenset({"billing", "quality_of_care"})}, True, {"US-2"}),  # not billing alone
    ("phone", {"topics": frozenset({"billing"}), "requested_formal_or_response": True}, True, {"US-6"}),
    # Several rules at once: all are reported.
    ("letter", {"topics": frozenset({"abuse"}), "requested_formal_or_response": True}, True, {"US-5", "US-6", "US-8"}),
]


@pytest.mark.parametrize(("channel", "extra", "is_grievance", "rule_ids"), CLASSIFICATION_TABLE)
def test_grievance_classification_us2_to_us8(
    channel: str, extra: dict[str, Any], is_grievance: bool, rule_ids: set[str]
) -> None:
    result = PACK.classify(facts(channel, **extra))
    assert result.is_grievance is is_grievance
    assert rule_ids <= set(result.rule_ids)
    assert result.case_type == ("grievance" if is_grievance else "complaint")
    for rule_id in result.rule_ids:
        assert any(rule_id in reason for reason in result.reasons), rule_id


def test_a_written_complaint_says_how_it_came() -> None:
    assert PACK.classify(facts("letter")).reasons == (
        "A written complaint is always a grievance (US-5): it came by letter.",
    )


def test_an_informal_concern_that_meets_the_definition_becomes_a_grievance() -> None:
    result = PACK.classify(facts("phone", case_type="concern"))
    assert result.case_type == "grievance"
    assert result.is_grievance is True


def test_a_case_recorded_as_a_grievance_stays_one() -> None:
    result = PACK.classify(facts("phone", case_type="grievance", **RESOLVED))
    assert result.is_grievance is True
    assert result.case_type == "grievance"


@pytest.mark.parametrize("case_type", ["compliment", "enquiry"])
def test_compliments_and_enquiries_are_never_grievances(case_type: str) -> None:
    case = facts("letter", case_type=case_type, topics=frozenset({"abuse"}), requested_formal_or_response=True)
    result = PACK.classify(case)
    assert result.is_grievance is False
    assert result.case_type == case_type
    assert PACK.clocks(case, NEW_YORK) == []


def test_a_grievance_has_interim_notice_and_final_response_clocks_seven_calendar_days_out() -> None:
    with time_machine.travel(datetime(2026, 5, 13, 12, 0, tzinfo=UTC), tick=False):
        clocks = PACK.clocks(facts("letter"), NEW_YORK)
    assert [(c.key, c.rule_id) for c in clocks] == [("interim_notice", "US-14"), ("final_response", "US-14")]
    assert all(c.due == end_of(date(2026, 5, 19)) for c in clocks)
    assert "A-0122" in clocks[0].source
    assert "7 calendar days" in clocks[0].rule


def test_a_complaint_that_is_not_a_grievance_has_no_clocks() -> None:
    assert PACK.clocks(facts("phone", **RESOLVED), NEW_YORK) == []


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 11, 20), date(2026, 11, 27)),  # over Thanksgiving (26 November)
        (date(2026, 6, 30), date(2026, 7, 7)),  # over Independence Day (observed 3 July)
        (date(2026, 12, 24), date(2026, 12, 31)),  # over Christmas
        (date(2026, 11, 21), date(2026, 11, 28)),  # received on a Saturday: still calendar days
    ],
)
def test_the_seven_days_are_calendar_days_holidays_included(received: date, due: date) -> None:
    received_at = datetime.combine(received, time(10, 0), tzinfo=NEW_YORK)
    assert clocks_by_key(facts("letter", received_at=received_at))["interim_notice"].due == end_of(due)


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (date(2026, 3, 1), "2026-03-08T23:59:59.999999-04:00"),  # daylight saving starts that morning
        (date(2026, 10, 25), "2026-11-01T23:59:59.999999-05:00"),  # and ends that morning
        (date(2026, 10, 24), "2026-10-31T23:59:59.999999-04:00"),
    ],
)
def test_due_time_uses_the_new_york_offset_in_force_on_the_due_day(received: date, expected: str) -> None:
    received_at = datetime.combine(received, time(10, 0), tzinfo=NEW_YORK)
    assert clocks_by_key(facts("letter", received_at=received_at))["interim_notice"].due.isoformat() == expected


def test_the_local_date_not_the_utc_date_starts_the_count() -> None:
    # 03:00 UTC on 27 November is 22:00 on the 26th in New York.
    received_at = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert clocks_by_key(facts("letter", received_at=received_at))["interim_notice"].due == end_of(date(2026, 12, 3))


def test_an_interim_notice_sets_the_final_response_date() -> None:
    case = facts(
        "letter",
        received_at=datetime(2026, 11, 20, 10, 0, tzinfo=NEW_YORK),
        interim_notice_sent_at=datetime(2026, 11, 26, 2, 0, tzinfo=UTC),  # 25 November, 21:00 in New York
        followup_within_days=14,
    )
    clocks = clocks_by_key(case)
    assert clocks["interim_notice"].due == end_of(date(2026, 11, 27))
    assert clocks["final_response"].due == end_of(date(2026, 12, 9))
    assert "14 calendar days" in clocks["final_response"].rule


def test_an_interim_notice_without_a_follow_up_period_leaves_the_seven_day_date() -> None:
    case = facts("letter", interim_notice_sent_at=datetime(2026, 5, 15, 10, 0, tzinfo=NEW_YORK))
    assert clocks_by_key(case)["final_response"].due == end_of(date(2026, 5, 19))


def test_there_is_no_time_limit_for_raising_a_grievance() -> None:
    check = PACK.time_limit(facts("letter", event_date=date(2000, 1, 1)), NEW_YORK)
    assert (check.out_of_time, check.limit_date, check.needs_decision) == (False, None, False)
