"""An officer logs a phone complaint with the keyboard, sees the duplicate warning, the rules and the
deadlines, acknowledges it and finds it in the worklist."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.utils import timezone

from conftest import make_cast
from liaison.cases.services import case_open
from tests.e2e.conftest import assert_accessible, screenshot, sign_in


def type_into(page: Any, label: str, text: str) -> None:
    page.get_by_label(label).first.focus()
    page.keyboard.type(text)


def test_officer_logs_a_phone_complaint_and_acknowledges_it(page: Any) -> None:
    cast = make_cast()
    earlier = case_open(
        acting_user=cast.manager,
        site=cast.rgh,
        case_type="concern",
        channel="phone",
        received_at=timezone.now() - timedelta(days=6),
        patient_name="Grace Holloway-Test",
        patient_mrn="RGH4455667",
        account="Asked about visiting times on ward 4.",
    )
    sign_in(page, cast.officer)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log a case").click()
    page.wait_for_url(re.compile(r"/cases/new/"))
    assert_accessible(page, "intake")

    # Keyboard only from here: focus a field and type, Tab between fields, Enter to send.
    type_into(page, "Patient's name", "Grace Holloway-Test")
    page.keyboard.press("Tab")
    page.keyboard.type("RGH4455667")
    page.get_by_role("heading", name="Possible duplicates").wait_for()
    assert page.get_by_role("link", name=earlier.reference).is_visible()

    type_into(page, "Their account, in their words", "My mother waited four hours in the corridor without a drink.")
    page.keyboard.press("Tab")
    page.keyboard.type("An apology and an explanation.")
    page.get_by_label("Main issue (HCAT category)").focus()
    page.keyboard.press("ArrowDown")  # quality
    page.keyboard.press("ArrowDown")  # safety
    page.keyboard.press("ArrowDown")  # environment
    type_into(page, "Issue in a line", "Waited four hours in a corridor")
    page.get_by_label("Issue in a line").press("Tab")

    preview = page.locator("#preview")
    preview.get_by_text("Acknowledge the complaint").wait_for()
    assert preview.get_by_role("heading", name="Classification").is_visible()
    assert preview.get_by_text("Complaint", exact=True).is_visible()
    assert "3 working days" in preview.inner_text()
    screenshot(page, "case-intake")

    page.get_by_role("button", name="Log the case").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/RGH-\d{4}-\d{5}/$"))
    reference = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert page.get_by_text(f"Case {reference} logged.").is_visible()
    assert page.get_by_role("heading", name="Deadlines").is_visible()
    assert page.locator(".case-side").get_by_text("Acknowledge the complaint").is_visible()
    assert_accessible(page, "case")
    screenshot(page, "case-detail")

    page.get_by_role("link", name="Record the acknowledgement").click()
    page.get_by_label("Acknowledged by").select_option("phone")
    page.get_by_role("button", name="Record the acknowledgement").press("Enter")
    page.wait_for_url(re.compile(rf"/cases/{reference}/$"))
    assert page.locator(".status-line").get_by_text("Acknowledged").is_visible()
    assert page.get_by_text("Acknowledged by phone").is_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
    assert row.is_visible()
    assert "Send the response" in row.inner_text() and "On track" in row.inner_text()
    assert_accessible(page, "worklist")
    screenshot(page, "case-worklist")
