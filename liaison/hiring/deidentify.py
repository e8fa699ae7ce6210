"""Turning a closed case into a training scenario with nobody in it: names, MRNs, dates, phone numbers,
emails, addresses, places and staff names are removed or replaced consistently ("the patient", "Relative A",
"Staff member 1"), so the story still reads."""

from __future__ import annotations

import re

from liaison.cases.models import Case
from liaison.lib.redact import address_lines, name_tokens, redact_identifiers, replace_name
from liaison.org.models import StaffMember


def deidentify_case(case: Case) -> str:
    """The scenario text: the account and what the complainant wanted, with everyone taken out."""
    text = f"{case.account}\n\nWhat they wanted: {case.desired_outcome}".strip()
    text = redact_identifiers(
        text,
        emails=[case.patient_email, case.complainant_email],
        addresses=[case.patient_address, case.complainant_address],
        mrns=[case.patient_mrn],
    )
    text = replace_name(text, case.patient_name, "the patient")
    text = replace_name(text, case.complainant_name, "Relative A")
    staff = StaffMember.objects.filter(site=case.site).values_list("full_name", flat=True)
    for number, name in enumerate(sorted(set(staff), key=len, reverse=True), start=1):
        if any(re.search(rf"\b{re.escape(t)}\b", text, re.IGNORECASE) for t in name_tokens(name)):
            text = replace_name(text, name, f"Staff member {number}")
    for place in [case.site.name, *case.site.departments.values_list("name", flat=True)]:
        text = re.sub(
            re.escape(place), "[place]" if place == case.site.name else "the department", text, flags=re.IGNORECASE
        )
    return text


def identifiers(case: Case) -> list[str]:
    """What must not appear in a scenario built from this case (for tests and for the manager's check)."""
    found = [
        case.patient_name,
        case.complainant_name,
        case.patient_mrn,
        case.patient_email,
        case.complainant_email,
        case.patient_phone,
        case.complainant_phone,
    ]
    found += list(address_lines(case.patient_address)) + list(address_lines(case.complainant_address))
    if case.patient_dob:
        found += [case.patient_dob.isoformat(), f"{case.patient_dob:%d/%m/%Y}"]
    for name in [case.patient_name, case.complainant_name]:
        found += name_tokens(name or "")
    return [value for value in found if value and value.strip()]
