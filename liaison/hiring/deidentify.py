"""Turning a closed case into a training scenario with nobody in it: names, MRNs, dates, phone numbers,
emails, addresses, places and staff names are removed or replaced consistently ("the patient", "Relative A",
"Staff member 1"), so the story still reads."""

from __future__ import annotations

import re
from collections.abc import Iterable

from liaison.cases.models import Case
from liaison.org.models import StaffMember

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)(\+?\d[\d ()\-]{6,}\d)(?!\w)")
_MRN = re.compile(r"\b(?:[A-Z]{2,4}-?\d{6,10})\b")
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
_US_ZIP = re.compile(r"\b[A-Z]{2} \d{5}(?:-\d{4})?\b")
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DATES = [
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"),
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTHS})\.?(?: \d{{4}})?\b", re.IGNORECASE),
    re.compile(rf"\b(?:{_MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?\b", re.IGNORECASE),
    re.compile(rf"\b(?:{_MONTHS}) \d{{4}}\b", re.IGNORECASE),
]
_TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sister|Nurse|Prof)\.?"


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[\s\-']+", name) if len(t) >= 3 and t[0].isupper()]


def _replace_name(text: str, name: str, placeholder: str) -> str:
    if not name.strip():
        return text
    # The whole name (with any title) first, then each part on its own ("Mrs Okafor", "Ada").
    text = re.sub(rf"(?:{_TITLES} )?{re.escape(name.strip())}", placeholder, text, flags=re.IGNORECASE)
    for token in _tokens(name):
        text = re.sub(rf"(?:{_TITLES} )?\b{re.escape(token)}\b(?:'s)?", placeholder, text, flags=re.IGNORECASE)
    return text


def _lines(value: str) -> Iterable[str]:
    return [line.strip(" ,") for line in re.split(r"[\n,]", value or "") if len(line.strip(" ,")) >= 4]


def deidentify_case(case: Case) -> str:
    """The scenario text: the account and what the complainant wanted, with everyone taken out."""
    text = f"{case.account}\n\nWhat they wanted: {case.desired_outcome}".strip()
    for value in [case.patient_email, case.complainant_email]:
        if value:
            text = text.replace(value, "[email]")
    text = _EMAIL.sub("[email]", text)
    for address in [case.patient_address, case.complainant_address]:
        for line in _lines(address):
            text = re.sub(re.escape(line), "[address]", text, flags=re.IGNORECASE)
    text = _UK_POSTCODE.sub("[postcode]", text)
    text = _US_ZIP.sub("[postcode]", text)
    if case.patient_mrn:
        text = re.sub(re.escape(case.patient_mrn), "[MRN]", text, flags=re.IGNORECASE)
    text = _MRN.sub("[MRN]", text)
    for pattern in _DATES:
        text = pattern.sub("[date]", text)
    text = _PHONE.sub("[phone]", text)
    text = _replace_name(text, case.patient_name, "the patient")
    text = _replace_name(text, case.complainant_name, "Relative A")
    staff = StaffMember.objects.filter(site=case.site).values_list("full_name", flat=True)
    for number, name in enumerate(sorted(set(staff), key=len, reverse=True), start=1):
        if any(re.search(rf"\b{re.escape(t)}\b", text, re.IGNORECASE) for t in _tokens(name)):
            text = _replace_name(text, name, f"Staff member {number}")
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
    found += list(_lines(case.patient_address)) + list(_lines(case.complainant_address))
    if case.patient_dob:
        found += [case.patient_dob.isoformat(), f"{case.patient_dob:%d/%m/%Y}"]
    for name in [case.patient_name, case.complainant_name]:
        found += _tokens(name or "")
    return [value for value in found if value and value.strip()]
