"""The webhooks pages: administrators only; the secret shown once; pause, remove and send again, each audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.webhooks.models import Delivery, DeliveryStatus, Event, Subscription

pytestmark = pytest.mark.django_db


def _register(client: Any, **overrides: Any) -> Any:
    data = {
        "name": "Risk system",
        "url": "https://risk.example.org/hooks/liaison",
        "events": [Event.CASE_CREATED, Event.CASE_CLOSED],
        "scope": "minimal",
        "site": "",
        **overrides,
    }
    return client.post(reverse("webhooks:list"), data)


@pytest.mark.parametrize("who", ["officer", "manager", "investigator", "executive", "auditor", "outsider"])
def test_only_administrators_see_the_webhooks_pages(cast: Cast, as_user: Any, subscribe: Any, who: str) -> None:
    subscription = subscribe()
    client = as_user(getattr(cast, who))
    assert client.get(reverse("webhooks:list")).status_code == 404
    assert _register(client).status_code == 404
    assert client.get(reverse("webhooks:detail", args=[subscription.pk])).status_code == 404
    assert client.post(reverse("webhooks:delete", args=[subscription.pk])).status_code == 404
    assert client.post(reverse("webhooks:active", args=[subscription.pk]), {"active": "0"}).status_code == 404
    assert Subscription.objects.filter(pk=subscription.pk, is_active=True).exists()
    assert "Webhooks" not in client.get(reverse("accounts:account")).content.decode()


def test_an_administrator_registers_a_webhook_and_sees_its_secret_once(cast: Cast, as_user: Any) -> None:
    client = as_user(cast.admin)
    assert 'href="/webhooks/"' in client.get(reverse("accounts:account")).content.decode()

    response = _register(client)
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    page = response.content.decode()
    assert "shown only this once" in page and subscription.secret in page
    assert subscription.secret.startswith("whsec_") and len(subscription.secret) > 40
    assert subscription.url == "https://risk.example.org/hooks/liaison" and subscription.created_by == cast.admin
    assert subscription.events == ["case.created", "case.closed"] and subscription.site is None

    for url in (reverse("webhooks:list"), reverse("webhooks:detail", args=[subscription.pk])):
        again = client.get(url).content.decode()
        assert "Risk system" in again and subscription.secret not in again
    audit = AuditEvent.objects.get(action="webhook.create")
    assert audit.actor == cast.admin and audit.object_id == str(subscription.pk)
    assert audit.details["url"] == subscription.url and subscription.secret not in str(audit.details)


def test_the_same_form_sent_again_registers_nothing_more(cast: Cast, as_user: Any) -> None:
    """A reload of the page that showed the secret sends the form again: no second webhook doubles deliveries."""
    client = as_user(cast.admin)
    assert _register(client).status_code == 200
    again = _register(client)
    assert again.status_code == 400 and "already sends to this address" in again.content.decode()
    subscription = Subscription.objects.get()
    assert subscription.secret not in again.content.decode()
    assert AuditEvent.objects.filter(action="webhook.create").count() == 1
    assert _register(client, name="Second receiver").status_code == 200  # another name is another webhook
    assert Subscription.objects.count() == 2


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://risk.example.org/hooks", "must use https"),
        ("ftp://risk.example.org/hooks", "must start with https"),
        ("https://user:pw@risk.example.org/hooks", "no user name or password"),
        ("https:///nothing", "must start with https"),
        ("https://risk.example.org:99999/", "not a web address"),
        ("risk.example.org", "must start with https"),
    ],
)
def test_an_address_liaison_should_not_send_to_is_refused(cast: Cast, as_user: Any, url: str, says: str) -> None:
    response = _register(as_user(cast.admin), url=url)
    assert response.status_code == 400 and says in response.content.decode()
    assert not Subscription.objects.exists() and not AuditEvent.objects.filter(action="webhook.create").exists()


def test_plain_http_is_accepted_to_this_machine_or_when_allowed(cast: Cast, as_user: Any, settings: Any) -> None:
    client = as_user(cast.admin)
    assert _register(client, url="http://127.0.0.1:8080/hook").status_code == 200
    assert _register(client, url="http://localhost/hook", name="Local").status_code == 200
    settings.LIAISON_WEBHOOK_ALLOW_HTTP = True
    assert _register(client, url="http://bench.internal/hook", name="Bench").status_code == 200
    assert Subscription.objects.count() == 3


def test_choosing_no_event_is_refused(cast: Cast, as_user: Any) -> None:
    response = _register(as_user(cast.admin), events=[])
    assert response.status_code == 400 and not Subscription.objects.exists()


def test_pausing_and_turning_on_again_is_shown_and_audited(cast: Cast, as_user: Any, subscribe: Any) -> None:
    subscription = subscribe()
    client = as_user(cast.admin)
    response = client.post(reverse("webhooks:active", args=[subscription.pk]), {"active": "0"}, follow=True)
    assert "Paused since" in response.content.decode() and "is paused" in response.content.decode()
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_at is not None
    client.post(reverse("webhooks:active", args=[subscription.pk]), {"active": "1"})
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.disabled_at is None
    assert list(
        AuditEvent.objects.filter(action__in=["webhook.disable", "webhook.enable"])
        .order_by("pk")
        .values_list("action", "actor")
    ) == [("webhook.disable", cast.admin.pk), ("webhook.enable", cast.admin.pk)]


def test_removing_asks_first_then_removes_and_audits(
    cast: Cast, as_user: Any, subscribe: Any, patient_case: Any
) -> None:
    subscription = subscribe()
    patient_case()
    client = as_user(cast.admin)
    confirm = client.get(reverse("webhooks:delete", args=[subscription.pk]))
    assert confirm.status_code == 200 and "Remove the webhook" in confirm.content.decode()
    assert Subscription.objects.exists()
    response = client.post(reverse("webhooks:delete", args=[subscription.pk]), follow=True)
    assert "is removed" in response.content.decode()
    assert not Subscription.objects.exists() and not Delivery.objects.exists()
    audit = AuditEvent.objects.get(action="webhook.delete")
    assert audit.actor == cast.admin and audit.details["deliveries"]["pending"] == 1


def test_the_page_shows_recent_deliveries_and_sends_a_failed_one_again(
    cast: Cast, as_user: Any, subscribe: Any, patient_case: Any, django_assert_max_num_queries: Any
) -> None:
    subscription = subscribe()
    for _ in range(3):
        patient_case()
    failed = Delivery.objects.order_by("created_at").first()
    assert failed is not None
    Delivery.objects.filter(pk=failed.pk).update(
        status=DeliveryStatus.FAILED, attempts=6, last_status_code=500, last_error="The receiver answered 500."
    )
    failed.attempt_log.create(number=6, started_at=failed.created_at, status_code=500, response_body="boom")
    client = as_user(cast.admin)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("webhooks:detail", args=[subscription.pk])).content.decode()
    assert page.count('href="/webhooks/deliveries/') == 3
    assert page.count(">Send again<") == 1 and "500" in page

    detail = client.get(reverse("webhooks:delivery", args=[failed.pk])).content.decode()
    assert str(failed.pk) in detail and "boom" in detail and "Send again" in detail

    response = client.post(reverse("webhooks:resend", args=[failed.pk]), follow=True)
    assert "queued to be sent again" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING and failed.give_up_after == 12
    # A delivery that has not failed cannot be sent again.
    response = client.post(reverse("webhooks:resend", args=[failed.pk]), follow=True)
    assert "Only a delivery that failed" in response.content.decode()
    assert AuditEvent.objects.filter(action="webhook.resend").count() == 1


def test_an_unknown_delivery_or_webhook_is_not_found(cast: Cast, as_user: Any) -> None:
    client = as_user(cast.admin)
    assert client.get(reverse("webhooks:detail", args=[999])).status_code == 404
    assert client.get(reverse("webhooks:delivery", args=["8b0a8f44-8b7c-4a4f-b8a8-2b2e9d1f7c11"])).status_code == 404
