"""Single sign-on rules that need no provider: the group map, the second-factor rule, matching accounts, and
single sign-on staying out of sight while it is off. tests/oidc and tests/e2e/test_sso.py run a real provider."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from conftest import PASSWORD, Cast
from liaison.accounts.models import ProviderIdentity, User
from liaison.accounts.sso import (
    GroupGrant,
    SignInRefused,
    grants_for,
    parse_group_map,
    provider_asserted_mfa,
    provider_sign_in,
)
from liaison.audit.models import AuditEvent

ISSUER = "https://id.hospital.example"


@pytest.fixture
def sso_on(settings: Any) -> Any:
    # Nothing listens here: these tests must never need the provider.
    settings.LIAISON_OIDC_ISSUER = "http://127.0.0.1:9"
    settings.LIAISON_OIDC_CLIENT_ID = "liaison"
    settings.LIAISON_OIDC_CLIENT_SECRET = "secret"
    settings.LIAISON_OIDC_PROVIDER_NAME = "Riverside Health ID"
    return settings


def claims(**extra: Any) -> dict[str, Any]:
    return {"sub": "s-1", "email": "officer@rgh.example", "email_verified": True, **extra}


# -- The group map ------------------------------------------------------------------------------------------------


def test_the_group_map_reads_roles_sites_and_group_names_with_spaces() -> None:
    mapping = parse_group_map("PALS officers=officer@rgh; PALS leads = manager@RGH, manager@HPM\nauditors=auditor @HPM")
    assert mapping == {
        "PALS officers": (GroupGrant("officer", "RGH"),),
        "PALS leads": (GroupGrant("manager", "RGH"), GroupGrant("manager", "HPM")),
        "auditors": (GroupGrant("auditor", ""), GroupGrant("", "HPM")),
    }
    assert grants_for(["PALS leads", "auditors", "Estates"], mapping) == ({"manager", "auditor"}, {"RGH", "HPM"})
    assert parse_group_map("") == {}


@pytest.mark.parametrize("text", ["officers", "=officer", "officers=", "officers=nurse@RGH", "officers=@"])
def test_a_wrong_group_map_is_refused_with_its_name(text: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="LIAISON_OIDC_GROUP_MAP"):
        parse_group_map(text)


def test_a_wrong_group_map_fails_the_system_check(sso_on: Any) -> None:
    sso_on.LIAISON_OIDC_GROUP_MAP = "officers=nurse@RGH"
    with pytest.raises(SystemCheckError, match=r"liaison\.sso\.E001"):
        call_command("check")


# -- The second factor ----------------------------------------------------------------------------------------------


def test_the_providers_second_factor_counts_only_when_its_id_token_says_so(settings: Any) -> None:
    settings.LIAISON_OIDC_MFA_AMR = ["mfa", "otp", "hwk"]
    settings.LIAISON_OIDC_MFA_ACR = ["urn:hospital:loa:mfa"]
    assert provider_asserted_mfa({"amr": ["pwd", "otp"]})
    assert provider_asserted_mfa({"amr": "mfa"})
    assert provider_asserted_mfa({"acr": "urn:hospital:loa:mfa"})
    assert not provider_asserted_mfa({"amr": ["pwd"]})
    assert not provider_asserted_mfa({"amr": ["MFA"]})  # RFC 8176 values are case-sensitive
    assert not provider_asserted_mfa({"acr": "urn:hospital:loa:password"})
    assert not provider_asserted_mfa({})
    settings.LIAISON_OIDC_MFA_AMR = []
    assert not provider_asserted_mfa({"amr": ["mfa"]})


# -- Matching the person -------------------------------------------------------------------------------------------


def test_a_first_sign_in_links_by_verified_email_and_later_ones_by_subject(cast: Cast, settings: Any) -> None:
    settings.LIAISON_OIDC_GROUP_MAP = ""
    assert provider_sign_in(issuer=ISSUER, claims=claims(email="Officer@RGH.example")) == cast.officer
    # The provider's address changes; the subject does not.
    assert provider_sign_in(issuer=ISSUER, claims=claims(email="olive@new.example")) == cast.officer
    assert ProviderIdentity.objects.get().subject == "s-1"
    # Without a map, the roles an administrator gave are left alone.
    assert cast.officer.role_codes == {"officer"}


def test_an_unverified_email_never_links_an_account(cast: Cast) -> None:
    with pytest.raises(SignInRefused) as refused:
        provider_sign_in(issuer=ISSUER, claims=claims(email_verified=False))
    assert refused.value.reason == "email_not_verified"
    assert not ProviderIdentity.objects.exists()


def test_an_account_linked_to_one_subject_is_not_taken_by_another(cast: Cast) -> None:
    provider_sign_in(issuer=ISSUER, claims=claims())
    with pytest.raises(SignInRefused) as refused:
        provider_sign_in(issuer=ISSUER, claims=claims(sub="s-2"))
    assert refused.value.reason == "linked_to_another_subject"


def test_a_disabled_account_is_refused(cast: Cast) -> None:
    provider_sign_in(issuer=ISSUER, claims=claims())
    cast.officer.is_active = False
    cast.officer.save()
    with pytest.raises(SignInRefused) as refused:
        provider_sign_in(issuer=ISSUER, claims=claims())
    assert refused.value.reason == "account_disabled"


def test_unknown_people_get_an_account_only_when_allowed_and_the_map_gives_a_role(cast: Cast, settings: Any) -> None:
    settings.LIAISON_OIDC_GROUP_MAP = "PALS officers=officer@RGH"
    stranger = claims(sub="s-9", email="new@rgh.example", name="Nia New", groups=["PALS officers"])
    with pytest.raises(SignInRefused, match="no_account"):
        provider_sign_in(issuer=ISSUER, claims=stranger)
    settings.LIAISON_OIDC_CREATE_USERS = True
    with pytest.raises(SignInRefused, match="no_account"):
        provider_sign_in(issuer=ISSUER, claims={**stranger, "groups": ["Estates"]})
    user = provider_sign_in(issuer=ISSUER, claims=stranger)
    assert (user.email, user.full_name, user.role_codes) == ("new@rgh.example", "Nia New", {"officer"})
    assert not user.has_usable_password()
    assert list(user.sites.all()) == [cast.rgh]
    assert AuditEvent.objects.filter(action="auth.sso_account_created", object_id=str(user.pk)).exists()


def test_with_a_map_the_provider_decides_roles_sites_and_departments(cast: Cast, settings: Any) -> None:
    settings.LIAISON_OIDC_GROUP_MAP = "leads=manager@HPM; everyone=@HPM"
    user = provider_sign_in(
        issuer=ISSUER, claims=claims(email=cast.investigator.email, groups=["leads", "everyone", "RGH-typo"])
    )
    user = User.objects.get(pk=user.pk)
    assert user.role_codes == {"manager"}
    assert list(user.sites.all()) == [cast.hpm]
    assert not user.departments.exists()  # Emergency Department is at Riverside, which they left
    event = AuditEvent.objects.get(action="user.grants_from_provider")
    assert event.details["roles"] == [["investigator"], ["manager"]]
    assert event.details["sites"] == [["RGH"], ["HPM"]]
    # The same groups again change nothing and write nothing.
    provider_sign_in(issuer=ISSUER, claims=claims(email=cast.investigator.email, groups=["leads", "everyone"]))
    assert AuditEvent.objects.filter(action="user.grants_from_provider").count() == 1


# -- Off unless configured -----------------------------------------------------------------------------------------


def test_with_single_sign_on_off_the_sign_in_page_shows_nothing_new(db: None, client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with" not in page
    assert client.get("/accounts/sso/start/").status_code == 404
    assert client.get("/accounts/sso/callback/?code=x&state=y").status_code == 404


def test_with_single_sign_on_on_the_sign_in_page_offers_it(sso_on: Any, db: None, client: Client) -> None:
    page = client.get("/accounts/login/?next=/cases/").content.decode()
    assert 'href="/accounts/sso/start/?next=/cases/"' in page
    assert "Sign in with Riverside Health ID" in page


def test_the_provider_being_down_is_explained_and_audited(sso_on: Any, db: None, client: Client) -> None:
    response = client.get("/accounts/sso/start/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "cannot reach Riverside Health ID" in response.content.decode()
    assert AuditEvent.objects.get(action="auth.sso_failed").details["reason"] == "provider_unavailable"


def test_a_password_sign_in_never_calls_the_provider(sso_on: Any, cast: Cast, client: Client) -> None:
    # A password form posted to an address carrying code and state: only the callback may take those.
    response = client.post(
        "/accounts/login/?code=abc&state=def", {"username": cast.officer.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"
