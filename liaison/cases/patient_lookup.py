"""Finding the patient in the hospital's record system at intake, and filling the intake form from the record.

Each search and each choice is one audit row. The rows say what kind of search it was (by MRN, or by name
and date of birth), how many patients it found and, for a choice, which record (its FHIR logical id) was
used: never the words searched for, which are patient identifiers. Nothing here writes to a log.

The results go back to the page as signed choices (``django.core.signing``): the officer's browser holds
them, no server keeps them, and a choice is refused when it is stale or was made for someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core import signing

from liaison.accounts.models import User
from liaison.accounts.permissions import require_site_worker
from liaison.audit.services import audit_record
from liaison.lib.errors import ApplicationError
from liaison.lib.fhir import FhirError, PatientMatch, search_patients
from liaison.org.fhir import fhir_config, time_budget
from liaison.org.models import Site

_SALT = "liaison.cases.patient_lookup"
CHOICE_MINUTES = 30
AUDIT_OBJECT = "fhir.patient"


class SearchKind:
    MRN = "mrn"
    NAME = "name_birth_date"


@dataclass(frozen=True)
class Row:
    match: PatientMatch
    choice: str  # the signed value the "Use this patient" button posts


@dataclass(frozen=True)
class Lookup:
    kind: str
    rows: list[Row]
    more: bool


def intake_fields(match: PatientMatch) -> dict[str, Any]:
    """The intake form's patient fields from one record. Name, MRN and date of birth always come from the
    record (a half-typed earlier patient must not survive); contact details only where the record has them."""
    fields: dict[str, Any] = {
        "patient_known": True,
        "patient_name": match.name,
        "patient_mrn": match.mrn,
        "patient_dob": match.birth_date.isoformat() if match.birth_date else "",
    }
    for name, value in (
        ("patient_phone", match.phone),
        ("patient_email", match.email),
        ("patient_address", match.address),
    ):
        if value:
            fields[name] = value
    return fields


def patient_search(
    *,
    acting_user: User,
    site: Site,
    mrn: str = "",
    family: str = "",
    given: str = "",
    birth_date: date | None = None,
) -> Lookup:
    """Search the site's FHIR server by MRN, or else by family name (and given name) and date of birth."""
    require_site_worker(acting_user, site.pk, what="look up patients")
    config = fhir_config(site)
    if config is None:
        raise ApplicationError(f"{site.name} has no patient record system set up; fill in the details by hand.")
    if mrn.strip():
        kind = SearchKind.MRN
        value = mrn.strip()
        params = {"identifier": f"{config.mrn_system}|{value}" if config.mrn_system else value}
    elif family.strip() and birth_date is not None:
        kind = SearchKind.NAME
        params = {"family": family.strip(), "birthdate": birth_date.isoformat()}
        if given.strip():
            params["given"] = given.strip()
    else:
        raise ApplicationError("Enter the MRN, or the family name and the date of birth.")
    try:
        result = search_patients(config, params, budget=time_budget())
    except FhirError as exc:
        audit_record(
            action="patient.lookup",
            actor=acting_user,
            object_type=AUDIT_OBJECT,
            site=site,
            details={"search": kind, "ok": False, "error": exc.kind},
        )
        raise ApplicationError(exc.message, extra={"error": exc.kind}) from None
    event = audit_record(
        action="patient.lookup",
        actor=acting_user,
        object_type=AUDIT_OBJECT,
        site=site,
        details={
            "search": kind,
            "ok": True,
            "results": len(result.matches),
            "more": result.more,
            "shown": [match.resource_id for match in result.matches],
        },
    )
    rows = [
        Row(
            match=match,
            choice=signing.dumps(
                {
                    "u": acting_user.pk,
                    "s": site.pk,
                    "e": event.pk,
                    "n": position,
                    "r": match.resource_id,
                    "f": intake_fields(match),
                },
                salt=_SALT,
                compress=True,
            ),
        )
        for position, match in enumerate(result.matches, start=1)
    ]
    return Lookup(kind=kind, rows=rows, more=result.more)


def patient_choose(*, acting_user: User, site: Site, choice: str) -> dict[str, Any]:
    """The intake fields of the chosen search result; records which record was used."""
    require_site_worker(acting_user, site.pk, what="look up patients")
    try:
        data = signing.loads(choice, salt=_SALT, max_age=CHOICE_MINUTES * 60)
    except signing.BadSignature:
        raise ApplicationError("That search result is too old to use; search again.") from None
    if data.get("u") != acting_user.pk or data.get("s") != site.pk:
        raise ApplicationError("That search result was for another site; search again.")
    audit_record(
        action="patient.lookup_choose",
        actor=acting_user,
        object_type=AUDIT_OBJECT,
        object_id=str(data["r"]),
        site=site,
        details={"search_event": data["e"], "position": data["n"]},
    )
    return dict(data["f"])
