"""A small FHIR R4 client for one job: find a Patient by MRN, or by name and date of birth.

It knows nothing of sites or users: the caller gives it a :class:`FhirConfig` and a time budget and gets
back :class:`PatientMatch` values, or a :class:`FhirError` whose message can be shown to an officer as it is.
Messages never repeat what the server wrote in free text (``OperationOutcome.issue.diagnostics`` can quote
the search back, and with it a patient's identifiers); they give the HTTP status and the issue codes.

Answers are parsed with ``fhir.resources``: it has no R4 sub-package, and R4B is R4 for Patient, Bundle and
OperationOutcome (the resources this module reads did not change between the two). Its models take over a
second to import, so they are imported at the first search, not with every process that imports this module.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from pydantic import ValidationError

if TYPE_CHECKING:
    from fhir.resources.R4B.patient import Patient

FHIR_JSON = "application/fhir+json"
MR_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"
MAX_PAGES = 3
MAX_RESULTS = 20
PAGE_SIZE = 10


class AuthMethod:
    BASIC = "client_secret_basic"
    POST = "client_secret_post"


@dataclass(frozen=True)
class FhirConfig:
    base_url: str
    token_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    auth_method: str = AuthMethod.BASIC
    scope: str = ""
    mrn_system: str = ""


@dataclass(frozen=True)
class PatientMatch:
    """One Patient as Liaison shows and uses it."""

    resource_id: str  # "Patient/123": the server's logical id, for the audit trail
    name: str = ""
    birth_date: date | None = None
    mrn: str = ""
    gender: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    deceased: bool = False


@dataclass
class SearchResult:
    matches: list[PatientMatch] = field(default_factory=list)
    more: bool = False  # the server has more matches than were fetched
    total: int | None = None  # the server's own count, where it gave one


class FhirError(Exception):
    """The search could not be done; ``message`` says so in words an officer can act on."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind  # "timeout", "refused", "auth", "unreadable": recorded in the audit trail


# -- Access tokens (OAuth 2.0 client credentials), kept per process until shortly before they expire ----

_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    with _tokens_lock:
        _tokens.clear()


def _token_key(config: FhirConfig) -> tuple[str, str, str]:
    return (config.token_url, config.client_id, config.scope)


def _token(config: FhirConfig, deadline: float, *, fresh: bool = False) -> tuple[str, bool]:
    """A bearer token and whether it came from the cache."""
    key = _token_key(config)
    with _tokens_lock:
        cached = _tokens.get(key)
    if cached and not fresh and cached[1] > time.monotonic():
        return cached[0], True
    if not config.client_secret:
        raise FhirError(
            "Liaison has no client secret for the patient record system on this server. Ask IT to set it; "
            "fill in the details by hand for now.",
            kind="auth",
        )
    data = {"grant_type": "client_credentials"}
    if config.scope:
        data["scope"] = config.scope
    auth: tuple[str, str] | None = None
    if config.auth_method == AuthMethod.POST:
        data |= {"client_id": config.client_id, "client_secret": config.client_secret}
    else:
        auth = (config.client_id, config.client_secret)
    response = _send("POST", config.token_url, deadline, data=data, auth=auth, headers={"Accept": "application/json"})
    if response.status_code != 200:
        raise FhirError(
            f"Liaison could not sign in to the patient record system (HTTP {response.status_code} from its token "
            "endpoint). Ask IT to check the client id and secret; fill in the details by hand for now.",
            kind="auth",
        )
    try:
        body = response.json()
        token = str(body["access_token"])
        lifetime = float(body.get("expires_in") or 300)
    except (ValueError, KeyError, TypeError):
        raise FhirError(
            "The patient record system's token endpoint sent an answer Liaison could not read; "
            "fill in the details by hand.",
            kind="unreadable",
        ) from None
    with _tokens_lock:
        # Renew a little early, so a token never expires between being read here and being used.
        _tokens[key] = (token, time.monotonic() + max(lifetime - 30, lifetime / 2))
    return token, False


