"""Schemathesis against the live API: every operation, with a token of each scope, many generated requests.

The OpenAPI document is read from the running server (by a signed-in person, as it is only for staff), and
schemathesis sends generated requests, valid and malformed, to every operation with each token. It fails on
any server error, any status code the document does not list, and any answer that breaks its schema. Its
summary for each scope is printed into the test run's output (the CI log), pass or fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from conftest import Cast, login_verified
from liaison.accounts.models import ApiScope, User
from liaison.accounts.tokens import token_create
from liaison.cases.services import case_acknowledge, case_open
from liaison.correspondence.services import letter_draft
from liaison.investigations.services import investigation_request

ST = Path(sys.executable).with_name("st")
# Generated requests per operation and scope. CI can raise it (LIAISON_SCHEMATHESIS_EXAMPLES) for a deeper run.
EXAMPLES = int(os.environ.get("LIAISON_SCHEMATHESIS_EXAMPLES", "10"))
PHASES = os.environ.get("LIAISON_SCHEMATHESIS_PHASES", "examples,fuzzing")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def _world(cast: Cast) -> dict[str, Any]:
    """Something for the requests to find: cases at the tokens' site (one acknowledged), an issue, a letter and an
    investigation request. Their ids become the document's examples, so that every operation is also called
    on an object that exists (schemathesis's examples phase), not only on made-up ones that are 404."""
    for number in range(3):
        case = case_open(
            acting_user=cast.officer,
            site=cast.rgh,
            case_type="complaint",
            channel="email",
            patient_name=f"Schema Patient {number}",
            issues=[{"category": "communication", "severity": 1, "department": cast.ed, "summary": "Wait"}],
        )
    case_acknowledge(acting_user=cast.officer, case=case)
    letter = letter_draft(acting_user=cast.officer, case=case, kind="acknowledgement")
    request = investigation_request(acting_user=cast.officer, case=case, department=cast.ed, questions="Why?")
    return {
        "reference": case.reference,
        "issue_id": case.issues.get().pk,
        "letter_id": letter.pk,
        "request_id": request.pk,
    }


def _with_examples(document: dict[str, Any], examples: dict[str, Any]) -> dict[str, Any]:
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in examples:
                    parameter["example"] = examples[parameter["name"]]
    return document


def _token(user: User, scope: str) -> str:
    return token_create(acting_user=user, user=user, name=f"schemathesis {scope}", scopes=[scope]).secret


@pytest.fixture
def schema_file(
    live_server: Any, transactional_db: None, sqlite_flushable_audit: None, cast: Cast, tmp_path: Path
) -> Path:
    examples = _world(cast)
    client = login_verified(Client(), cast.officer)
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(_with_examples(answer.json(), examples)))
    return path


@pytest.mark.parametrize(
    ("scope", "who"),
    [
        (ApiScope.READ_CASES, "officer"),
        (ApiScope.WRITE_CASES, "officer"),
        (ApiScope.INGEST_FEEDBACK, "officer"),
        (ApiScope.READ_MEASURES, "executive"),
    ],
)
def test_every_operation_survives_generated_requests_with_each_scope(
    schema_file: Path, live_server: Any, cast: Cast, settings: Any, capsys: Any, scope: str, who: str
) -> None:
    if not ST.exists():
        pytest.fail(f"{ST} is missing: schemathesis is a dev dependency (make install)")
    settings.LIAISON_API_TOKEN_RATE_PER_MINUTE = 1_000_000  # the rate limit has tests of its own
    token = _token(getattr(cast, who), scope)
    run = subprocess.run(
        [
            str(ST),
            "run",
            str(schema_file),
            "--url",
            live_server.url,
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(EXAMPLES),
            "--workers",
            "1",
            "--seed",
            "20261204",
            "--phases",
            PHASES,
            "--generation-database",
            "none",
            "--request-timeout",
            "30",
            "--no-color",
            "--output-truncate",
            "false",
        ],
        capture_output=True,
        text=True,
        cwd=schema_file.parent,  # schemathesis keeps its own files beside where it runs
        timeout=900,
        check=False,
    )
    marker = run.stdout.rfind("SUMMARY")
    summary = run.stdout[run.stdout.rfind("\n", 0, marker) + 1 :] if marker >= 0 else run.stdout[-3000:]
    with capsys.disabled():  # printed into the CI log whether the test passes or fails
        print(f"\n== schemathesis, token with {scope} ({who}) ==\n{summary}")
    assert run.returncode == 0, (
        f"schemathesis found problems with the {scope} token:\n{run.stdout[-20000:]}\n{run.stderr[-3000:]}"
    )
