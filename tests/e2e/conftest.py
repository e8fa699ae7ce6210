"""Browser tests: Playwright driving Debian's Chromium against the live test server, with axe-core checks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("LIAISON_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt-get install chromium); .ci/run installs it")
        for item in items:
            if "e2e" in item.nodeid:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def live_app(live_server: Any, transactional_db: None, sqlite_flushable_audit: None) -> Any:
    """The running test server, with a database that the browser and the test share."""
    return live_server


@pytest.fixture
def page(browser: Any, live_app: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_app.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def assert_accessible(page: Any, name: str) -> None:
    """axe-core finds no serious or critical WCAG violations on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}
    )
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    details = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in bad
    )
    assert not bad, f"axe found problems on the {name} page:\n{details}"


def screenshot(page: Any, name: str) -> None:
    """Keep a picture for the user guide when LIAISON_UPDATE_SCREENSHOTS=1."""
    if os.environ.get("LIAISON_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, user: Any) -> None:
    """Sign in through the real pages: password, then a TOTP code from a freshly enrolled authenticator."""
    import base64
    import re

    import pyotp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from conftest import PASSWORD

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=True
    )
    secret = base64.b32encode(device.bin_key).decode()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(re.compile(r"/accounts/mfa/verify/"))
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_label("Code").press("Enter")
    page.wait_for_url(re.compile(r"/$"))


@pytest.fixture
def new_page(browser: Any, live_app: Any) -> Iterator[Any]:
    """new_page() -> another browser window with its own cookies (a second person at another desk)."""
    contexts: list[Any] = []

    def _new() -> Any:
        context = browser.new_context(base_url=live_app.url, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield _new
    for context in contexts:
        context.close()
