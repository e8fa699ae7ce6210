"""Staff sign in through the hospital's identity provider (a real OpenID Connect provider on localhost),
in a real browser: the whole authorisation-code flow with PKCE."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from conftest import make_cast
from liaison.accounts.models import ProviderIdentity
from liaison.accounts.services import user_create
from liaison.audit.models import AuditEvent
from tests.e2e.conftest import assert_accessible, screenshot
from tests.oidc.local_provider import LocalProvider, running_provider

HOME = re.compile(r"^http://[^/]+/$")


@pytest.fixture(scope="module")
def provider(live_server: Any) -> Iterator[LocalProvider]:
    with running_provider(redirect_uris=[f"{live_server.url}/accounts/sso/callback/"]) as running:
        yield running


@pytest.fixture
def sso(provider: LocalProvider, settings: Any, live_app: Any) -> LocalProvider:
    provider.settings_for(
        settings, LIAISON_OIDC_GROUP_MAP="PALS officers=officer@RGH; PALS leads=manager@RGH manager@HPM"
    )
    return provider


def _sign_in_at_provider(page: Any, username: str) -> None:
    page.get_by_role("link", name="Sign in with Riverside Health ID").click()
    page.wait_for_url(re.compile(r"/interaction/"))
    assert page.get_by_role("heading", name="Hospital sign-in").is_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("provider password")
    page.get_by_role("button", name="Sign in").click()


def test_an_officer_signs_in_through_the_provider_with_its_second_factor(page: Any, sso: LocalProvider) -> None:
    cast = make_cast()
    # An account the administrator made without roles: the provider's groups give them.
    olive = user_create(acting_user=None, email="olive.new@rgh.example", full_name="Olive New", password=None)
    sso.add_account(
        "0b5e-olive",
        username="olive",
        password="provider password",
        email="Olive.New@rgh.example",
        name="Olive New",
        groups=["PALS officers", "Estates"],
        amr=["pwd", "otp"],
    )

    page.goto("/")
    assert page.url.endswith("/accounts/login/?next=/")
    assert page.get_by_role("link", name="Sign in with Riverside Health ID").is_visible()
    assert_accessible(page, "sign-in with single sign-on")
    screenshot(page, "login-sso")
    _sign_in_at_provider(page, "olive")

    # Back in Liaison, signed in, without being asked for Liaison's own code: the provider asked for one.
    page.wait_for_url(HOME)
    assert page.get_by_role("heading", name="My work", level=1).is_visible()
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Log a case").is_visible()
    assert not nav.get_by_role("link", name="Administration").is_visible()
    olive.refresh_from_db()
    assert olive.role_codes == {"officer"}
    assert list(olive.sites.all()) == [cast.rgh]
    assert ProviderIdentity.objects.get(user=olive).subject == "0b5e-olive"
    login = AuditEvent.objects.get(action="auth.sso_login")
    assert login.details["mfa_from_provider"] is True and login.actor == olive


def test_without_the_providers_second_factor_liaison_asks_for_its_own(page: Any, sso: LocalProvider) -> None:
    cast = make_cast()
    sso.add_account(
        "7f1c-mona", username="mona", password="provider password", email=cast.manager.email, groups=["PALS leads"]
    )
    page.goto("/accounts/login/")
    _sign_in_at_provider(page, "mona")
    page.wait_for_url(re.compile(r"/accounts/mfa/enrol/"))
    assert page.get_by_role("heading", name="Set up two-factor sign-in").is_visible()
    assert AuditEvent.objects.get(action="auth.sso_login").details["mfa_from_provider"] is False


def test_someone_without_a_liaison_account_is_told_and_stays_signed_out(page: Any, sso: LocalProvider) -> None:
    make_cast()
    sso.add_account(
        "stranger", username="stranger", password="provider password", email="new.person@rgh.example", amr=["mfa"]
    )
    page.goto("/accounts/login/")
    _sign_in_at_provider(page, "stranger")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert page.get_by_text("Signing in with Riverside Health ID did not work.").is_visible()
    assert_accessible(page, "single sign-on refused")
    assert AuditEvent.objects.get(action="auth.sso_failed").details["reason"] == "no_account"


def test_a_person_disabled_at_the_provider_is_signed_out_when_the_token_expires(page: Any, sso: LocalProvider) -> None:
    cast = make_cast()
    sso.add_account(
        "3a9d-olive", username="olive.officer", password="provider password", email=cast.officer.email, amr=["mfa"]
    )
    page.goto("/accounts/login/")
    _sign_in_at_provider(page, "olive.officer")
    page.wait_for_url(HOME)

    sso.disable("3a9d-olive")
    # Still inside the ID token's five minutes: the session is served as before.
    page.goto("/accounts/account/")
    assert page.get_by_role("heading", name="Your account").is_visible()

    # Six minutes on, for Liaison and the provider alike (Liaison's idle timeout is 15 minutes).
    sso.move_clock(360)
    try:
        with time_machine.travel(time.time() + 360, tick=True):
            page.goto("/accounts/account/")
            page.wait_for_url(re.compile(r"/accounts/login/"))
            assert page.get_by_text("Your session with Riverside Health ID has ended.").is_visible()
            page.goto("/accounts/account/")
            page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    finally:
        sso.move_clock(0)
    reasons = list(AuditEvent.objects.filter(action="auth.sso_failed").values_list("details__reason", flat=True))
    assert reasons == ["provider:interaction_required"]
    assert AuditEvent.objects.get(action="auth.sso_failed").object_id == str(cast.officer.pk)
    assert AuditEvent.objects.filter(action="auth.logout", actor=cast.officer).exists()
