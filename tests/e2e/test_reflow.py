"""WCAG 1.4.10 reflow: on a 390 px phone the case page and the feedback dashboard fit the screen, with no
sideways scrolling of the whole page, and axe still finds nothing wrong."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from conftest import make_cast
from liaison.cases.services import case_open
from liaison.feedback import tallies
from liaison.feedback.models import FeedbackResponse
from tests.e2e.conftest import assert_accessible, sign_in

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Any, live_app: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_app.url, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


# The innermost elements whose right edge is past the screen's: what to fix when a page is too wide.
TOO_WIDE = """() => {
    const edge = document.documentElement.clientWidth + 0.5;
    const sticksOut = el => el.getBoundingClientRect().right > edge;
    return [...document.querySelectorAll('body *')]
        .filter(el => sticksOut(el) && ![...el.children].some(sticksOut))
        .slice(0, 8)
        .map(el => `${el.tagName.toLowerCase()}.${el.className} (${Math.round(el.getBoundingClientRect().right)} px)`);
}"""


def too_wide(page: Any) -> list[str]:
    return list(page.evaluate(TOO_WIDE))


def test_the_case_page_fits_a_phone_with_its_issues_table(phone: Any) -> None:
    cast = make_cast()
    case = case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="phone",
        patient_name="Ada Testpatient",
        patient_mrn="RGH0000001",
        account="The nurse on ward 7 did not answer the call bell for an hour.",
        issues=[
            {
                "category": "institutional_processes",
                "severity": 3,
                "stage_of_care": "examination_diagnosis",
                "department": cast.cardiology,
                "staff_group": "administrative",
                "summary": "Discharge letter sent to the wrong practice after the transfer",
            },
            {
                "category": "respect_rights",
                "severity": 2,
                "stage_of_care": "discharge_transfer",
                "department": cast.ed,
                "staff_group": "allied_health",
                "summary": "Call bell not answered for an hour",
            },
        ],
    )
    sign_in(phone, cast.officer)
    phone.goto(f"/cases/{case.reference}/")
    issues = phone.locator("#issues-heading").locator("..")
    assert "Institutional processes (management)" in issues.inner_text()
    assert page_width(phone) <= PHONE["width"], f"the case page scrolls sideways on a phone: {too_wide(phone)}"
    # Restacked, each cell still says which column it is in.
    labels = (
        issues.locator("tbody tr")
        .first.locator("td[data-label]")
        .evaluate_all("cells => cells.map(cell => getComputedStyle(cell, '::before').content)")
    )
    assert labels == ['"Severity: "', '"Stage: "', '"Department: "', '"Staff group: "']
    assert_accessible(phone, "case (phone)")

    # A tablet, and a laptop where the case sits beside the deadlines column: the table stays in its panel.
    for width in (768, 1024):
        phone.set_viewport_size({"width": width, "height": 900})
        phone.reload()
        assert page_width(phone) <= width, f"at {width} px: {too_wide(phone)}"
        table_right, panel_right = issues.evaluate(
            "panel => [panel.querySelector('table'), panel].map(el => el.getBoundingClientRect().right)"
        )
        assert table_right <= panel_right, f"at {width} px the issues table sticks out of its panel"


def test_the_feedback_dashboard_fits_a_phone_with_its_chart_tables(phone: Any) -> None:
    cast = make_cast()
    comments = [
        (["Staff listening, understanding & involving patients", "Number & deployment of staff"], 5),
        (["Funding & use of financial resources", "Organisation & efficiency"], 4),
        (["Staff manner & personal attributes"], 1),
    ]
    for month in range(1, 7):
        for themes, sentiment in comments:
            FeedbackResponse.objects.create(
                site=cast.rgh,
                department=cast.cardiology,
                received_on=date(2026, month, 10),
                fft_score=sentiment,
                comment="Nobody explained why the appointment was cancelled twice, and the waiting room "
                "was full for the whole afternoon without any information given to anybody.",
                themes=themes,
                sentiment=sentiment,
            )
    tallies.rebuild()  # rows written directly: count them as the services would have
    sign_in(phone, cast.officer)
    phone.goto("/feedback/")
    assert phone.get_by_role("heading", name="Most common themes").is_visible()
    assert page_width(phone) <= PHONE["width"], f"the dashboard scrolls sideways on a phone: {too_wide(phone)}"
    assert_accessible(phone, "feedback dashboard (phone)")
