"""The examples in docs/api.md work as written: each curl and Python block is run against a live server.

Only the address and the token differ from what a reader would run: they come from the environment, as the
page says. What each example did is then read back from the database.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import Cast
from liaison.accounts.models import ApiScope
from liaison.accounts.tokens import token_create
from liaison.cases.models import Case
from liaison.cases.services import case_open
from liaison.feedback.models import FeedbackResponse
from liaison.org.models import Department

DOCS = Path(__file__).resolve().parents[1] / "docs" / "api.md"
BLOCK = re.compile(r"```(sh|python)\n(.*?)```", re.S)


def _examples() -> list[tuple[str, str]]:
    """The runnable blocks, in the page's order: those that call the server (not the ``export`` lines)."""
    found = [(kind, code) for kind, code in BLOCK.findall(DOCS.read_text()) if "LIAISON_URL" in code]
    return [(kind, code) for kind, code in found if not code.lstrip().startswith("export ")]


def _run(kind: str, code: str, env: dict[str, str]) -> str:
    command = ["bash", "-euo", "pipefail", "-c", code] if kind == "sh" else [sys.executable, "-c", code]
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert run.returncode == 0, f"this example failed:\n{code}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"
    return run.stdout


@pytest.fixture
def server(live_server: Any, transactional_db: None, sqlite_flushable_audit: None, cast: Cast) -> dict[str, str]:
    case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="letter",
        patient_name="Docs Patient",
        issues=[{"category": "communication", "severity": 1, "department": cast.ed, "summary": "Letter"}],
    )
    secret = token_create(
        acting_user=cast.officer, user=cast.officer, name="docs examples", scopes=list(ApiScope.values)
    ).secret
    return {**os.environ, "LIAISON_URL": live_server.url, "LIAISON_TOKEN": secret}


def test_the_page_has_curl_and_python_examples() -> None:
    kinds = [kind for kind, _ in _examples()]
    assert kinds.count("sh") >= 3 and kinds.count("python") >= 3


def test_every_example_on_the_api_page_runs_as_written(server: dict[str, str]) -> None:
    outputs = [_run(kind, code, server) for kind, code in _examples()]
    listed, logged, every, edited, feedback, measures = outputs

    first = Case.objects.get(patient_name="Docs Patient")
    assert [item["reference"] for item in json.loads(listed)["items"]] == [first.reference]
    new = Case.objects.get(reference=json.loads(logged)["reference"])
    assert new.patient_name == "Example Patient" and new.case_type == "concern"
    assert [issue.summary for issue in new.issues.all()] == ["No wheelchair at the entrance"]

    assert every.strip() == f"{Case.objects.count()} cases"

    reference = edited.split()[0]
    case = Case.objects.get(reference=reference)
    assert case.interpreter_needed is True and case.preferred_language == "pl"
    assert edited.strip().endswith(f"is now version {case.version}")

    assert feedback.strip() == "2 added; 2 already there when sent again"
    kept = FeedbackResponse.objects.filter(source__name="API: Outpatients kiosk")
    assert sorted(kept.values_list("row_key", flat=True)) == ["kiosk-20261130-0001", "kiosk-20261130-0002"]
    assert kept.get(row_key="kiosk-20261130-0002").department == Department.objects.get(code="ED")

    figures = json.loads(measures)
    assert figures["sites"] == ["RGH"] and figures["period"] == {"start": "2026-11-01", "end": "2026-11-30"}
    assert {m["key"] for m in figures["measures"]} >= {"received"}