# -- HTTP with one time budget for the whole search -----------------------------------------------------


class _OutOfTime(Exception):
    pass


def _send(method: str, url: str, deadline: float, **kwargs: Any) -> requests.Response:
    """One request within what is left of the budget, its body read in full before the deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise _OutOfTime
    try:
        response = requests.request(method, url, timeout=(left, left), stream=True, allow_redirects=False, **kwargs)
        chunks = []
        for chunk in response.iter_content(64 * 1024):
            chunks.append(chunk)
            if time.monotonic() > deadline:
                response.close()
                raise _OutOfTime
        response._content = b"".join(chunks)
    except (requests.Timeout, requests.ConnectionError):
        # A refused connection is, for the officer, the same as a silent server: fill in by hand.
        raise _OutOfTime from None
    except requests.RequestException:
        raise FhirError(
            "Liaison could not reach the patient record system as it is set up (ask IT to check its address); "
            "fill in the details by hand.",
            kind="unreachable",
        ) from None
    return response


def _outcome_words(response: requests.Response) -> str:
    """The severity and code of each issue of an OperationOutcome body, never its free text."""
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    try:
        outcome = OperationOutcome.model_validate(response.json())
    except (ValueError, ValidationError):
        return ""
    codes = sorted({f"{issue.severity}: {issue.code}" for issue in outcome.issue or []})
    return "; ".join(codes)


def _refused(response: requests.Response) -> FhirError:
    if response.status_code in (401, 403):
        return FhirError(
            f"The patient record system refused Liaison's credentials (HTTP {response.status_code}). Ask IT to check "
            "the settings; fill in the details by hand for now.",
            kind="auth",
        )
    words = _outcome_words(response)
    said = f" ({words})" if words else ""
    return FhirError(
        f"The patient record system could not do this search: HTTP {response.status_code}{said}. "
        "Check what you searched for, or fill in the details by hand.",
        kind="refused",
    )


def _get(config: FhirConfig, url: str, params: dict[str, str] | None, deadline: float) -> dict[str, Any]:
    headers = {"Accept": FHIR_JSON}
    from_cache = False
    if config.token_url:
        token, from_cache = _token(config, deadline)
        headers["Authorization"] = f"Bearer {token}"
    response = _send("GET", url, deadline, params=params, headers=headers)
    if response.status_code == 401 and from_cache:
        # The server may have revoked the token before its time: get a fresh one, once.
        token, _ = _token(config, deadline, fresh=True)
        headers["Authorization"] = f"Bearer {token}"
        response = _send("GET", url, deadline, params=params, headers=headers)
    if response.status_code != 200:
        raise _refused(response)
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _unreadable()
    return body


def _unreadable() -> FhirError:
    return FhirError(
        "The patient record system sent an answer Liaison could not read; fill in the details by hand.",
        kind="unreadable",
    )


def _same_origin(url: str, base_url: str) -> bool:
    # The bearer token goes only to the configured server, whatever a "next" link says.
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _timeout_error(budget: float) -> FhirError:
    return FhirError(
        f"The patient record system did not answer in {budget:g} second{'' if budget == 1 else 's'}; "
        "fill in the details by hand.",
        kind="timeout",
    )


def search_patients(config: FhirConfig, params: dict[str, str], *, budget: float) -> SearchResult:
    """Search ``[base]/Patient`` and follow ``next`` links, at most :data:`MAX_PAGES` pages and
    :data:`MAX_RESULTS` patients, all within ``budget`` seconds."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.patient import Patient

    deadline = time.monotonic() + budget
    url: str | None = config.base_url.rstrip("/") + "/Patient"
    query: dict[str, str] | None = {**params, "_count": str(PAGE_SIZE)}
    result = SearchResult()
    try:
        for _page in range(MAX_PAGES):
            assert url is not None
            body = _get(config, url, query, deadline)
            try:
                bundle = Bundle.model_validate(body)
            except ValidationError:
                raise _unreadable() from None
            if result.total is None and bundle.total is not None:
                result.total = int(bundle.total)
            for entry in bundle.entry or []:
                # A searchset may also carry OperationOutcome entries (search.mode "outcome"): not patients.
                if isinstance(entry.resource, Patient):
                    if len(result.matches) == MAX_RESULTS:
                        result.more = True
                        break
                    result.matches.append(patient_match(entry.resource, mrn_system=config.mrn_system))
            url = next((str(link.url) for link in bundle.link or [] if link.relation == "next"), None)
            query = None  # a next link carries the whole query
            if url is None or result.more:
                break
            if len(result.matches) >= MAX_RESULTS or not _same_origin(url, config.base_url):
                result.more = True
                break
        else:
            result.more = url is not None
    except _OutOfTime:
        raise _timeout_error(budget) from None
    if result.total is not None and result.total > len(result.matches):
        result.more = True
    return result


