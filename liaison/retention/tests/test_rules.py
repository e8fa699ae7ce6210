"""Retention periods: each pack's defaults with their sources, a site's own period, and the page that sets them."""

from __future__ import annotations

from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.org.services import site_create
from liaison.retention import selectors
from liaison.retention.defaults import DEFAULTS, default_for
from liaison.retention.models import RecordType, RetentionRule, SitePurgeSetting
from liaison.retention.services import rule_set
from liaison.retention.tests.conftest import closed_case, london

TODAY = date(2026, 4, 15)


def test_an_english_site_starts_with_ten_years_after_closure_unverified(cast: Cast) -> None:
    rules = selectors.rules_for(cast.rgh)
    case_files = rules[RecordType.CASE_FILE]
    assert (case_files.years, case_files.counted_from, case_files.verified, case_files.own) == (
        10,
        "closure",
        False,
        False,
    )
    assert "Records Management Code of Practice" in case_files.source
    assert "Unverified until checked" in case_files.source
    assert case_files.describe() == "10 years from the case's closure (unverified until checked)"
    feedback = rules[RecordType.FEEDBACK_TEXT]
    assert (feedback.years, feedback.counted_from) == (10, "received")
    assert list(rules) == RecordType.values
    assert not any(rule.verified for rule in rules.values())


def test_a_us_site_starts_with_hipaas_six_years(cast: Cast) -> None:
    rules = selectors.rules_for(cast.hpm)
    assert {key: (rule.years, rule.counted_from) for key, rule in rules.items()} == {
        RecordType.CASE_FILE: (6, "closure"),
        RecordType.FEEDBACK_TEXT: (6, "received"),
        RecordType.MEETING: (6, "closure"),
        RecordType.APPEAL: (6, "closure"),
    }
    assert all("HIPAA-11" in rule.source or "HIPAA" in rule.source for rule in rules.values())


def test_every_pack_has_a_default_for_every_kind_of_record_and_an_unknown_pack_the_longest(cast: Cast) -> None:
    from liaison.policies.registry import PACKS

    assert set(DEFAULTS) == set(PACKS)
    for pack in DEFAULTS.values():
        assert set(pack) == set(RecordType.values)
        assert all(rule.source and not rule.verified for rule in pack.values())
    scotland = site_create(
        acting_user=None, name="Loch Infirmary", code="LOCH", policy_pack="scotland_nhs", time_zone="Europe/London"
    )
    assert "No Scottish source was read" in selectors.rules_for(scotland)[RecordType.CASE_FILE].source
    fallback = default_for("atlantis", RecordType.CASE_FILE)
    assert fallback.years == 10 and "atlantis" in fallback.source


def test_a_sites_own_period_replaces_the_default_for_that_site_only(cast: Cast, as_user: Any) -> None:
    client = as_user(cast.manager)
    response = client.post(
        "/retention/rules/",
        {
            "site": "RGH",
            "record_type": RecordType.CASE_FILE,
            "years": "12",
            "counted_from": "closure",
            "source": "Trust records policy v4, section 7, checked against the Code on 1 April 2026.",
            "verified": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/retention/#site-RGH"

    row = RetentionRule.objects.get(site=cast.rgh, record_type=RecordType.CASE_FILE)
    assert (row.years, row.counted_from, row.verified, row.set_by_id) == (12, "closure", True, cast.manager.pk)
    rule = selectors.rules_for(cast.rgh)[RecordType.CASE_FILE]
    assert (rule.years, rule.own, rule.verified) == (12, True, True)
    assert selectors.rules_for(cast.rgh)[RecordType.FEEDBACK_TEXT].own is False
    assert selectors.rules_for(cast.hpm)[RecordType.CASE_FILE].years == 6
    audit = AuditEvent.objects.get(action="retention.rule_set")
    assert audit.actor_id == cast.manager.pk and audit.site_id == cast.rgh.pk
    assert audit.details["before"] == {"years": 10, "counted_from": "closure", "verified": False, "own": False}
    assert audit.details["after"] == {"years": 12, "counted_from": "closure", "verified": True}

    page = client.get("/retention/").content.decode()
    assert "This site's own period, set by Mona Manager" in page
    assert "Trust records policy v4" in page


def test_a_longer_period_keeps_a_case_that_the_default_would_purge(cast: Cast, now: datetime) -> None:
    case = closed_case(cast, london(2014, 3, 3))
    assert selectors.site_plan(cast.rgh, today=TODAY).due[RecordType.CASE_FILE].labels == [case.reference]
    rule_set(
        acting_user=cast.manager,
        site=cast.rgh,
        record_type=RecordType.CASE_FILE,
        years=15,
        counted_from="closure",
        source="Board decision, March 2026",
        verified=False,
    )
    assert selectors.site_plan(cast.rgh, today=TODAY).due[RecordType.CASE_FILE].count == 0


def test_going_back_to_the_default_removes_the_sites_period(cast: Cast, as_user: Any) -> None:
    rule_set(
        acting_user=cast.manager,
        site=cast.rgh,
        record_type=RecordType.MEETING,
        years=3,
        counted_from="meeting_date",
        source="Board decision, March 2026",
        verified=False,
    )
    response = as_user(cast.manager).post(
        "/retention/rules/", {"site": "RGH", "record_type": RecordType.MEETING, "reset": "1"}
    )
    assert response.status_code == 302
    assert not RetentionRule.objects.filter(site=cast.rgh).exists()
    assert selectors.rules_for(cast.rgh)[RecordType.MEETING].years == 10
    assert AuditEvent.objects.get(action="retention.rule_reset").details["before"]["years"] == 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"counted_from": "received"}, "are counted from the case&#x27;s closure"),
        ({"years": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"source": ""}, "This field is required."),
    ],
)
def test_a_period_that_does_not_fit_is_refused_and_nothing_changes(
    cast: Cast, as_user: Any, changes: dict[str, str], message: str
) -> None:
    data = {"site": "RGH", "record_type": RecordType.CASE_FILE, "years": "5", "counted_from": "closure", "source": "x"}
    response = as_user(cast.manager).post("/retention/rules/", data | changes)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not RetentionRule.objects.exists()
    assert not AuditEvent.objects.filter(action="retention.rule_set").exists()


