"""The invented demo cases: the right shape, varied, plausible for each hospital, and the same every time."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from liaison.demo import data
from liaison.demo.cases_data import demo_case_specs

KEYS = {
    "site", "type", "channel", "received_days_ago", "received_time", "event_days_before_received",
    "awareness_days_before_received", "patient", "complainant", "language", "interpreter", "accessibility", "wants",
    "account", "issues", "status", "owner", "restricted", "restricted_reason", "red_flags", "consequence",
    "likelihood", "us_flags", "topics", "notes", "calls", "informal_outcome", "history",
}  # fmt: skip
HISTORY_KEYS = {
    "ack_days", "ack_time", "respond_days", "respond_time", "extension_days", "interim_days", "interim_time",
    "followup_days", "outcome", "referral", "reopen",
}  # fmt: skip
TYPES = {"concern", "complaint", "grievance", "compliment", "enquiry", "advocacy"}
CHANNELS = {"phone", "in_person", "letter", "email", "web_form", "survey", "social_media", "other"}
STATUSES = {"new", "acknowledged", "under_investigation", "response_drafted", "responded", "closed", "withdrawn"}
CATEGORIES = {
    "quality",
    "safety",
    "environment",
    "institutional_processes",
    "listening",
    "communication",
    "respect_rights",
}
STAGES = {"admissions", "examination_diagnosis", "ward_care", "operation_procedure", "discharge_transfer", "other"}
STAFF_GROUPS = {"medical", "nursing", "allied_health", "administrative", "other"}
RED_FLAGS = {"abuse", "neglect", "safeguarding", "still_in_hospital", "harm_moderate_or_worse", "media_or_legal_threat"}
TOPICS = {"abuse", "neglect", "billing", "medicare_billing_rights", "quality_of_care", "premature_discharge"}
US_FLAGS = {
    "resolved_at_time_by_staff_present", "postponed", "referred", "requires_investigation", "requires_further_action",
    "requested_formal_or_response", "medicare_beneficiary",
}  # fmt: skip
OWNERS = {
    "RGH": {None, "officer@demo.liaison.example", "manager@demo.liaison.example"},
    "HPM": {None, "officer.us@demo.liaison.example", "manager@demo.liaison.example"},
}
CONSENT = {"verbal", "written", "power_of_attorney", "parental_responsibility", "not_yet"}
PHONE = {
    "RGH": re.compile(r"^(01632 960\d{3}|07700 900\d{3})$"),
    "HPM": re.compile(r"^\(555\) 01\d-\d{4}$"),
}
MRN = {"RGH": re.compile(r"^RGH\d{7}$"), "HPM": re.compile(r"^HPM-\d{8}$")}
EMAIL = re.compile(r"^[a-z0-9.'-]+@example\.(com|net)$")
OPEN_EARLY = {"acknowledged", "under_investigation"}


@pytest.fixture(scope="module")
def specs() -> list[dict[str, Any]]:
    return demo_case_specs()


def test_about_three_hundred_cases_every_one_with_exactly_the_agreed_keys(specs: list[dict[str, Any]]) -> None:
    assert 280 <= len(specs) <= 320
    for spec in specs:
        assert set(spec) == KEYS


def test_the_same_cases_every_time(specs: list[dict[str, Any]]) -> None:
    assert demo_case_specs() == specs


def test_both_hospitals_in_proportion_with_their_own_departments(specs: list[dict[str, Any]]) -> None:
    sites = Counter(s["site"] for s in specs)
    assert set(sites) == {"RGH", "HPM"}
    assert 0.5 <= sites["RGH"] / len(specs) <= 0.7
    codes = {site["code"]: {code for _, code in site["departments"]} for site in data.SITES}
    for spec in specs:
        for issue in spec["issues"]:
            assert issue["department"] in codes[spec["site"]], (spec["site"], issue)


def test_every_type_channel_and_status_appears_with_the_expected_weight(specs: list[dict[str, Any]]) -> None:
    types = Counter(s["type"] for s in specs)
    channels = Counter(s["channel"] for s in specs)
    statuses = Counter(s["status"] for s in specs)
    assert set(types) == TYPES
    assert len(channels) >= 6 and set(channels) <= CHANNELS
    assert set(statuses) == STATUSES
    assert channels.most_common(1)[0][0] == "phone"
    formal = types["complaint"] + types["grievance"]
    assert formal > types["compliment"] and types["concern"] > types["compliment"]


def test_grievances_only_at_harbor_point_where_written_complaints_are_grievances(specs: list[dict[str, Any]]) -> None:
    for spec in specs:
        if spec["type"] == "grievance":
            assert spec["site"] == "HPM"
        if spec["site"] == "HPM" and spec["channel"] in {"letter", "email", "web_form"}:
            assert spec["type"] != "complaint"


def test_received_dates_spread_over_more_than_a_year_with_some_out_of_hours(specs: list[dict[str, Any]]) -> None:
    days = [s["received_days_ago"] for s in specs]
    assert min(days) == 0 or min(days) <= 3
    assert all(0 <= d <= 400 for d in days)
    assert sum(d > 183 for d in days) >= 30
    hours = [int(s["received_time"][:2]) for s in specs]
    assert all(re.fullmatch(r"\d\d:\d\d", s["received_time"]) for s in specs)
    assert sum(h >= 21 for h in hours) >= 5


def test_some_events_are_over_a_year_old_at_riverside(specs: list[dict[str, Any]]) -> None:
    old = [s for s in specs if s["site"] == "RGH" and (s["event_days_before_received"] or 0) > 365]
    assert len(old) >= 3


def test_some_complaints_are_deliberately_overdue(specs: list[dict[str, Any]]) -> None:
    formal = [s for s in specs if s["type"] in {"complaint", "grievance"}]
    overdue = [s for s in formal if s["status"] in OPEN_EARLY and s["received_days_ago"] >= 75]
    assert 0.04 * len(formal) <= len(overdue) <= 0.15 * len(formal)
    old = [s for s in specs if s["received_days_ago"] > 120 and s not in overdue]
    assert sum(s["status"] in {"closed", "withdrawn"} for s in old) / len(old) > 0.8


def test_restricted_unknown_and_represented_patients_are_all_present(specs: list[dict[str, Any]]) -> None:
    restricted = [s for s in specs if s["restricted"]]
    assert 0.02 * len(specs) <= len(restricted) <= 0.07 * len(specs)
    for spec in specs:
        reasons = {"staff_as_patient", "vip", "safeguarding"} if spec["restricted"] else {""}
        assert spec["restricted_reason"] in reasons
    assert 3 <= sum(s["patient"] is None for s in specs) <= 30
    represented = sum(s["complainant"] is not None for s in specs)
    assert 0.3 * len(specs) <= represented <= 0.55 * len(specs)


def test_contact_details_are_fictional(specs: list[dict[str, Any]]) -> None:
    for spec in specs:
        site = spec["site"]
        people = [p for p in (spec["patient"], spec["complainant"]) if p]
        if spec["patient"]:
            assert MRN[site].match(spec["patient"]["mrn"])
            assert re.fullmatch(r"\d{4}-\d\d-\d\d", spec["patient"]["dob"])
        for person in people:
            assert not person["email"] or EMAIL.match(person["email"]), person["email"]
            assert not person["phone"] or PHONE[site].match(person["phone"]), person["phone"]
            assert person["name"] and person["address"]
        if spec["complainant"]:
            assert spec["complainant"]["consent"] in CONSENT
            assert spec["complainant"]["relationship"]


def test_a_few_patients_get_in_touch_twice_within_thirty_days(specs: list[dict[str, Any]]) -> None:
    by_name: dict[str, list[int]] = {}
    for spec in specs:
        if spec["patient"]:
            by_name.setdefault(spec["patient"]["name"], []).append(spec["received_days_ago"])
    repeats = {name: days for name, days in by_name.items() if len(days) > 1}
    assert 3 <= len(repeats) <= 8
    assert all(max(days) - min(days) <= 30 for days in repeats.values())


def test_accounts_are_distinct_and_three_to_six_sentences(specs: list[dict[str, Any]]) -> None:
    accounts = [s["account"] for s in specs]
    assert len(set(accounts)) == len(accounts)
    for account in accounts:
        assert 3 <= len(re.split(r"(?<=[.!?])\s+", account)) <= 6, account
        assert "{" not in account and "}" not in account
    assert all(s["wants"] and "{" not in s["wants"] for s in specs)


def test_issues_flags_and_scores_are_coded_consistently(specs: list[dict[str, Any]]) -> None:
    for spec in specs:
        if spec["type"] in {"compliment", "enquiry"}:
            assert spec["issues"] == []
        else:
            assert 1 <= len(spec["issues"]) <= 3
        for issue in spec["issues"]:
            assert issue["category"] in CATEGORIES and issue["stage"] in STAGES
            assert issue["staff_group"] in STAFF_GROUPS and 1 <= issue["severity"] <= 3 and issue["summary"]
        assert set(spec["red_flags"]) <= RED_FLAGS and set(spec["topics"]) <= TOPICS
        assert 1 <= spec["consequence"] <= 5 and 1 <= spec["likelihood"] <= 5
        if any(i["severity"] == 3 for i in spec["issues"]):
            assert spec["consequence"] >= 4
        if "harm_moderate_or_worse" in spec["red_flags"]:
            assert spec["consequence"] >= 4
        assert set(spec["us_flags"]) == (US_FLAGS if spec["site"] == "HPM" else set())
        assert spec["owner"] in OWNERS[spec["site"]]
        assert len(spec["notes"]) <= 3 and len(spec["calls"]) <= 2
        assert all(c["minutes"] > 0 and c["summary"] for c in spec["calls"])
        if spec["informal_outcome"] is not None:
            assert spec["type"] == "concern"
            assert spec["informal_outcome"] in {"resolved_first_contact", "declined_formal"}


def test_languages_and_owners_look_like_the_two_hospitals(specs: list[dict[str, Any]]) -> None:
    languages = Counter(s["language"] for s in specs)
    assert languages.most_common(1)[0][0] == "en"
    assert {"es", "pl", "ur", "pa", "so", "zh"} <= set(languages)
    hpm_spanish = sum(s["language"] == "es" for s in specs if s["site"] == "HPM")
    assert hpm_spanish >= 10
    non_english = [s for s in specs if s["language"] != "en"]
    assert sum(s["interpreter"] for s in non_english) > len(non_english) / 2
    unassigned = sum(s["owner"] is None for s in specs)
    assert 0.08 * len(specs) <= unassigned <= 0.22 * len(specs)
    compliments = [s for s in specs if s["type"] in {"compliment", "enquiry"}]
    assert sum(s["status"] == "closed" for s in compliments) > len(compliments) / 2


def _formal(specs: list[dict[str, Any]], site: str, statuses: set[str]) -> list[dict[str, Any]]:
    kinds = {"complaint"} if site == "RGH" else {"complaint", "grievance"}
    return [s for s in specs if s["site"] == site and s["type"] in kinds and s["status"] in statuses]


def test_every_history_runs_in_order_within_the_time_the_case_has_had(specs: list[dict[str, Any]]) -> None:
    for spec in specs:
        history = spec["history"]
        assert set(history) == HISTORY_KEYS
        assert 0 <= history["ack_days"] <= history["respond_days"] <= spec["received_days_ago"]
        assert 0 <= history["ack_days"] <= 5
        assert re.fullmatch(r"\d\d:\d\d", history["ack_time"]) and re.fullmatch(r"\d\d:\d\d", history["respond_time"])
        if history["interim_days"] is not None:
            assert spec["site"] == "HPM" and history["interim_days"] <= 7 and history["followup_days"] >= 14
            assert (
                history["interim_days"] < history["respond_days"]
                or history["respond_days"] == spec["received_days_ago"]
            )
        if history["extension_days"] is not None:
            assert spec["site"] == "RGH" and history["extension_days"] >= history["respond_days"] > 25


def test_most_riverside_complaints_are_acknowledged_and_answered_in_time_some_late(specs: list[dict[str, Any]]) -> None:
    answered = _formal(specs, "RGH", {"responded", "closed"})
    assert len(answered) >= 25
    acks = [s["history"]["ack_days"] for s in answered]
    assert 0.7 <= sum(days <= 3 for days in acks) / len(acks) <= 0.95
    days = [s["history"]["respond_days"] for s in answered]
    extended = [s for s in answered if s["history"]["extension_days"] is not None]
    late = [s for s in answered if s["history"]["respond_days"] > 25 and s not in extended]
    assert extended and 0.05 <= len(late) / len(answered) <= 0.3
    assert all(8 <= d <= 36 for d in days if d < min(s["received_days_ago"] for s in answered))
    assert 15 <= sorted(days)[len(days) // 2] <= 25


def test_most_harbor_point_grievances_are_answered_within_seven_days_some_after_an_interim_notice(
    specs: list[dict[str, Any]],
) -> None:
    answered = _formal(specs, "HPM", {"responded", "closed"})
    within_seven = [s for s in answered if s["history"]["respond_days"] <= 7]
    interim = [s for s in answered if s["history"]["interim_days"] is not None]
    assert 0.5 <= len(within_seven) / len(answered) <= 0.85
    assert 0.1 <= len(interim) / len(answered) <= 0.4
    late = [s for s in answered if s["history"]["respond_days"] > 7 and s not in interim]
    assert late


def test_outcomes_are_about_thirty_upheld_thirty_five_partly_and_thirty_five_not(specs: list[dict[str, Any]]) -> None:
    outcomes = Counter(s["history"]["outcome"] for s in specs)
    assert set(outcomes) == {"upheld", "partly_upheld", "not_upheld"}
    for outcome, share in (("upheld", 0.30), ("partly_upheld", 0.35), ("not_upheld", 0.35)):
        assert abs(outcomes[outcome] / len(specs) - share) < 0.08, outcomes
    for spec in specs:
        closing = [n for n in spec["notes"] if n.startswith("Closed: ")]
        words = {"upheld": "upheld.", "partly_upheld": "partly upheld.", "not_upheld": "not upheld."}
        assert closing in ([], ["Closed: " + words[spec["history"]["outcome"]]])


def test_a_few_closed_cases_go_to_an_outside_body_and_two_or_three_are_reopened(specs: list[dict[str, Any]]) -> None:
    referred = [s for s in specs if s["history"]["referral"]]
    reopened = [s for s in specs if s["history"]["reopen"]]
    assert all(s["status"] == "closed" and s["type"] in {"complaint", "grievance"} for s in referred + reopened)
    ombudsman = [s for s in referred if s["history"]["referral"]["body"] == "ombudsman"]
    closed_rgh = _formal(specs, "RGH", {"closed"})
    assert 2 <= len(ombudsman) <= max(2, round(0.05 * len(closed_rgh)))
    assert all(s["site"] == "RGH" and s["received_days_ago"] >= 150 for s in ombudsman)
    us = [s["history"]["referral"]["body"] for s in referred if s["site"] == "HPM"]
    assert sorted(us) == ["qio", "qio", "state_agency"]
    assert all(s["us_flags"]["medicare_beneficiary"] for s in referred if s["history"]["referral"]["body"] == "qio")
    assert 2 <= len(reopened) <= 3 and not set(map(id, referred)) & set(map(id, reopened))
    assert sum(s["site"] == "RGH" for s in reopened) >= 2
