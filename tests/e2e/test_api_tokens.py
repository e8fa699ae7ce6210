"""An investigator makes an API token for a ward screen, copies it once, and the screen reads the requests."""

from __future__ import annotations

import json
from typing import Any

from conftest import make_cast
from liaison.accounts.models import ApiToken
from liaison.cases.services import case_open
from liaison.investigations.services import investigation_request
from tests.e2e.conftest import assert_accessible, sign_in


def test_an_investigator_makes_a_token_and_a_program_uses_it(page: Any, live_app: Any, browser: Any) -> None:
    cast = make_cast()
    case = case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="phone",
        owner=cast.officer,
        patient_name="Petra Browsertest",
        issues=[{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Not told"}],
    )
    sent = investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions="Why?")
    sign_in(page, cast.investigator)

    page.goto("/accounts/account/")
    page.get_by_role("link", name="API tokens").click()
    assert page.get_by_role("heading", name="API tokens", level=1).is_visible()
    assert_accessible(page, "API tokens")
    page.get_by_label("What will use it").fill("Ward screen")
    page.get_by_label("Read cases").check()
    page.get_by_role("button", name="Make the token").click()

    secret = page.locator("#token-secret").input_value()
    assert secret.startswith("lsn_")
    assert page.get_by_text("shown only this once").is_visible()
    assert_accessible(page, "API tokens, new token shown")
    page.goto("/accounts/account/tokens/")
    assert page.locator("#token-secret").count() == 0  # never shown again
    token = ApiToken.objects.get(name="Ward screen")
    assert token.user == cast.investigator and page.get_by_text(f"{token.prefix}…").is_visible()

    # The ward screen: a program with no session, only the token.
    screen_window = browser.new_context(base_url=live_app.url)  # no cookies: no session
    screen = screen_window.request
    try:
        answer = screen.get("/api/v1/investigations/requests", headers={"Authorization": f"Bearer {secret}"})
        assert answer.status == 200
        assert [item["id"] for item in json.loads(answer.text())["items"]] == [sent.pk]
        page.reload()
        assert page.locator("td", has_text="Never").count() == 0  # its last use is shown now

        page.get_by_role("button", name="Revoke Ward screen").click()
        assert page.get_by_text("is revoked").is_visible()
        refused = screen.get("/api/v1/investigations/requests", headers={"Authorization": f"Bearer {secret}"})
        assert refused.status == 401
    finally:
        screen_window.close()


def test_the_browsable_api_docs_render_under_the_sites_security_policy(page: Any) -> None:
    cast = make_cast()
    sign_in(page, cast.officer)
    blocked: list[str] = []

    def note(message: Any) -> None:
        if "Content Security Policy" in message.text:
            blocked.append(message.text)

    page.on("console", note)
    page.goto("/api/v1/docs")
    title = page.locator(".swagger-ui .info .title")
    title.wait_for()
    assert "Liaison API" in title.inner_text()
    assert page.get_by_text("/api/v1/investigations/requests").first.is_visible()
    assert not [text for text in blocked if "script" in text.lower()], blocked
