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
    "likelihood", "us_flags", "topics", "notes", "calls", "informal_outcome",
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
