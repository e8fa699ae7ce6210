"""A manager reads the office's numbers on the demo's cases: opens the dashboard, narrows it, drills down to
the cases behind a number, downloads them as XLSX, and downloads last month's board report."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from pypdf import PdfReader

from conftest import PASSWORD
from liaison.accounts.models import User
from liaison.cases.models import Case
from liaison.demo.cases import demo_load_cases
from liaison.demo.services import demo_load
from liaison.insights.forms import last_full_month
from liaison.insights.measures import MEASURES, values
from liaison.org.models import Site
from tests.e2e.conftest import assert_accessible, screenshot, sign_in


def _tile(page: Any, name: str) -> Any:
    return page.get_by_role("article", name=name, exact=True).get_by_role("link").first


def test_a_manager_reads_drills_down_and_downloads(page: Any) -> None:
    demo_load()
    demo_load_cases()
    manager = User.objects.get(email="manager@demo.liaison.example")
    manager.set_password(PASSWORD)
    manager.save()
    month = last_full_month()
    rgh = Case.objects.filter(site=Site.objects.get(code="RGH"))
    both = Case.objects.filter(site__code__in=["RGH", "HPM"])
    sign_in(page, manager)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Numbers").click()
    page.wait_for_url(re.compile(r"/insights/"))
    assert page.get_by_role("heading", name="The office's numbers").is_visible()
    expected = values(both, month, keys=["received"])["received"]
    assert _tile(page, "Cases received").inner_text().startswith(f"{expected:,}")
    assert_accessible(page, "dashboard")
    screenshot(page, "insights-dashboard")

    # Narrow to Riverside's complaints: the page reloads with the filters in its address.
    page.get_by_label("Site (optional)").select_option("RGH")
    page.get_by_label("Type (optional)").select_option("complaint")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"case_type=complaint"))
    complaints = MEASURES["received"].numerator(rgh.filter(case_type="complaint"), month)
    assert _tile(page, "Cases received").inner_text().startswith(str(complaints.count()))
    _tile(page, "Cases received").click()

    # The drill-down lists exactly those complaints, with the patients' names for a manager.
    page.wait_for_url(re.compile(r"/insights/cases/\?"))
    count = complaints.count()
    assert page.get_by_text(f"{count} case{'s' if count != 1 else ''}.", exact=True).is_visible()
    for case in complaints[:5]:
        assert page.get_by_role("link", name=case.reference).is_visible()
    assert_accessible(page, "drill-down")
    screenshot(page, "insights-drilldown")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download XLSX").click()
    sheet = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes())).active
    assert sheet is not None
    assert sorted(row[0].value for row in sheet.iter_rows(min_row=2)) == sorted(c.reference for c in complaints)

    # Last month's board report for Riverside, as a PDF.
    page.goto("/insights/")
    page.get_by_role("link", name="Reports and returns").click()
    page.get_by_label("Report", exact=True).select_option(label="Board report")
    page.get_by_label("Site", exact=True).select_option("RGH")
    assert_accessible(page, "reports")
    screenshot(page, "insights-reports")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the report").click()
    pdf = PdfReader(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Board report" in text and "Riverside" in text
    assert MEASURES["received"].name in text