def check_connection(config: FhirConfig, *, budget: float) -> str:
    """Sign in and read the server's CapabilityStatement; say what answered. Reads no patient data."""
    deadline = time.monotonic() + budget
    try:
        body = _get(config, config.base_url.rstrip("/") + "/metadata", None, deadline)
    except _OutOfTime:
        raise _timeout_error(budget) from None
    if body.get("resourceType") != "CapabilityStatement":
        raise _unreadable()
    version = str(body.get("fhirVersion") or "unknown")
    software = body.get("software") if isinstance(body.get("software"), dict) else {}
    name = str((software or {}).get("name") or "a FHIR server")
    return f"{name} answered (FHIR version {version})."


# -- Reading a Patient ---------------------------------------------------------------------------------


def _codes(concept: Any) -> set[str]:
    return {str(coding.code) for coding in (getattr(concept, "coding", None) or []) if coding.code}


def _mrn(patient: Patient, mrn_system: str) -> str:
    identifiers = [i for i in patient.identifier or [] if i.value and i.use != "old"]
    if mrn_system:
        for identifier in identifiers:
            if identifier.system == mrn_system:
                return str(identifier.value)
    for identifier in identifiers:
        if "MR" in _codes(identifier.type):
            return str(identifier.value)
    return ""


def _name(patient: Patient) -> str:
    names = [n for n in patient.name or [] if n.use not in ("old", "anonymous")]
    chosen = next((n for n in names if n.use in ("official", "usual")), names[0] if names else None)
    if chosen is None:
        return ""
    parts = [*(chosen.given or []), chosen.family or ""]
    built = " ".join(str(part).strip() for part in parts if part and str(part).strip())
    return built or str(chosen.text or "").strip()


def _address(patient: Patient) -> str:
    addresses = [a for a in patient.address or [] if a.use not in ("old",)]
    chosen = next((a for a in addresses if a.use == "home"), addresses[0] if addresses else None)
    if chosen is None:
        return ""
    lines = [*(chosen.line or []), chosen.city, chosen.district, chosen.state, chosen.postalCode, chosen.country]
    built = "\n".join(str(line).strip() for line in lines if line and str(line).strip())
    return built or str(chosen.text or "").strip()


def _telecom(patient: Patient, system: str) -> str:
    points = [t for t in patient.telecom or [] if t.system == system and t.value and t.use != "old"]
    points.sort(key=lambda t: (t.rank or 99, 0 if t.use in ("home", "mobile") else 1))
    return str(points[0].value).strip() if points else ""


def patient_match(patient: Patient, *, mrn_system: str = "") -> PatientMatch:
    return PatientMatch(
        resource_id=f"Patient/{patient.id}" if patient.id else "Patient",
        name=_name(patient),
        birth_date=patient.birthDate,
        mrn=_mrn(patient, mrn_system),
        gender=str(patient.gender or ""),
        address=_address(patient),
        phone=_telecom(patient, "phone"),
        email=_telecom(patient, "email"),
        deceased=bool(patient.deceasedBoolean or patient.deceasedDateTime),
    )
