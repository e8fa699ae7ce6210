"""An administrator registers a webhook, copies its signing secret once, and sees the first delivery arrive."""

from __future__ import annotations

from typing import Any

from conftest import make_cast
from liaison.cases.services import case_open
from liaison.webhooks.models import Subscription
from liaison.webhooks.services import deliveries_send_due
from liaison.webhooks.tests.receiver import Receiver
from tests.e2e.conftest import assert_accessible, sign_in


def test_an_administrator_registers_a_webhook_and_sees_its_secret_once(page: Any, live_app: Any) -> None:
    cast = make_cast()
    sign_in(page, cast.admin)

    with Receiver() as receiver:
        page.goto("/accounts/account/")
        page.get_by_role("link", name="Webhooks").click()
        assert page.get_by_role("heading", name="Webhooks", level=1).is_visible()
        assert_accessible(page, "Webhooks")

        # An address Liaison must not send to is refused with a message, and nothing is registered.
        page.get_by_label("What receives it").fill("Risk system")
        page.get_by_label("Address (URL)").fill("http://risk.example.org/hooks")
        page.get_by_label("A case is logged").check()
        page.get_by_role("button", name="Register the webhook").click()
        page.get_by_text("The address must use https").wait_for()
        assert not Subscription.objects.exists()
        assert_accessible(page, "Webhooks, refused address")

        page.get_by_label("What receives it").fill("Risk system")
        page.get_by_label("Address (URL)").fill(receiver.url)
        page.get_by_label("A case is logged").check()
        page.get_by_label("A case is closed").check()
        page.get_by_role("button", name="Register the webhook").click()

        secret = page.locator("#webhook-secret").input_value()
        subscription = Subscription.objects.get()
        assert secret == subscription.secret and secret.startswith("whsec_")
        assert page.get_by_text("shown only this once").is_visible()
        assert_accessible(page, "Webhooks, new secret shown")

        page.goto("/webhooks/")
        assert page.locator("#webhook-secret").count() == 0  # never shown again
        assert secret not in page.content()
        page.get_by_role("link", name="Risk system").click()
        page.get_by_role("heading", name="Webhook: Risk system").wait_for()
        assert page.get_by_text("Nothing sent yet").is_visible()

        case = case_open(acting_user=cast.officer, site=cast.rgh, case_type="concern", channel="phone")
        assert deliveries_send_due(worker_id="e2e").delivered == 1
        page.reload()
        page.get_by_role("cell", name="Delivered").wait_for()
        assert secret not in page.content()
        assert_accessible(page, "Webhook with a delivery")
        page.get_by_role("link", name="(A case is logged)").click()
        page.get_by_role("heading", name="Delivery").wait_for()
        assert page.get_by_text(case.reference).first.is_visible()
        assert page.get_by_role("row", name="1").get_by_text("200").is_visible()
        assert_accessible(page, "Webhook delivery")

    assert [r.event for r in receiver.received] == ["case.created"]
