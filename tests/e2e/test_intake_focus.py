"""Logging a case from the keyboard: the intake page puts the focus where the officer starts typing, and
after a refused save, on the list of what to fix."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import make_cast
from tests.e2e.conftest import sign_in


def focused(page: Any) -> str:
    """What has the focus once the browser has applied autofocus ("body" when nothing took it)."""
    try:
        page.wait_for_function("document.activeElement !== document.body", timeout=3_000)
    except PlaywrightTimeout:
        return "body"
    return str(page.evaluate("document.activeElement.id || document.activeElement.className"))


def test_the_intake_page_starts_on_its_first_field_and_returns_to_the_error_summary(page: Any) -> None:
    cast = make_cast()
    sign_in(page, cast.officer)

    page.goto("/cases/new/")
    assert focused(page) == "id_site"

    # Nothing said about what happened: the save is refused and the page comes back with its errors.
    page.get_by_role("button", name="Log the case").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()
    assert focused(page) == "error-summary"
