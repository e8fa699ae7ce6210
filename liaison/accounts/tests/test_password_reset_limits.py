"""Password reset requests are throttled per address and per connection, without telling who has an account."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent


def _reset(email: str, *, address: str = "192.0.2.10") -> Any:
    return Client(REMOTE_ADDR=address).post(reverse("accounts:password-reset"), {"email": email})


def test_it_refuses_a_fourth_reset_for_one_address_within_the_hour(cast: Cast, settings: Any) -> None:
    settings.LIAISON_PASSWORD_RESETS_PER_EMAIL = 3
    # From three different connections, so only the per-address limit is in play.
    for n in range(3):
        assert _reset(cast.officer.email, address=f"192.0.2.{n}").status_code == 302
    assert len(mail.outbox) == 3
    refused = _reset(cast.officer.email.upper(), address="192.0.2.99")  # the same address, however written
    assert refused.status_code == 429
    assert "Too many reset requests" in refused.content.decode()
    assert len(mail.outbox) == 3  # no fourth link
    event = AuditEvent.objects.get(action="auth.password_reset_refused")
    assert event.details == {"email": cast.officer.email, "reason": "too_many"}


def test_being_refused_looks_the_same_for_an_address_without_an_account(cast: Cast, settings: Any) -> None:
    settings.LIAISON_PASSWORD_RESETS_PER_EMAIL = 2
    pages = {}
    for email in (cast.officer.email, "nobody@nowhere.example"):
        first = [_reset(email, address=f"198.51.100.{n}") for n in range(2)]
        assert [r.status_code for r in first] == [302, 302]
        assert {r["Location"] for r in first} == {reverse("accounts:password-reset-sent")}
        refused = _reset(email, address="198.51.100.50")
        pages[email] = (refused.status_code, refused.content.decode().replace(email, "EMAIL"))
    assert pages[cast.officer.email] == pages["nobody@nowhere.example"]
    assert pages[cast.officer.email][0] == 429
    assert len(mail.outbox) == 2  # only the real account got its links


def test_it_refuses_one_connection_trying_many_addresses(cast: Cast, settings: Any) -> None:
    settings.LIAISON_PASSWORD_RESETS_PER_CLIENT = 5
    statuses = [_reset(f"guess{n}@rgh.example", address="203.0.113.9").status_code for n in range(5)]
    assert statuses == [302] * 5
    assert _reset(cast.officer.email, address="203.0.113.9").status_code == 429
    assert mail.outbox == []  # the officer's address, tried from that connection, got nothing
    assert _reset(cast.officer.email, address="203.0.113.10").status_code == 302  # elsewhere it still works
    assert len(mail.outbox) == 1
