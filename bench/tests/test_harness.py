"""The benchmark harness's own parts: sessions it signs in with, the API lists it finds, its figures and chart.

Run explicitly (bench/ is outside the suite's test paths):
    .venv/bin/pytest -q -p no:cacheprovider bench/tests/test_harness.py
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import common  # bench/ is not a package: found through the path above
import pages

from liaison.audit.models import AuditEvent
from liaison.cases.services import case_open


def test_percentiles_are_measured_values_by_nearest_rank() -> None:
    seconds = [n / 1000 for n in range(100, 0, -1)]  # 1 ms … 100 ms, in no order
    summary = common.latency_summary(seconds)
    assert summary == {"p50_ms": 50.0, "p95_ms": 95.0, "p99_ms": 99.0, "max_ms": 100.0}
    assert common.latency_summary([]) == {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    assert common.percentile([0.2], 0.99) == 0.2


def test_a_signed_in_cookie_opens_staff_pages_past_the_second_factor(cast: Any, settings: Any) -> None:
    settings.LIAISON_REQUIRE_MFA = True
    anonymous = Client()
    assert anonymous.get("/").status_code == 302

    cookie = common.signed_in_cookie(cast.officer)

    name, value = cookie.split("=", 1)
    browser = Client()
    browser.cookies[name] = value
    answer = browser.get("/cases/?view=mine")
    assert answer.status_code == 200, answer.get("Location")
    assert "My cases" in answer.content.decode()
    # The authenticator was enrolled through the service, which audits it, and is the one the session names.
    assert TOTPDevice.objects.filter(user=cast.officer, confirmed=True).count() == 1
    assert AuditEvent.objects.filter(action="auth.mfa_enrol", actor=cast.officer).exists()
    again = common.signed_in_cookie(cast.officer)
    assert again != cookie
    assert TOTPDevice.objects.filter(user=cast.officer, confirmed=True).count() == 1


def test_the_api_lists_are_found_from_the_openapi_document_and_single_objects_are_not(db: None) -> None:
    found = pages._api_list_operations()
    assert "/api/v1/investigations/requests" in found
    assert "/api/v1/hiring/interviews/{interview_id}/scores" in found
    assert not any(path.endswith("{request_id}") for path in found)


def test_the_busiest_officer_comes_first(cast: Any) -> None:
    for owner, count in ((cast.officer, 1), (cast.manager, 3)):
        for _ in range(count):
            case_open(acting_user=owner, site=cast.rgh, case_type="concern", channel="phone", owner=owner)
    chosen = common.officers(2)
    assert [u.pk for u in chosen] == [cast.manager.pk, cast.officer.pk]
    assert [u.open_cases for u in chosen] == [3, 1]


def test_the_chart_is_an_svg_with_a_line_per_series_and_labelled_axes(tmp_path: Path) -> None:
    series = [("total", [(0.0, 200.0), (5.0, 230.0), (10.0, 231.0)]), ("worker", [(0.0, 90.0), (10.0, 101.0)])]
    svg = common.svg_line_chart(series, title="Memory", x_label="seconds", y_label="resident memory (MB)")
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    lines = root.findall("s:polyline", ns)
    assert len(lines) == 2
    assert len(lines[0].get("points", "").split()) == 3
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"Memory", "seconds", "resident memory (MB)", "total", "worker"} <= set(texts)
    assert "0" in texts and "250" in texts  # the y axis starts at zero and reaches past the highest value


@pytest.mark.parametrize("url", ["sqlite:///x.sqlite3", "mysql://db/x"])
def test_the_benchmarks_refuse_a_database_other_than_postgresql(url: str) -> None:
    with pytest.raises(SystemExit, match="PostgreSQL"):
        common.database_url(url)
