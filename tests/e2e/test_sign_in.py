"""A new member of staff signs in for the first time, sets up two-factor sign-in, and reaches My work."""

from __future__ import annotations

import re
from typing import Any

import pyotp

from conftest import PASSWORD, make_cast
from tests.e2e.conftest import assert_accessible, screenshot


def test_first_sign_in_enrols_mfa_and_reaches_my_work(page: Any) -> None:
    cast = make_cast()
    page.goto("/")
    assert page.url.endswith("/accounts/login/?next=/")
    assert_accessible(page, "login")
    screenshot(page, "login")

    # Keyboard only: the email field has focus; type, tab, type, Enter.
    page.keyboard.type(cast.officer.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/accounts/mfa/enrol/"))
    assert page.get_by_role("heading", name="Set up two-factor sign-in").is_visible()
    assert page.locator(".qr svg").is_visible()
    assert_accessible(page, "MFA enrolment")
    screenshot(page, "mfa-enrol")
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    page.wait_for_url(re.compile(r"/accounts/mfa/recovery-codes/"))
    codes = page.locator(".codes code").all_inner_texts()
    assert len(codes) == 10
    assert_accessible(page, "recovery codes")
    page.get_by_role("link", name="I have saved my codes — continue").click()

    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("heading", name="My work", level=1).is_visible()
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Organisation").is_visible()
    assert_accessible(page, "My work")
    screenshot(page, "my-work")

    # Sign out, then back in with a recovery code at the code challenge.
    page.get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(cast.officer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/accounts/mfa/verify/"))
    assert_accessible(page, "MFA challenge")
    screenshot(page, "mfa-verify")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_text("You used a recovery code; 9 left.").is_visible()


def test_lockout_message_is_clear_and_accessible(page: Any) -> None:
    cast = make_cast()
    for _ in range(5):
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(cast.manager.email)
        page.get_by_label("Password").fill("not the password at all")
        page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", name="Account locked for 15 minutes").is_visible()
    assert_accessible(page, "locked out")