def test_only_the_manager_opens_the_page_or_changes_a_period(cast: Cast, as_user: Any) -> None:
    for name in ("officer", "executive", "auditor", "admin", "investigator", "outsider"):
        client = as_user(getattr(cast, name))
        assert client.get("/retention/").status_code == 404, name
        data = {
            "site": "RGH",
            "record_type": RecordType.CASE_FILE,
            "years": "1",
            "counted_from": "closure",
            "source": "x",
        }
        assert client.post("/retention/rules/", data).status_code == 404, name
        assert client.post("/retention/automatic/", {"site": "RGH", "automatic": "on"}).status_code == 404, name
    assert not RetentionRule.objects.exists() and not SitePurgeSetting.objects.exists()
    assert as_user(cast.manager).get("/retention/").status_code == 200


def test_automatic_purging_is_off_until_the_manager_turns_it_on(cast: Cast, as_user: Any) -> None:
    client = as_user(cast.manager)
    assert "Automatic purging is <strong>off</strong>" in client.get("/retention/").content.decode()
    assert selectors.automatic_purge_on(cast.rgh) is False

    assert client.post("/retention/automatic/", {"site": "RGH", "automatic": "on"}).status_code == 302
    assert selectors.automatic_purge_on(cast.rgh) is True
    assert "Automatic purging is <strong>on</strong>" in client.get("/retention/").content.decode()
    assert client.post("/retention/automatic/", {"site": "RGH"}).status_code == 302
    assert selectors.automatic_purge_on(cast.rgh) is False
    changes = [e.details["automatic"] for e in AuditEvent.objects.filter(action="retention.automatic_purge_set")]
    assert sorted(changes) == [[False, True], [True, False]]


def test_the_page_shows_what_would_be_purged_today_without_changing_it(cast: Cast, as_user: Any, now: datetime) -> None:
    case = closed_case(cast, london(2014, 3, 3))
    client = as_user(cast.manager)
    audit_rows = AuditEvent.objects.count()
    page = client.get("/retention/").content.decode()
    assert "What would be purged today" in page
    assert f"<li>{case.reference}</li>" in page
    assert "1 record past its period" in page
    assert "Unverified until checked" in page
    assert AuditEvent.objects.count() == audit_rows
    assert selectors.site_plan(cast.rgh, today=TODAY).due[RecordType.CASE_FILE].count == 1


class _Controls(HTMLParser):
    """Every form control's id, every label's target, and every table's header cells."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labelled: set[str] = set()
        self.tables = 0
        self.column_headers = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("input", "select", "textarea") and found.get("type") not in ("hidden", "submit"):
            self.controls.append(found.get("id") or "")
        elif tag == "label" and found.get("for"):
            self.labelled.add(found["for"] or "")
        elif tag == "table":
            self.tables += 1
        elif tag == "th" and found.get("scope") == "col":
            self.column_headers += 1


@pytest.mark.parametrize("path", ["/retention/", "/retention/holds/"])
def test_every_control_has_a_label_and_every_table_its_headers(cast: Cast, as_user: Any, path: str) -> None:
    from liaison.retention.services import legal_hold_place

    legal_hold_place(acting_user=cast.manager, case=closed_case(cast, london(2014, 3, 3)), reason="A claim")
    parsed = _Controls()
    parsed.feed(as_user(cast.manager).get(path).content.decode())
    assert parsed.controls, "the page has forms"
    assert [control for control in parsed.controls if control not in parsed.labelled] == []
    assert parsed.tables and parsed.column_headers >= 3 * parsed.tables


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/retention/rules/", {"site": "RGH", "record_type": "case_file", "years": "1e309", "source": "x"}),
        ("/retention/rules/", {"site": "RGH", "record_type": "nope", "years": "3", "counted_from": "closure"}),
        ("/retention/rules/", {"site": "\x00", "record_type": "case_file", "years": "3"}),
        ("/retention/rules/", {"site": "RGH", "record_type": "case_file", "years": "-4", "source": "\x00"}),
        ("/retention/rules/", {"site": "RGH", "record_type": "\x00", "reset": "1"}),
        ("/retention/automatic/", {"site": "\x00", "automatic": "on"}),
        ("/retention/automatic/", {"site": "ZZZ", "automatic": "on"}),
    ],
)
def test_hostile_posts_are_refused_without_an_error_or_a_change(
    cast: Cast, as_user: Any, path: str, data: dict[str, str]
) -> None:
    response = as_user(cast.manager).post(path, data)
    assert response.status_code in (302, 400, 404)
    assert not RetentionRule.objects.exists() and not SitePurgeSetting.objects.exists()
