"""Administrators set a site's patient record system (FHIR) and test the connection; the secret is never shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.org.models import Site
from tests.fhir_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    MRN_SYSTEM,
    FhirServer,
    closed_port_url,
    fhir_server_fixture,  # noqa: F401 - the fhir_server fixture
)

URL = reverse("org:site-fhir", args=["RGH"])


@pytest.fixture(autouse=True)
def short_budget(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.LIAISON_FHIR_TIMEOUT_SECONDS = 1
    monkeypatch.setenv("LIAISON_FHIR_CLIENT_SECRET_RGH", CLIENT_SECRET)


def settings_for(server: FhirServer, **changes: str) -> dict[str, str]:
    return {
        "fhir_base_url": server.base_url,
        "fhir_token_url": server.token_url,
        "fhir_client_id": CLIENT_ID,
        "fhir_auth_method": "client_secret_post",
        "fhir_scope": "system/Patient.read",
        "fhir_mrn_system": MRN_SYSTEM,
        "save": "1",
        **changes,
    }


def test_an_administrator_sets_the_server_and_the_change_is_audited(
    cast: Cast,
    as_user: Any,
    fhir_server: FhirServer,
) -> None:
    client = as_user(cast.admin)
    page = client.get(URL).content.decode()
    assert "LIAISON_FHIR_CLIENT_SECRET_RGH" in page and "A secret is set on this server." in page
    assert CLIENT_SECRET not in page

    response = client.post(URL, settings_for(fhir_server))
    assert response["Location"] == URL
    site = Site.objects.get(code="RGH")
    assert (site.fhir_base_url, site.fhir_client_id, site.fhir_auth_method) == (
        fhir_server.base_url,
        CLIENT_ID,
        "client_secret_post",
    )
    event = AuditEvent.objects.get(action="site.fhir_update")
    assert event.actor == cast.admin and event.details["fhir_base_url"] == ["", fhir_server.base_url]
    assert set(event.details) == {
        "fhir_base_url",
        "fhir_token_url",
        "fhir_client_id",
        "fhir_auth_method",
        "fhir_scope",
        "fhir_mrn_system",
    }
    assert CLIENT_SECRET not in client.get(URL).content.decode()


def test_the_connection_test_signs_in_and_reads_the_capability_statement(
    cast: Cast,
    as_user: Any,
    fhir_server: FhirServer,
) -> None:
    client = as_user(cast.admin)
    client.post(URL, settings_for(fhir_server))
    page = client.post(URL, {"check": "1"}, follow=True).content.decode()
    assert "The connection works: Test EHR FHIR answered (FHIR version 4.0.1)." in page
    assert fhir_server.token_requests == 1 and fhir_server.requests[-1]["path"] == "/fhir/metadata"
    assert AuditEvent.objects.get(action="site.fhir_check").details == {"ok": True}


def test_a_failed_connection_test_says_why(cast: Cast, as_user: Any, fhir_server: FhirServer) -> None:
    client = as_user(cast.admin)
    client.post(URL, settings_for(fhir_server, fhir_base_url=closed_port_url(), fhir_token_url=""))
    page = client.post(URL, {"check": "1"}, follow=True).content.decode()
    assert "The connection test failed. The patient record system did not answer in 1 second" in page
    assert AuditEvent.objects.get(action="site.fhir_check").details == {"ok": False, "error": "timeout"}


def test_addresses_must_be_https_except_on_this_machine(cast: Cast, as_user: Any, fhir_server: FhirServer) -> None:
    client = as_user(cast.admin)
    response = client.post(URL, settings_for(fhir_server, fhir_base_url="http://ehr.example.org/fhir"))
    assert response.status_code == 200 and "Use an https:// address." in response.content.decode()
    response = client.post(URL, settings_for(fhir_server, fhir_client_id=""))
    assert "Enter the client id that goes with the token endpoint." in response.content.decode()
    assert Site.objects.get(code="RGH").fhir_base_url == ""
    assert not AuditEvent.objects.filter(action="site.fhir_update").exists()


def test_only_administrators_may_see_or_change_the_settings(cast: Cast, as_user: Any, fhir_server: FhirServer) -> None:
    # A manager may edit departments, but the token endpoint decides where the client secret is sent.
    for user in (cast.manager, cast.officer, cast.auditor, cast.executive, cast.investigator):
        client = as_user(user)
        assert client.get(URL).status_code == 404
        assert client.post(URL, settings_for(fhir_server)).status_code == 404
    assert Site.objects.get(code="RGH").fhir_base_url == ""
    assert (
        "Patient record lookup"
        not in as_user(cast.manager).get(reverse("org:site-detail", args=["RGH"])).content.decode()
    )
    assert "Patient record lookup" in as_user(cast.admin).get(reverse("org:site-detail", args=["RGH"])).content.decode()
