"""Feedback to improvement: build a survey, answer it on a phone, see the themes and sentiment on the
dashboard, correct a theme, raise an improvement action, complete it, and see it on "You said, we did"."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import make_cast
from tests.e2e.conftest import assert_accessible, screenshot, sign_in


@pytest.fixture
def tasks_run_at_once(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_from_survey_answer_to_you_said_we_did(page: Any, browser: Any, live_app: Any, tasks_run_at_once: None) -> None:
    cast = make_cast()
    sign_in(page, cast.officer)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Feedback").click()
    page.get_by_role("link", name="Surveys").click()
    page.get_by_label("Title", exact=True).fill("Your visit to the Emergency Department")
    page.get_by_label("Department").select_option(label="Emergency Department")
    page.get_by_role("button", name="Create the survey").click()
    page.get_by_label("Type", exact=True).select_option("fft")
    page.get_by_label("Question", exact=True).fill("Overall, how was your experience?")
    page.get_by_label("Required").check()
    page.get_by_role("button", name="Add the question").click()
    page.get_by_label("Type", exact=True).select_option("text")
    page.get_by_label("Question", exact=True).fill("What could we do better?")
    page.get_by_role("button", name="Add the question").click()
    assert_accessible(page, "survey builder")
    link = page.locator("#survey-link").get_attribute("href")
    path = re.sub(r"^https?://[^/]+", "", link)

    phone = browser.new_context(
        base_url=live_app.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    answer = phone.new_page()
    answer.goto(path)
    assert_accessible(answer, "survey (phone)")
    answer.get_by_label("Very poor").check()
    answer.get_by_label("What could we do better?").fill(
        "I waited four hours in the corridor and nobody told me why. The staff looked rushed off their feet."
    )
    answer.get_by_role("button", name="Send").click()
    assert answer.get_by_role("heading", name="Thank you").is_visible()
    assert_accessible(answer, "survey thanks")
    phone.close()

    page.goto("/feedback/")
    assert page.get_by_text("100%").first.is_visible()  # the one FFT answer is negative
    assert_accessible(page, "feedback dashboard")
    screenshot(page, "feedback-dashboard")
    page.get_by_role("link", name="All answers").click()
    page.get_by_role("link", name=re.compile(r"\d+ \w+ \d{4}")).first.click()
    analysis = page.locator("#analysis-heading").locator("..")
    assert re.search(r"Negative|Very negative", analysis.inner_text())
    page.locator("summary", has_text="Themes").click()
    page.get_by_label("Number & deployment of staff").check()
    page.get_by_role("button", name="Save the correction").click()
    assert page.get_by_text("Correction saved").is_visible()
    assert "Number & deployment of staff" in analysis.inner_text()
    assert_accessible(page, "feedback answer")

    page.get_by_role("link", name="Raise an improvement action").click()
    page.get_by_label("What will change").fill("Tell people in the corridor how long they will wait, every hour")
    page.get_by_label("Owner").select_option(label=cast.manager.full_name)
    page.get_by_label("Due date").fill("2027-01-31")
    page.get_by_role("button", name="Raise the action").click()
    assert_accessible(page, "improvement action")
    page.get_by_label("Evidence that it is done").fill(
        "Hourly waiting-time rounds started on 1 December; audited weekly."
    )
    page.get_by_label("Show on the public “You said, we did” page").check()
    page.get_by_label("You said (plain words)").fill("Nobody told us how long we would wait.")
    page.get_by_label("We did (plain words)").fill(
        "A nurse now tells everyone waiting how long it will be, every hour."
    )
    page.get_by_role("button", name="Mark it done").click()
    assert page.get_by_text("Marked as done.").is_visible()

    page.goto("/p/RGH/you-said-we-did/")
    assert page.get_by_text("A nurse now tells everyone waiting how long it will be, every hour.").is_visible()
    assert_accessible(page, "you said, we did")
    screenshot(page, "you-said-we-did")
