"""Single sign-on through a real OpenID Connect provider, without a browser: the test client for Liaison and
``requests`` for the person's side at the provider (its login form, its redirects)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from django.test import Client

from conftest import Cast
from liaison.accounts.models import ProviderIdentity
from liaison.audit.models import AuditEvent
from tests.oidc.local_provider import LocalProvider, running_provider

CALLBACK = "http://testserver/accounts/sso/callback/"


@pytest.fixture(scope="module")
def provider() -> Iterator[LocalProvider]:
    with running_provider(redirect_uris=[CALLBACK], id_token_seconds=120) as running:
        yield running


@pytest.fixture
def sso(provider: LocalProvider, settings: Any) -> LocalProvider:
    provider.settings_for(settings, LIAISON_OIDC_GROUP_MAP="pals-officers=officer@RGH; pals-leads=manager@RGH")
    return provider


@contextmanager
def _later(provider: LocalProvider, seconds: float) -> Iterator[None]:
    """Time passes for Liaison and for the provider alike."""
    provider.move_clock(seconds)
    try:
        with time_machine.travel(time.time() + seconds, tick=True):
            yield
    finally:
        provider.move_clock(0)


def _at_provider(browser: requests.Session, url: str, provider: LocalProvider, *, login: tuple[str, str] | None) -> str:
    """Follow the provider's pages, signing in on its form if asked to; returns the address it sends back to."""
    response = browser.get(url, allow_redirects=False, timeout=10)
    while True:
        location = response.headers.get("Location", "")
        if response.status_code in (302, 303) and location.startswith("http://testserver/"):
            return location
        if response.status_code in (302, 303):
            response = browser.get(requests.compat.urljoin(response.url, location), allow_redirects=False, timeout=10)
            continue
        assert response.status_code == 200, response.text[:500]
        assert login is not None, "the provider asked for a sign-in"
        action = re.search(r'action="([^"]+)"', response.text)
        assert action
        response = browser.post(
            requests.compat.urljoin(response.url, action.group(1)),
            data={"login": login[0], "password": login[1]},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code in (302, 303), "the provider refused the sign-in"
        login = None


def sign_in(client: Client, browser: requests.Session, provider: LocalProvider, login: tuple[str, str]) -> Any:
    start = client.get("/accounts/sso/start/?next=/accounts/account/")
    assert start.status_code == 302
    back = _at_provider(browser, start["Location"], provider, login=login)
    return client.get(back.removeprefix("http://testserver"))


def test_it_signs_in_with_a_second_factor_from_the_provider_and_maps_groups(sso: LocalProvider, cast: Cast) -> None:
    sso.add_account(
        "olive-1",
        username="olive",
        password="pw",
        email=cast.officer.email,
        name="Olive",
        groups=["pals-leads"],
        amr=["pwd", "mfa"],
    )
    client, browser = Client(), requests.Session()
    start = client.get("/accounts/sso/start/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]

    response = sign_in(client, browser, sso, ("olive", "pw"))
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200, home.get("Location")
    assert home.context["user"] == cast.officer
    cast.officer.refresh_from_db()
    assert cast.officer.role_codes == {"manager"}
    assert ProviderIdentity.objects.get(user=cast.officer).subject == "olive-1"
    actions = list(AuditEvent.objects.filter(object_id=str(cast.officer.pk)).values_list("action", flat=True))
    assert "auth.sso_login" in actions and "user.grants_from_provider" in actions


def test_without_a_provider_second_factor_it_asks_for_liaisons_own(sso: LocalProvider, cast: Cast) -> None:
    sso.add_account("olive-2", username="olive2", password="pw", email=cast.officer.email, groups=["pals-officers"])
    client = Client()
    sign_in(client, requests.Session(), sso, ("olive2", "pw"))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/mfa/enrol/")


def test_an_account_disabled_in_liaison_cannot_sign_in(sso: LocalProvider, cast: Cast) -> None:
    cast.officer.is_active = False
    cast.officer.save()
    sso.add_account("olive-3", username="olive3", password="pw", email=cast.officer.email, amr=["mfa"])
    client = Client()
    response = sign_in(client, requests.Session(), sso, ("olive3", "pw"))
    assert response["Location"] == "/accounts/login/"
    assert client.get("/")["Location"].startswith("/accounts/login/")
    failure = AuditEvent.objects.get(action="auth.sso_failed")
    assert failure.details["reason"] == "account_disabled"


def test_someone_liaison_does_not_know_is_refused(sso: LocalProvider, cast: Cast) -> None:
    sso.add_account("stranger", username="stranger", password="pw", email="stranger@rgh.example", amr=["mfa"])
    client = Client()
    sign_in(client, requests.Session(), sso, ("stranger", "pw"))
    assert client.get("/")["Location"].startswith("/accounts/login/")
    assert AuditEvent.objects.get(action="auth.sso_failed").details["reason"] == "no_account"


def test_the_session_renews_at_the_provider_and_ends_when_the_person_is_disabled_there(
    sso: LocalProvider, cast: Cast
) -> None:
    sso.add_account("olive-4", username="olive4", password="pw", email=cast.officer.email, amr=["mfa"])
    client, browser = Client(), requests.Session()
    sign_in(client, browser, sso, ("olive4", "pw"))
    assert client.get("/").status_code == 200

    # Past the ID token's two minutes (and well within the 15-minute idle timeout): renewed without a prompt.
    with _later(sso, 180):
        response = client.get("/accounts/account/")
        assert response.status_code == 302
        renewal = parse_qs(urlsplit(response["Location"]).query)
        assert renewal["prompt"] == ["none"]
        back = _at_provider(browser, response["Location"], sso, login=None)
        assert client.get(back.removeprefix("http://testserver"))["Location"] == "/accounts/account/"
        assert client.get("/accounts/account/").status_code == 200
        assert AuditEvent.objects.filter(action="auth.sso_renewed").count() == 1

    # Disabled at the provider; once the renewed token has expired too, the next request is not served.
    sso.disable("olive-4")
    with _later(sso, 360):
        response = client.get("/accounts/account/")
        assert response.status_code == 302 and "prompt=none" in response["Location"]
        back = _at_provider(browser, response["Location"], sso, login=None)
        assert "error=interaction_required" in back
        client.get(back.removeprefix("http://testserver"))
        assert client.get("/accounts/account/")["Location"].startswith("/accounts/login/")
    assert AuditEvent.objects.filter(action="auth.sso_failed", details__reason="provider:interaction_required").exists()


def test_an_account_deactivated_in_liaison_is_signed_out_at_once(sso: LocalProvider, cast: Cast) -> None:
    sso.add_account("olive-5", username="olive5", password="pw", email=cast.officer.email, amr=["mfa"])
    client, browser = Client(), requests.Session()
    sign_in(client, browser, sso, ("olive5", "pw"))
    assert client.get("/").status_code == 200
    cast.officer.is_active = False
    cast.officer.save()
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_a_failed_renewal_signs_out_instead_of_looping(sso: LocalProvider, cast: Cast) -> None:
    sso.add_account("olive-6", username="olive6", password="pw", email=cast.officer.email, amr=["mfa"])
    client, browser = Client(), requests.Session()
    sign_in(client, browser, sso, ("olive6", "pw"))
    with _later(sso, 180):
        response = client.get("/accounts/account/")
        back = _at_provider(browser, response["Location"], sso, login=None)
        # The provider's answer arrives with a code it will not honour: the token request fails.
        state = parse_qs(urlsplit(back).query)["state"][0]
        response = client.get(f"/accounts/sso/callback/?code=not-a-code&state={state}")
        assert response["Location"] == "/accounts/login/"
        assert client.get("/accounts/account/")["Location"].startswith("/accounts/login/")
    reasons = AuditEvent.objects.filter(action="auth.sso_failed").values_list("details__reason", flat=True)
    assert list(reasons) == ["token_request_failed"]
