"""De-identification: for every closed demo case drilled, nobody can be recognised in the scenario."""

from __future__ import annotations

import re

import pytest

from liaison.cases.models import Case
from liaison.demo.cases import demo_load_cases
from liaison.demo.services import demo_load
from liaison.hiring.deidentify import deidentify_case, identifiers
from liaison.org.models import StaffMember

DATE_LIKE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b")
PHONE_LIKE = re.compile(r"\d[\d ()\-]{7,}\d")
EMAIL_LIKE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.mark.django_db
def test_no_identifier_of_any_closed_demo_case_survives() -> None:
    demo_load()
    demo_load_cases()
    closed = list(Case.objects.filter(status="closed").select_related("site"))
    assert len(closed) > 100
    for case in closed:
        scenario = deidentify_case(case)
        lowered = scenario.lower()
        for value in identifiers(case):
            assert not re.search(rf"(?<!\w){re.escape(value.lower())}(?!\w)", lowered), (case.reference, value)
        staff_names = StaffMember.objects.filter(site=case.site).values_list("full_name", flat=True)
        for name in staff_names:
            assert name.lower() not in lowered, (case.reference, name)
        assert case.site.name.lower() not in lowered
        assert not DATE_LIKE.search(scenario) and not EMAIL_LIKE.search(scenario) and not PHONE_LIKE.search(scenario), (
            case.reference,
            scenario,
        )


def test_replacements_are_consistent_and_the_story_still_reads(cast) -> None:  # type: ignore[no-untyped-def]
    from liaison.cases.services import case_open
    from liaison.org.services import staff_member_create

    staff_member_create(acting_user=None, site=cast.rgh, full_name="Imogen Hartley", staff_group="nursing")
    case = case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="phone",
        patient_name="Walter Briggs",
        patient_mrn="RGH1234567",
        complainant_is_patient=False,
        complainant_name="Anna Briggs-Lowe",
        complainant_relationship="daughter",
        consent_method="verbal",
        complainant_phone="07700 900123",
        account="On 3 March 2026 my father Walter Briggs (RGH1234567) waited on the Emergency Department trolley. "
        "Nurse Imogen Hartley said Mr Briggs would be seen soon. Call me on 07700 900123 or anna@example.net.",
    )
    scenario = deidentify_case(case)
    assert "the patient" in scenario and "Staff member" in scenario and "[date]" in scenario and "[phone]" in scenario
    for gone in (
        "Walter",
        "Briggs",
        "RGH1234567",
        "Imogen",
        "Hartley",
        "07700",
        "anna@example.net",
        "3 March 2026",
        "Emergency Department",
    ):
        assert gone not in scenario, gone
