"""``liaison clocks``: the deadlines of a case from the command line, as text or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError


def clocks(*args: str) -> str:
    out = StringIO()
    call_command("clocks", *args, stdout=out)
    return out.getvalue()


def clocks_json(*args: str) -> dict[str, Any]:
    return json.loads(clocks(*args, "--json"))


def test_json_output_for_an_england_complaint_received_late_on_friday() -> None:
    data = clocks_json("--pack", "england_nhs", "--type", "complaint", "--received", "2026-03-27T23:30")
    assert data["pack"] == "england_nhs"
    assert data["type"] == "complaint"
    assert data["zone"] == "Europe/London"
    assert data["received"] == "2026-03-27T23:30:00+00:00"  # read in London, which is on GMT that day
    due = {clock["key"]: clock["due"] for clock in data["clocks"]}
    assert due == {
        "acknowledge": "2026-04-01T23:59:59.999999+01:00",
        "respond": "2026-05-06T23:59:59.999999+01:00",
        "statutory_limit": "2026-09-27T23:59:59.999999+01:00",
    }
    first = data["clocks"][0]
    assert set(first) == {"key", "name", "due", "rule", "rule_id", "source"}
    assert (first["rule_id"], first["source"]) == ("UK-3", "SI 2009/309 reg. 13(2)")
    assert data["classification"]["is_grievance"] is False
    assert data["time_limit"] == {
        "out_of_time": False,
        "limit_date": None,
        "needs_decision": False,
        "rule": data["time_limit"]["rule"],
        "rule_id": "UK-2",
    }


def test_json_output_classifies_a_us_phone_complaint_and_reports_an_out_of_time_england_one() -> None:
    us = clocks_json(
        "--pack", "us_cms", "--type", "complaint", "--channel", "phone", "--received", "2026-11-27T03:00:00Z"
    )
    assert us["zone"] == "America/New_York"
    assert us["received"] == "2026-11-26T22:00:00-05:00"
    assert us["classification"]["case_type"] == "grievance"
    assert us["classification"]["rule_ids"] == ["US-2"]
    assert [(c["key"], c["due"]) for c in us["clocks"]] == [
        ("interim_notice", "2026-12-03T23:59:59.999999-05:00"),
        ("final_response", "2026-12-03T23:59:59.999999-05:00"),
    ]
    england = clocks_json(
        "--pack", "england_nhs", "--type", "complaint", "--received", "2026-03-27", "--event-date", "2025-03-26"
    )
    assert england["time_limit"]["out_of_time"] is True
    assert england["time_limit"]["needs_decision"] is True
    assert england["time_limit"]["limit_date"] == "2026-03-26"


def test_topics_and_flags_reach_the_classification() -> None:
    resolved = ("--pack", "us_cms", "--type", "complaint", "--channel", "phone", "--received", "2026-05-12T10:00")
    assert clocks_json(*resolved, "--flag", "resolved_at_time_by_staff_present")["clocks"] == []
    abuse = clocks_json(*resolved, "--flag", "resolved_at_time_by_staff_present", "--topic", "abuse")
    assert abuse["classification"]["rule_ids"] == ["US-8"]
    assert len(abuse["clocks"]) == 2


def test_zone_overrides_the_pack_default() -> None:
    data = clocks_json(
        "--pack", "us_cms", "--type", "complaint", "--channel", "letter",
        "--received", "2026-03-01T23:30", "--zone", "America/Los_Angeles",
    )  # fmt: skip
    assert data["zone"] == "America/Los_Angeles"
    assert data["received"] == "2026-03-01T23:30:00-08:00"
    assert data["clocks"][0]["due"] == "2026-03-08T23:59:59.999999-07:00"


def test_text_output_shows_each_clock_with_its_rule_and_source() -> None:
    text = clocks("--pack", "scotland_nhs", "--type", "complaint", "--received", "2026-01-01T09:00")
    assert "Acknowledge the complaint: due Wed 07 Jan 2026 23:59 GMT" in text
    assert "Send the investigation report: due Fri 30 Jan 2026 23:59 GMT" in text
    assert "UK-S1, SSI 2012/36 reg. 6" in text
    assert "Scottish bank holidays" in text


def test_received_now_uses_the_current_time_in_the_zone() -> None:
    with time_machine.travel(datetime(2026, 6, 4, 23, 30, tzinfo=UTC), tick=False):
        data = clocks_json("--pack", "england_nhs", "--type", "complaint", "--received", "now")
    assert data["received"] == "2026-06-05T00:30:00+01:00"
    assert data["clocks"][0]["due"] == "2026-06-10T23:59:59.999999+01:00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--received", "27/03/2026"], "--received '27/03/2026' is not an ISO 8601 date-time"),
        (["--received", "2026-03-29T01:30"], "does not exist in Europe/London"),
        (["--received", "2026-03-27", "--zone", "Mars/Olympus"], "not a known IANA time zone"),
        (["--received", "2026-03-27", "--event-date", "last spring"], "--event-date 'last spring' is not a date"),
        (["--received", "2026-03-27", "--awareness-date", "2026-02-30"], "--awareness-date '2026-02-30' is not a date"),
    ],
)
def test_bad_input_gives_a_clear_error(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        clocks("--pack", "england_nhs", "--type", "complaint", *args)


def test_an_unknown_pack_is_refused() -> None:
    with pytest.raises(CommandError, match="invalid choice: 'ontario'"):
        clocks("--pack", "ontario", "--type", "complaint", "--received", "2026-03-27")
