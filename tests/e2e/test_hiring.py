"""A manager builds an interview kit; two interviewers score independently; the sheet flags where they
disagree. A trainee practises a question and sees the STAR parts of the answer."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.utils import timezone

from conftest import make_cast
from liaison.hiring.models import Interview
from tests.e2e.conftest import assert_accessible, screenshot, sign_in


def score_everything(page: Any, value: str) -> None:
    for group in page.get_by_role("radiogroup").all():
        group.get_by_label(value, exact=True).check()


def test_kit_blind_panel_scoring_and_practice(page: Any, new_page: Any) -> None:
    cast = make_cast()
    sign_in(page, cast.manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Hiring").click()
    page.get_by_label("Title", exact=True).fill("Patient relations officer, band 5")
    page.get_by_label("Site", exact=True).select_option(label="Riverside General Hospital")
    page.get_by_label("Time for questions (minutes)").fill("30")
    page.get_by_label("Delete candidates' data after").fill((timezone.localdate() + timedelta(days=180)).isoformat())
    page.get_by_role("button", name="Open the vacancy").click()
    assert page.get_by_role("heading", name="Interview kit").is_visible()
    assert_accessible(page, "vacancy and kit")
    page.get_by_label("Candidate's name").fill("Robin Applicant")
    page.get_by_role("button", name="Add").click()
    page.get_by_label("Candidate", exact=True).select_option(label="Robin Applicant")
    page.get_by_label("When", exact=True).fill((timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT10:00"))
    page.get_by_label(cast.officer.full_name).check()
    page.get_by_label(cast.investigator.full_name).check()
    page.get_by_role("button", name="Schedule").click()
    assert page.get_by_text("Interview scheduled.").is_visible()
    screenshot(page, "hiring-vacancy")
    interview = Interview.objects.get()

    first = new_page()
    sign_in(first, cast.officer)
    first.goto(f"/hiring/interviews/{interview.pk}/")
    assert_accessible(first, "score form")
    score_everything(first, "2")
    first.get_by_role("button", name="Submit my scores").click()
    assert first.get_by_text("Scores submitted").is_visible()
    assert not first.get_by_text("Scores differ by 2 or more").first.is_visible()  # the other has not scored yet

    second = new_page()
    sign_in(second, cast.investigator)
    second.goto(f"/hiring/interviews/{interview.pk}/")
    assert cast.officer.full_name + ": " not in second.locator("main").inner_text()  # blind until submitted
    score_everything(second, "5")
    second.get_by_role("button", name="Submit my scores").click()
    assert second.get_by_text("Scores differ by 2 or more: discuss").first.is_visible()
    assert_accessible(second, "score sheet")

    page.goto(f"/hiring/interviews/{interview.pk}/")
    assert page.get_by_text("Scores differ by 2 or more: discuss").first.is_visible()
    screenshot(page, "hiring-score-sheet")

    # A trainee practises.
    first.get_by_role("navigation", name="Main").get_by_role("link", name="Practice").click()
    first.get_by_role("link", name=re.compile("Tell us about a time you dealt with a patient")).first.click()
    first.get_by_label("Your answer").fill(
        "Last year a son rang me, angry that nobody had told him his father was moving wards. "
        "My job was to find out what had happened and to keep him informed. "
        "I listened, apologised, and phoned the ward manager that afternoon. "
        "We agreed daily update calls, and two weeks later he wrote to thank the team."
    )
    first.get_by_role("button", name="See the feedback").click()
    assert first.get_by_role("heading", name="STAR parts, sentence by sentence").is_visible()
    for part in ("Situation", "Task", "Action", "Result"):
        assert first.locator(".star-sentences .tag", has_text=part).count() >= 1
    assert_accessible(first, "practice feedback")
    screenshot(first, "practice-feedback")
