"""What an article says: only simple HTML survives, and the numbers it quotes are the policy pack's own."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from conftest import Cast
from liaison.knowledge import content
from liaison.lib.workdays import ENGLAND_AND_WALES, add_months, add_working_days
from liaison.policies.base import CaseFacts
from liaison.policies.england_nhs import EnglandNHS

LONDON = ZoneInfo("Europe/London")


def test_it_removes_scripts_handlers_and_unsafe_links() -> None:
    dirty = (
        '<p onclick="x()">Hi<script>alert(1)</script><img src=x onerror=alert(1)>'
        '<a href="javascript:alert(1)">bad</a><a href="//evil.example/">relative</a>'
        '<a href="https://www.ombudsman.org.uk">ok</a><a href="mailto:pals@example.org">mail</a></p>'
        "<table><tr><td>cell</td></tr></table><h2>Head</h2>"
    )
    clean = content.sanitise(dirty)
    assert "<script" not in clean and "alert(1)" not in clean
    assert "onclick" not in clean and "onerror" not in clean and "<img" not in clean and "<table" not in clean
    assert "javascript:" not in clean and "evil.example" not in clean
    assert 'href="https://www.ombudsman.org.uk"' in clean
    assert 'href="mailto:pals@example.org"' in clean
    assert "<h2>Head</h2>" in clean


def test_template_tags_survive_sanitising() -> None:
    body = '<p>{{ site.name|default:"us" }} {% if pack.interim_days %}yes{% endif %}</p>'
    assert content.sanitise(body) == body


def test_the_england_numbers_are_the_england_packs_own(cast: Cast) -> None:
    numbers = content.pack_numbers(cast.rgh)
    assert numbers["acknowledge_working_days"] == 3
    assert numbers["response_months"] == 6
    assert numbers["time_limit_months"] == 12
    assert numbers["response_target_working_days"] == EnglandNHS().default_response_working_days
    assert numbers["ombudsman"] == "Parliamentary and Health Service Ombudsman"

    # Cross-check the stated numbers against the clocks the pack computes.
    pack = EnglandNHS()
    received = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)  # a Monday
    facts = CaseFacts(case_type="complaint", channel="letter", received_at=received, event_date=date(2025, 6, 1))
    clocks = {clock.key: clock for clock in pack.clocks(facts, LONDON)}
    day = received.date()
    assert clocks["acknowledge"].due.date() == add_working_days(
        day, numbers["acknowledge_working_days"], ENGLAND_AND_WALES
    )
    assert clocks["statutory_limit"].due.date() == add_months(day, numbers["response_months"])
    assert pack.time_limit(facts, LONDON).limit_date == add_months(date(2025, 6, 1), numbers["time_limit_months"])


def test_the_us_numbers_come_from_the_pack_and_the_site(cast: Cast) -> None:
    site = cast.hpm
    site.state_agency_name, site.state_agency_contact = "State Department of Health", "(555) 010-0000"
    site.qio_name, site.qio_contact = "Harbor QIO", "(555) 010-4444"
    site.save()
    numbers = content.pack_numbers(site)
    assert numbers["interim_days"] == 7
    assert numbers["state_agency_name"] == "State Department of Health"
    assert numbers["state_agency_contact"] == "(555) 010-0000"
    assert numbers["qio_name"] == "Harbor QIO"
    assert numbers["qio_contact"] == "(555) 010-4444"


def test_scotland_and_wales_have_their_own_numbers(cast: Cast) -> None:
    site = cast.rgh
    site.policy_pack = "scotland_nhs"
    assert (
        content.pack_numbers(site)["acknowledge_working_days"],
        content.pack_numbers(site)["response_working_days"],
    ) == (
        3,
        20,
    )
    site.policy_pack = "wales_nhs"
    assert (
        content.pack_numbers(site)["acknowledge_working_days"],
        content.pack_numbers(site)["response_working_days"],
    ) == (
        2,
        30,
    )


def test_the_body_is_rendered_with_the_sites_values_escaped(cast: Cast) -> None:
    site = cast.rgh
    site.complaints_contact_name = "<script>alert(1)</script>PALS"
    site.save()
    html = content.render_body(
        "<p>Contact {{ site.complaints_contact_name }} within {{ pack.acknowledge_working_days }} working days.</p>",
        site,
    )
    assert "<script" not in html
    assert "PALS" in html
    assert "within 3 working days" in html


def test_a_body_that_does_not_render_is_shown_as_written(cast: Cast) -> None:
    assert "{% if %}" in content.render_body("<p>{% if %}</p>", cast.rgh)


def test_the_public_url_is_absolute_and_opens_in_the_articles_language(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    from liaison.knowledge.models import Article

    settings.LIAISON_BASE_URL = "https://liaison.example.org/"
    article = Article(site=cast.rgh, key="your-rights", language="es")
    assert content.article_public_url(article) == "https://liaison.example.org/p/RGH/info/your-rights/?lang=es"
