"""Two-factor sign-in: required before any staff page, enrolment with recovery codes, admin reset."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, Cast
from liaison.accounts.services import mfa_reset
from liaison.audit.models import AuditEvent

STAFF_PAGES = ["home:my-work", "accounts:account", "org:site-list", "audit:search", "accounts:password-change"]


def password_login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def enrol(client: Client) -> list[str]:
    page = client.get(reverse("accounts:mfa-enrol")).content.decode()
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post(reverse("accounts:mfa-enrol"), {"token": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:mfa-recovery-codes")
    codes_page = client.get(reverse("accounts:mfa-recovery-codes")).content.decode()
    return re.findall(r"<code>(\d{5}-\d{5})</code>", codes_page)


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_password_alone_reaches_no_staff_page(cast: Cast, page: str) -> None:
    client = password_login(cast.auditor)
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:mfa-enrol"))


def test_an_enrolled_user_is_asked_for_a_code_before_any_page(cast: Cast) -> None:
    TOTPDevice.objects.create(user=cast.officer, name="Authenticator app", confirmed=True)
    client = password_login(cast.officer)
    response = client.get(reverse("org:site-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:mfa-verify"))
    assert "next=%2Forg%2F" in response["Location"]


def test_enrolment_gives_ten_single_use_recovery_codes_and_opens_the_pages(cast: Cast) -> None:
    client = password_login(cast.officer)
    codes = enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(reverse("home:my-work")).status_code == 200
    # Shown once only.
    assert client.get(reverse("accounts:mfa-recovery-codes")).status_code == 302
    assert AuditEvent.objects.filter(action="auth.mfa_enrol", actor=cast.officer).count() == 1

    # A new sign-in with a recovery code works once, and only once.
    second = password_login(cast.officer)
    response = second.post(reverse("accounts:mfa-verify"), {"token": codes[0]})
    assert response.status_code == 302 and response["Location"] == reverse("home:my-work")
    assert StaticToken.objects.filter(device__user=cast.officer).count() == 9
    third = password_login(cast.officer)
    response = third.post(reverse("accounts:mfa-verify"), {"token": codes[0]})
    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert third.get(reverse("home:my-work")).status_code == 302


def test_a_wrong_enrolment_code_is_refused_with_a_clear_message(cast: Cast) -> None:
    client = password_login(cast.officer)
    client.get(reverse("accounts:mfa-enrol"))
    response = client.post(reverse("accounts:mfa-enrol"), {"token": "000000"})
    assert "That code did not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.officer, confirmed=True).exists()
    assert client.get(reverse("home:my-work")).status_code == 302


def test_a_wrong_code_at_sign_in_is_refused_and_audited(cast: Cast) -> None:
    TOTPDevice.objects.create(user=cast.officer, name="Authenticator app", confirmed=True)
    client = password_login(cast.officer)
    response = client.post(reverse("accounts:mfa-verify"), {"token": "123456"})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="auth.mfa_failed", actor=cast.officer).exists()
    assert client.get(reverse("home:my-work")).status_code == 302


def test_a_password_only_session_cannot_make_itself_recovery_codes(cast: Cast) -> None:
    TOTPDevice.objects.create(user=cast.officer, name="Authenticator app", confirmed=True)
    client = password_login(cast.officer)
    response = client.post(reverse("accounts:mfa-regenerate-codes"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:mfa-verify"))
    assert not StaticToken.objects.filter(device__user=cast.officer).exists()


def test_an_admin_reset_makes_the_user_enrol_again(cast: Cast) -> None:
    client = password_login(cast.officer)
    enrol(client)
    mfa_reset(acting_user=cast.admin, user=cast.officer)
    assert AuditEvent.objects.filter(action="auth.mfa_reset", actor=cast.admin, object_id=str(cast.officer.pk)).exists()
    again = password_login(cast.officer)
    response = again.get(reverse("home:my-work"))
    assert response["Location"].startswith(reverse("accounts:mfa-enrol"))
    assert len(enrol(again)) == 10


def test_admin_reset_action_in_the_admin_site(cast: Cast, as_user) -> None:
    TOTPDevice.objects.create(user=cast.officer, name="Authenticator app", confirmed=True)
    client = as_user(cast.admin)
    response = client.post(
        reverse("admin:accounts_user_changelist"), {"action": "reset_mfa", "_selected_action": [cast.officer.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.officer).exists()


def test_with_mfa_switched_off_pages_open_and_every_page_says_so(cast: Cast, settings) -> None:
    settings.LIAISON_REQUIRE_MFA = False
    client = password_login(cast.officer)
    for page in ["home:my-work", "org:site-list", "accounts:account"]:
        response = client.get(reverse(page))
        assert response.status_code == 200
        assert "two-factor sign-in is switched off" in response.content.decode()
    assert "two-factor sign-in is switched off" in Client().get(reverse("accounts:login")).content.decode()


def test_with_mfa_on_no_banner_is_shown(cast: Cast, as_user) -> None:
    assert "switched off" not in as_user(cast.officer).get(reverse("home:my-work")).content.decode()
