"""An officer takes a call, finds the patient in the hospital's record system (a FHIR server on this machine),
uses the record to fill in the patient's details and logs the case."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import make_cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case
from liaison.org.services import site_fhir_update
from tests.e2e.conftest import assert_accessible, screenshot, sign_in
from tests.fhir_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    MRN_SYSTEM,
    FhirServer,
    fhir_server_fixture,  # noqa: F401 - the fhir_server fixture
    patient,
)


def test_an_officer_finds_the_patient_and_logs_the_case(
    page: Any,
    fhir_server: FhirServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cast = make_cast()
    monkeypatch.setenv("LIAISON_FHIR_CLIENT_SECRET_RGH", CLIENT_SECRET)
    site_fhir_update(
        acting_user=cast.admin,
        site=cast.rgh,
        fhir_base_url=fhir_server.base_url,
        fhir_token_url=fhir_server.token_url,
        fhir_client_id=CLIENT_ID,
        fhir_mrn_system=MRN_SYSTEM,
    )
    for given, born, mrn in (("Grace", "1948-03-14", "RGH4455667"), ("George", "1952-11-30", "RGH9988776")):
        fhir_server.add(
            patient(f"pat-{mrn}", family="Holloway", given=[given], birth_date=born, mrn=mrn, phone="01632 960123")
        )
    sign_in(page, cast.officer)
    page.goto("/cases/new/")
    page.get_by_label("Their account, in their words").fill("My mother waited four hours in the corridor.")

    # By name and date of birth; the search and the choice post the form, so nothing typed is lost.
    lookup = page.get_by_role("group", name="Find the patient")
    lookup.get_by_label("Family name").fill("Holloway")
    lookup.get_by_label("Date of birth").fill("1948-03-14")
    lookup.get_by_role("button", name="Find the patient").click()
    page.get_by_text("1 patient found.").wait_for()
    assert page.get_by_role("row").filter(has_text="RGH4455667").is_visible()
    assert_accessible(page, "intake, patient found")
    screenshot(page, "patient-lookup")

    page.get_by_role("button", name=re.compile("Use this patient")).click()
    page.get_by_text("filled in from the record").wait_for()
    assert page.get_by_label("Patient's name").input_value() == "Grace Holloway"
    assert page.get_by_label("Patient's MRN (hospital number)").input_value() == "RGH4455667"
    assert page.get_by_label("Patient's date of birth").input_value() == "1948-03-14"
    assert page.get_by_label("Their account, in their words").input_value() == (
        "My mother waited four hours in the corridor."
    )
    assert_accessible(page, "intake, patient filled in")

    page.get_by_role("button", name="Log the case").click()
    page.wait_for_url(re.compile(r"/cases/RGH-\d{4}-\d{5}/$"))
    case = Case.objects.get()
    assert (case.patient_name, case.patient_mrn, str(case.patient_dob), case.patient_phone) == (
        "Grace Holloway",
        "RGH4455667",
        "1948-03-14",
        "01632 960123",
    )
    assert AuditEvent.objects.filter(action="patient.lookup", details__results=1).count() == 1
    assert AuditEvent.objects.get(action="patient.lookup_choose").object_id == "Patient/pat-RGH4455667"
    # The search words travelled in the posted form, never in an address.
    assert "Holloway" not in page.url and "1948" not in page.url
