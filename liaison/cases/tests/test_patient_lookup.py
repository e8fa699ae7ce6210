"""Finding the patient at intake in the hospital's FHIR server (a real one on 127.0.0.1, tests/fhir_server.py):
the search, the choice that fills the form, the case opened from it, the audit rows, and the ways it fails."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case
from liaison.cases.patient_lookup import patient_search
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site
from liaison.org.services import site_fhir_update
from tests.fhir_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    MRN_SYSTEM,
    FhirServer,
    closed_port_url,
    fhir_server_fixture,  # noqa: F401 - the fhir_server fixture
    patient,
)
from tests.html_forms import HtmlForm, parse_forms

INTAKE = reverse("cases:intake")


@pytest.fixture
def rgh(cast: Cast, fhir_server: FhirServer, monkeypatch: pytest.MonkeyPatch, settings: Any) -> Site:
    settings.LIAISON_FHIR_TIMEOUT_SECONDS = 1
    monkeypatch.setenv("LIAISON_FHIR_CLIENT_SECRET_RGH", CLIENT_SECRET)
    fhir_server.add(
        patient(
            "pat-1001",
            family="Holloway",
            given=["Grace", "May"],
            birth_date="1948-03-14",
            mrn="RGH4455667",
            phone="01632 960123",
            email="grace.holloway@example.org",
            lines=("Flat 2", "14 Orchard Street"),
        )
    )
    return site_fhir_update(
        acting_user=cast.admin,
        site=cast.rgh,
        fhir_base_url=fhir_server.base_url,
        fhir_token_url=fhir_server.token_url,
        fhir_client_id=CLIENT_ID,
        fhir_auth_method="client_secret_basic",
        fhir_scope="system/Patient.read",
        fhir_mrn_system=MRN_SYSTEM,
    )


def intake_form(html: str) -> HtmlForm:
    form = next(f for f in parse_forms(html) if "site" in f.fields)
    for item in form.fields.values():
        if item.kind == "textarea":
            # A browser drops the newline that opens a textarea's content; the parser keeps it.
            item.values = [v.removeprefix("\n") for v in item.values]
    return form


def post_back(client: Client, html: str, button: tuple[str, str], **changes: str) -> Any:
    """Post the intake form as the browser would send it, with ``changes`` typed in and ``button`` pressed."""
    data = intake_form(html).base_data(plausible=False)
    for name, value in changes.items():
        data[name.replace("__", "-")] = [value]
    data[button[0]] = [button[1]]
    return client.post(INTAKE, data)


def value_of(html: str, name: str) -> list[str]:
    return intake_form(html).fields[name].values


def started(client: Client, **typed: str) -> str:
    """The intake page with the contact and the account typed in, as an officer does while the caller talks."""
    html = client.get(INTAKE).content.decode()
    return post_back(client, html, ("check", "1"), case_type="concern", **typed).content.decode()


def test_an_officer_finds_a_patient_by_mrn_uses_the_record_and_opens_the_case(
    cast: Cast,
    rgh: Site,
    fhir_server: FhirServer,
    as_user: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = as_user(cast.officer)
    caplog.set_level(logging.DEBUG)
    page = started(client, account="My mother waited four hours in the corridor.", channel="in_person")

    found = post_back(client, page, ("find_patient", "1"), lookup__mrn="RGH4455667")
    html = found.content.decode()
    assert found.status_code == 200
    assert "1 patient found." in html and "Grace May Holloway" in html and "14 Mar 1948" in html
    # The search went as FHIR says, with the site's MRN system, a bearer token and the FHIR media type.
    [search] = fhir_server.requests
    assert search["path"] == "/fhir/Patient" and search["query"]["identifier"] == [f"{MRN_SYSTEM}|RGH4455667"]
    assert search["accept"] == "application/fhir+json" and search["auth"].startswith("Bearer ")
    # What the officer typed is still there, nothing is saved yet.
    assert value_of(html, "account") == ["My mother waited four hours in the corridor."]
    assert value_of(html, "channel") == ["in_person"]
    assert not Case.objects.exists()
    event = AuditEvent.objects.get(action="patient.lookup")
    assert event.actor == cast.officer and event.site == rgh
    assert event.details == {"search": "mrn", "ok": True, "results": 1, "more": False, "shown": ["Patient/pat-1001"]}

    [use] = [b for b in intake_form(html).buttons if b[0] == "use_patient"]
    filled = post_back(client, html, use).content.decode()
    assert "filled in from the record" in filled
    assert value_of(filled, "patient_name") == ["Grace May Holloway"]
    assert value_of(filled, "patient_mrn") == ["RGH4455667"]
    assert value_of(filled, "patient_dob") == ["1948-03-14"]
    assert value_of(filled, "patient_phone") == ["01632 960123"]  # the home number, not the old one
    assert value_of(filled, "patient_email") == ["grace.holloway@example.org"]
    assert value_of(filled, "patient_address") == ["Flat 2\n14 Orchard Street\nRiverside\nRV1 2AB\nGB"]
    assert value_of(filled, "account") == ["My mother waited four hours in the corridor."]
    chosen = AuditEvent.objects.get(action="patient.lookup_choose")
    assert (chosen.object_type, chosen.object_id) == ("fhir.patient", "Patient/pat-1001")
    assert chosen.details == {"search_event": event.pk, "position": 1}

    saved = post_back(client, filled, ("save", "1"))
    case = Case.objects.get()
    assert saved["Location"] == reverse("cases:detail", args=[case.reference])
    assert (case.patient_name, case.patient_mrn, str(case.patient_dob)) == (
        "Grace May Holloway",
        "RGH4455667",
        "1948-03-14",
    )
    assert case.patient_phone == "01632 960123" and case.channel == "in_person" and case.case_type == "concern"
    # No patient identifier reached a log line or an audit row's words.
    assert "RGH4455667" not in caplog.text and "Holloway" not in caplog.text
    for row in AuditEvent.objects.filter(action__startswith="patient."):
        assert "RGH4455667" not in str(row.details) and "1948" not in str(row.details)


def test_a_search_by_name_and_birth_date_follows_the_pages_up_to_the_cap(
    cast: Cast,
    rgh: Site,
    fhir_server: FhirServer,
    as_user: Any,
) -> None:
    for n in range(25):
        fhir_server.add(patient(f"pat-{n}", family="Okafor", given=[f"Chidi{n}"], birth_date="1990-07-01", mrn=f"R{n}"))
    fhir_server.add(patient("pat-other", family="Okafor", given=["Ada"], birth_date="1991-01-01", mrn="R99"))
    client = as_user(cast.officer)

    html = post_back(
        client, started(client), ("find_patient", "1"), lookup__family="okafor", lookup__birth_date="1990-07-01"
    ).content.decode()
    assert "20 patients found." in html and "More patients match than are shown here" in html
    assert len([b for b in intake_form(html).buttons if b[0] == "use_patient"]) == 20
    assert [r["query"].get("_getpagesoffset") for r in fhir_server.requests] == [None, ["10"]]
    assert fhir_server.requests[0]["query"]["family"] == ["okafor"]
    assert fhir_server.requests[0]["query"]["birthdate"] == ["1990-07-01"]
    assert fhir_server.token_requests == 1  # the token is kept for the next page
    event = AuditEvent.objects.get(action="patient.lookup")
    assert event.details["search"] == "name_birth_date" and event.details["results"] == 20 and event.details["more"]


def test_twelve_matches_come_on_two_pages_and_all_are_shown(
    rgh: Site,
    fhir_server: FhirServer,
    cast: Cast,
) -> None:
    for n in range(12):
        fhir_server.add(patient(f"p{n}", family="Nguyen", given=["Lan"], birth_date="1975-05-05", mrn=f"M{n}"))
    lookup = patient_search(
        acting_user=cast.officer, site=rgh, family="Nguyen", given="Lan", birth_date=_d("1975-05-05")
    )
    assert len(lookup.rows) == 12 and not lookup.more
    assert len(fhir_server.requests) == 2 and fhir_server.token_requests == 1
    # A second search reuses the token until it nears its expiry.
    patient_search(acting_user=cast.officer, site=rgh, mrn="M1")
    assert fhir_server.token_requests == 1


def _d(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("outcome400", "could not do this search: HTTP 400 (error: invalid)"),
        ("outcome500", "could not do this search: HTTP 500 (error: exception)"),
        ("garbage", "sent an answer Liaison could not read"),
    ],
)
def test_a_server_error_is_said_plainly_without_its_free_text(
    cast: Cast,
    rgh: Site,
    fhir_server: FhirServer,
    as_user: Any,
    mode: str,
    expected: str,
) -> None:
    fhir_server.mode = mode
    client = as_user(cast.officer)
    html = post_back(
        client, started(client, account="Kept while the lookup fails."), ("find_patient", "1"), lookup__mrn="RGH4455667"
    ).content.decode()
    assert expected in html
    assert "Invalid search parameter" not in html and "NullPointer" not in html
    assert value_of(html, "account") == ["Kept while the lookup fails."]
    event = AuditEvent.objects.get(action="patient.lookup")
    assert event.details["ok"] is False and event.details["search"] == "mrn"


def test_a_slow_server_is_given_up_on_within_the_budget(
    cast: Cast,
    rgh: Site,
    fhir_server: FhirServer,
    as_user: Any,
) -> None:
    fhir_server.mode = "slow"
    client = as_user(cast.officer)
    page = started(client)
    began = time.monotonic()
    html = post_back(client, page, ("find_patient", "1"), lookup__mrn="RGH4455667").content.decode()
    assert time.monotonic() - began < 2.5
    assert "The patient record system did not answer in 1 second; fill in the details by hand." in html
    # The officer carries on by hand: the form still logs a case.
    post_back(client, html, ("save", "1"), patient_name="Grace Holloway")
    assert Case.objects.get().patient_name == "Grace Holloway"
    assert AuditEvent.objects.get(action="patient.lookup").details["error"] == "timeout"


def test_a_server_that_refuses_connections_is_said_to_not_answer(cast: Cast, rgh: Site, as_user: Any) -> None:
    Site.objects.filter(pk=rgh.pk).update(fhir_base_url=closed_port_url(), fhir_token_url="")
    client = as_user(cast.officer)
    began = time.monotonic()
    html = post_back(client, started(client), ("find_patient", "1"), lookup__mrn="X1").content.decode()
    assert time.monotonic() - began < 2.5
    assert "did not answer in 1 second" in html


def test_a_wrong_client_secret_asks_for_the_settings_to_be_checked(
    cast: Cast, rgh: Site, as_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIAISON_FHIR_CLIENT_SECRET_RGH", "not-the-secret")
    client = as_user(cast.officer)
    html = post_back(client, started(client), ("find_patient", "1"), lookup__mrn="RGH4455667").content.decode()
    assert "could not sign in to the patient record system (HTTP 401" in html
    assert AuditEvent.objects.get(action="patient.lookup").details["error"] == "auth"


def test_the_secret_can_be_sent_in_the_request_body(cast: Cast, rgh: Site, fhir_server: FhirServer) -> None:
    Site.objects.filter(pk=rgh.pk).update(fhir_auth_method="client_secret_post")
    rgh.refresh_from_db()
    assert [row.match.name for row in patient_search(acting_user=cast.officer, site=rgh, mrn="RGH4455667").rows] == [
        "Grace May Holloway"
    ]


def test_a_server_without_sign_in_and_without_an_mrn_system_reads_the_mr_identifier(
    cast: Cast,
    rgh: Site,
    fhir_server: FhirServer,
) -> None:
    fhir_server.require_token = False
    fhir_server.add(
        patient(
            "pat-2", family="Khan", given=["Zara"], birth_date="2001-02-03", mrn="OTHER77", mrn_system="urn:oid:1.2.3"
        )
    )
    Site.objects.filter(pk=rgh.pk).update(fhir_token_url="", fhir_client_id="", fhir_mrn_system="")
    rgh.refresh_from_db()
    lookup = patient_search(acting_user=cast.officer, site=rgh, mrn="OTHER77")
    assert [row.match.mrn for row in lookup.rows] == ["OTHER77"]
    assert fhir_server.requests[-1]["query"]["identifier"] == ["OTHER77"] and fhir_server.requests[-1]["auth"] == ""
    assert fhir_server.token_requests == 0


def test_the_search_asks_for_an_mrn_or_a_family_name_and_birth_date(cast: Cast, rgh: Site, as_user: Any) -> None:
    client = as_user(cast.officer)
    html = post_back(client, started(client), ("find_patient", "1"), lookup__family="Holloway").content.decode()
    assert "Enter the date of birth as well as the family name." in html
    html = post_back(client, html, ("find_patient", "1"), lookup__family="").content.decode()
    assert "Enter the MRN, or the family name and the date of birth." in html
    assert not AuditEvent.objects.filter(action="patient.lookup").exists()


def test_a_site_without_a_fhir_server_shows_no_lookup(cast: Cast, as_user: Any) -> None:
    client = as_user(cast.officer)
    html = client.get(INTAKE).content.decode()
    assert "Find the patient" not in html
    html = post_back(client, html, ("find_patient", "1"), lookup__mrn="RGH1").content.decode()
    assert "has no patient record system set up" in html


def test_the_lookup_is_offered_on_the_intake_page_of_a_site_with_a_server(cast: Cast, rgh: Site, as_user: Any) -> None:
    html = as_user(cast.officer).get(INTAKE).content.decode()
    assert "Find the patient" in html
    form = intake_form(html)
    assert form.method == "post" and {"lookup-mrn", "lookup-family", "lookup-given", "lookup-birth_date"} <= set(
        form.fields
    )


def test_a_choice_cannot_be_forged_or_used_by_someone_else(
    cast: Cast,
    rgh: Site,
    fhir_server: FhirServer,
    as_user: Any,
) -> None:
    client = as_user(cast.officer)
    html = post_back(client, started(client), ("find_patient", "1"), lookup__mrn="RGH4455667").content.decode()
    [use] = [b for b in intake_form(html).buttons if b[0] == "use_patient"]

    forged = post_back(client, html, ("use_patient", use[1][:-3] + "abc")).content.decode()
    assert "too old to use" in forged and value_of(forged, "patient_name") == [""]

    manager = as_user(cast.manager)
    other = post_back(manager, manager.get(INTAKE).content.decode(), use).content.decode()
    assert "search again" in other and value_of(other, "patient_name") == [""]
    assert not AuditEvent.objects.filter(action="patient.lookup_choose").exists()


def test_only_those_who_may_open_cases_there_may_look_up(cast: Cast, rgh: Site, as_user: Any) -> None:
    for user in (cast.executive, cast.investigator, cast.auditor, cast.admin):
        response = as_user(user).post(INTAKE, {"site": rgh.pk, "lookup-mrn": "RGH4455667", "find_patient": "1"})
        assert response.status_code == 404
    # An officer of another site cannot search this one, not even by posting its id.
    html = as_user(cast.outsider).post(INTAKE, {"site": rgh.pk, "lookup-mrn": "RGH4455667", "find_patient": "1"})
    assert "Choose the site first." in html.content.decode()
    with pytest.raises(ApplicationError):
        patient_search(acting_user=cast.outsider, site=rgh, mrn="RGH4455667")
    assert not AuditEvent.objects.filter(action="patient.lookup").exists()


def test_a_live_preview_that_repeats_the_find_button_does_not_search_again(
    cast: Cast,
    rgh: Site,
    fhir_server: FhirServer,
    as_user: Any,
) -> None:
    # htmx sends the last button clicked along with the rules-and-duplicates preview it posts on a change.
    client = as_user(cast.officer)
    response = client.post(
        INTAKE, {"site": rgh.pk, "lookup-mrn": "RGH4455667", "find_patient": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and 'id="preview"' in response.content.decode()
    assert fhir_server.requests == [] and not AuditEvent.objects.filter(action="patient.lookup").exists()


def test_a_missing_client_secret_is_said_before_anything_is_sent(
    cast: Cast, rgh: Site, fhir_server: FhirServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIAISON_FHIR_CLIENT_SECRET_RGH")
    with pytest.raises(ApplicationError, match="no client secret"):
        patient_search(acting_user=cast.officer, site=rgh, mrn="RGH4455667")
    assert fhir_server.token_requests == 0 and fhir_server.requests == []


def test_a_next_link_to_another_server_is_not_followed(cast: Cast, rgh: Site, fhir_server: FhirServer) -> None:
    # The bearer token goes only to the configured server.
    fhir_server.next_base_url = fhir_server.base_url.replace("127.0.0.1", "localhost")
    for n in range(12):
        fhir_server.add(patient(f"p{n}", family="Nguyen", given=["Lan"], birth_date="1975-05-05", mrn=f"M{n}"))
    lookup = patient_search(acting_user=cast.officer, site=rgh, family="Nguyen", birth_date=_d("1975-05-05"))
    assert len(lookup.rows) == 10 and lookup.more
    assert len(fhir_server.requests) == 1
