"""A small FHIR R4 server on 127.0.0.1 for tests: Patient search answered with searchset Bundles shaped as real
servers send them (``total``, ``link`` self/next, ``fullUrl``, ``search.mode``, identifiers with a system), a
CapabilityStatement, an OAuth 2.0 token endpoint for the client credentials grant that checks the secret,
and the ways servers fail: an OperationOutcome with HTTP 400 or 500, a server too slow to wait for.

Use the ``fhir_server`` fixture (import ``fhir_server_fixture`` from here into the test module) and, for a
server that refuses connections, :func:`closed_port_url`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

MRN_SYSTEM = "https://riverside.example.org/fhir/sid/mrn"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
CLIENT_ID = "liaison-rgh"
CLIENT_SECRET = "s3cret-for-the-test-token-endpoint"


def patient(
    pid: str,
    *,
    family: str,
    given: list[str],
    birth_date: str,
    mrn: str,
    gender: str = "female",
    phone: str = "",
    email: str = "",
    lines: tuple[str, ...] = ("12 Mill Lane",),
    city: str = "Riverside",
    postcode: str = "RV1 2AB",
    mrn_system: str = MRN_SYSTEM,
) -> dict[str, Any]:
    """A Patient resource as an EHR returns it."""
    telecom = []
    if phone:
        telecom += [
            {"system": "phone", "value": "01632 000000", "use": "old"},
            {"system": "phone", "value": phone, "use": "home"},
        ]
    if email:
        telecom.append({"system": "email", "value": email})
    return {
        "resourceType": "Patient",
        "id": pid,
        "meta": {"versionId": "3", "lastUpdated": "2026-11-02T09:14:00Z"},
        "identifier": [
            {
                "use": "usual",
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
                "system": mrn_system,
                "value": mrn,
            },
            {"use": "official", "system": NHS_NUMBER, "value": "9000000009"},
        ],
        "active": True,
        "name": [
            {"use": "maiden", "family": "Oldname", "given": given},
            {"use": "official", "family": family, "given": given, "prefix": ["Mrs"]},
        ],
        "telecom": telecom,
        "gender": gender,
        "birthDate": birth_date,
        "address": [
            {"use": "old", "line": ["1 Former Road"], "city": "Elsewhere"},
            {
                "use": "home",
                "type": "physical",
                "line": list(lines),
                "city": city,
                "postalCode": postcode,
                "country": "GB",
            },
        ],
    }


def outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


@dataclass
class FhirServer:
    base_url: str = ""
    token_url: str = ""
    patients: list[dict[str, Any]] = field(default_factory=list)
    # "ok", "outcome400", "outcome500", "slow", "garbage"
    mode: str = "ok"
    slow_seconds: float = 3.0
    require_token: bool = True
    next_base_url: str = ""  # where "next" links point, when not at this server
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)  # each Patient search or metadata read

    def add(self, resource: dict[str, Any]) -> None:
        self.patients.append(resource)

    def matches(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        found = self.patients
        if "identifier" in query:
            wanted = query["identifier"][0]
            system, _, value = wanted.rpartition("|")
            found = [
                p
                for p in found
                if any(i["value"] == value and (not system or i.get("system") == system) for i in p["identifier"])
            ]
        if "family" in query:
            # FHIR string search: case-insensitive, matching the start of the name.
            family = query["family"][0].lower()
            found = [p for p in found if any(n["family"].lower().startswith(family) for n in p["name"])]
        if "given" in query:
            given = query["given"][0].lower()
            found = [p for p in found if any(g.lower().startswith(given) for n in p["name"] for g in n["given"])]
        if "birthdate" in query:
            found = [p for p in found if p["birthDate"] == query["birthdate"][0]]
        return found

    def bundle(self, query: dict[str, list[str]]) -> dict[str, Any]:
        found = self.matches(query)
        count = int(query.get("_count", ["10"])[0])
        offset = int(query.get("_getpagesoffset", ["0"])[0])
        page = found[offset : offset + count]
        plain = {k: v[0] for k, v in query.items() if k != "_getpagesoffset"}
        links = [
            {"relation": "self", "url": f"{self.base_url}/Patient?{urlencode({**plain, '_getpagesoffset': offset})}"}
        ]
        if offset + count < len(found):
            nxt = urlencode({**plain, "_getpagesoffset": offset + count})
            links.append({"relation": "next", "url": f"{self.next_base_url or self.base_url}/Patient?{nxt}"})
        entries: list[dict[str, Any]] = [
            {"fullUrl": f"{self.base_url}/Patient/{p['id']}", "resource": p, "search": {"mode": "match"}} for p in page
        ]
        if offset == 0 and len(found) > 5:
            # Real servers add a warning to a broad search; it is not a patient.
            entries.append(
                {
                    "resource": outcome("too-costly", "Search matched many records", severity="warning"),
                    "search": {"mode": "outcome"},
                }
            )
        return {
            "resourceType": "Bundle",
            "id": secrets.token_hex(8),
            "meta": {"lastUpdated": "2026-12-04T10:00:00Z"},
            "type": "searchset",
            "total": len(found),
            "link": links,
            "entry": entries,
        }


def _handler(server: FhirServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any], content_type: str = "application/fhir+json") -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/token":
                self._send(404, outcome("not-found", "No such endpoint"))
                return
            server.token_requests += 1
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            if form.get("grant_type") != "client_credentials":
                self._send(400, {"error": "unsupported_grant_type"}, "application/json")
                return
            if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
                self._send(401, {"error": "invalid_client"}, "application/json")
                return
            token = secrets.token_urlsafe(16)
            server.tokens.add(token)
            self._send(200, {"access_token": token, "token_type": "bearer", "expires_in": 300}, "application/json")

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            server.requests.append(
                {
                    "path": parts.path,
                    "query": query,
                    "accept": self.headers.get("Accept", ""),
                    "auth": self.headers.get("Authorization", ""),
                }
            )
            if server.mode == "slow":
                time.sleep(server.slow_seconds)
            if (
                server.require_token
                and self.headers.get("Authorization", "").removeprefix("Bearer ") not in server.tokens
            ):
                self._send(401, outcome("login", "Bearer token missing or unknown"))
                return
            if parts.path == "/fhir/metadata":
                self._send(
                    200,
                    {
                        "resourceType": "CapabilityStatement",
                        "status": "active",
                        "date": "2026-01-01",
                        "kind": "instance",
                        "fhirVersion": "4.0.1",
                        "format": ["json"],
                        "software": {"name": "Test EHR FHIR"},
                    },
                )
                return
            if parts.path != "/fhir/Patient":
                self._send(404, outcome("not-found", "Unknown resource"))
                return
            if server.mode == "outcome400":
                # Servers quote the search back in diagnostics: Liaison must not show that text.
                said = f"Invalid search parameter value {query.get('identifier', query.get('family', ['?']))[0]!r}"
                self._send(400, outcome("invalid", said))
                return
            if server.mode == "outcome500":
                self._send(500, outcome("exception", "NullPointerException at PatientSearch.java:212"))
                return
            if server.mode == "garbage":
                data = b"<html><body>Gateway says hello</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self._send(200, server.bundle(query))

    return Handler


@pytest.fixture(name="fhir_server")
def fhir_server_fixture() -> Iterator[FhirServer]:
    """A running FHIR server with a token endpoint; add patients with ``fhir_server.add(patient(...))``."""
    from liaison.lib.fhir import forget_tokens

    forget_tokens()
    state = FhirServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    host, port = httpd.server_address[:2]
    state.base_url = f"http://{host}:{port}/fhir"
    state.token_url = f"http://{host}:{port}/token"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        forget_tokens()


def closed_port_url() -> str:
    """The address of a port on this machine that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/fhir"
