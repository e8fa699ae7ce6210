"""Signing in: lockout after failures, idle session expiry, password reset and password rules."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, Cast
from liaison.accounts.services import user_create
from liaison.audit.models import AuditEvent
from liaison.lib.errors import ApplicationError


def attempt(client: Client, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_login_is_by_email_in_any_case(cast: Cast) -> None:
    response = attempt(Client(), "Officer@RGH.example", PASSWORD)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.login", actor=cast.officer).count() == 1


def test_a_failed_login_says_what_happens_next_and_is_audited(cast: Cast) -> None:
    response = attempt(Client(), cast.officer.email, "wrong password here")
    assert response.status_code == 200
    assert "After 5 failed attempts the account is locked for 15 minutes" in response.content.decode()
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.details == {"email": cast.officer.email}
    assert "wrong password" not in str(event.details)


def test_five_failures_lock_the_account_even_for_the_right_password(cast: Cast) -> None:
    client = Client()
    for _ in range(5):
        attempt(client, cast.officer.email, "wrong password here")
    response = attempt(Client(), cast.officer.email, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Account locked for 15 minutes" in page
    assert AuditEvent.objects.filter(action="auth.lockout").exists()
    assert not AuditEvent.objects.filter(action="auth.login").exists()
    # Another account is not affected.
    assert attempt(Client(), cast.manager.email, PASSWORD).status_code == 302


def test_four_failures_do_not_lock(cast: Cast) -> None:
    client = Client()
    for _ in range(4):
        attempt(client, cast.officer.email, "wrong password here")
    assert attempt(client, cast.officer.email, PASSWORD).status_code == 302


def test_the_lock_lifts_after_fifteen_minutes(cast: Cast) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            attempt(Client(), cast.officer.email, "wrong password here")
        assert attempt(Client(), cast.officer.email, PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert attempt(Client(), cast.officer.email, PASSWORD).status_code == 302


def test_the_session_ends_after_fifteen_idle_minutes(cast: Cast, as_user) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = as_user(cast.officer)
        assert client.get(reverse("home:my-work")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        response = client.get(reverse("home:my-work"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        login_page = client.get(response["Location"]).content.decode()
        assert "signed out after 15 minutes without activity" in login_page


def test_activity_keeps_the_session_alive(cast: Cast, as_user) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = as_user(cast.officer)
        client.get(reverse("home:my-work"))
    for minutes in (10, 20, 30):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get(reverse("home:my-work")).status_code == 200


def test_pages_rewrite_the_session_at_most_once_a_minute(cast: Cast, as_user) -> None:
    """Renewing the idle timeout on every page would write the session row on every request."""
    from django.contrib.sessions.models import Session

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = as_user(cast.officer)
        client.get(reverse("home:my-work"))
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        first = Session.objects.get(session_key=key).expire_date
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get(reverse("home:my-work"))
        assert Session.objects.get(session_key=key).expire_date == first
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        client.get(reverse("home:my-work"))
        assert Session.objects.get(session_key=key).expire_date == first + timedelta(seconds=90)


def test_password_reset_by_email(cast: Cast) -> None:
    client = Client()
    response = client.post(reverse("accounts:password-reset"), {"email": cast.officer.email})
    assert response["Location"] == reverse("accounts:password-reset-sent")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.officer.email]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)  # type: ignore[union-attr]
    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    new_password = "a brand new long passphrase"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response["Location"] == reverse("accounts:password-reset-done")
    assert attempt(Client(), cast.officer.email, new_password).status_code == 302
    assert AuditEvent.objects.filter(action="auth.password_reset", actor=cast.officer).exists()


def test_password_reset_for_an_unknown_address_sends_nothing_and_looks_the_same(cast: Cast) -> None:
    response = Client().post(reverse("accounts:password-reset"), {"email": "nobody@nowhere.example"})
    assert response["Location"] == reverse("accounts:password-reset-sent")
    assert mail.outbox == []


def test_short_and_common_passwords_are_refused(cast: Cast) -> None:
    for weak in ["short1!", "password1234", "123456789012"]:
        try:
            user_create(
                acting_user=cast.admin, email=f"new{len(weak)}@rgh.example", full_name="New Person", password=weak
            )
        except ApplicationError as exc:
            assert "password" in exc.message.lower()
        else:
            raise AssertionError(f"{weak!r} was accepted")


def test_password_change_needs_the_old_password(cast: Cast, as_user) -> None:
    client = as_user(cast.officer)
    url = reverse("accounts:password-change")
    response = client.post(url, {"old_password": "not it", "new_password1": "x" * 3, "new_password2": "x" * 3})
    assert response.status_code == 200
    new = "another fine long passphrase"
    response = client.post(url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.password_change", actor=cast.officer).exists()


def test_logout_ends_the_session_and_is_audited(cast: Cast, as_user) -> None:
    client = as_user(cast.officer)
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("home:my-work")).status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", actor=cast.officer).exists()
