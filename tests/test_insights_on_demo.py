"""The office's insights over the demo's cases (issue #12): the board report, the KO41a return and the
grievance log agree with the measures; and an executive reads every number, list, download and report and
never receives a patient's or complainant's name or MRN."""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from conftest import login_verified
from liaison.accounts.models import User
from liaison.cases.models import Case
from liaison.demo.cases import demo_load_cases
from liaison.demo.services import demo_load
from liaison.insights.reports import KINDS
from liaison.org.models import Site, StaffMember


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():
        demo_load()
        assert demo_load_cases() > 0
        yield
        transaction.set_rollback(True)


def _identities() -> set[str]:
    """Every patient's and complainant's name and MRN in the demo, less any that is also a member of staff's
    name (a staff name may rightly appear, as an owner)."""
    staff = set(User.objects.values_list("full_name", flat=True)) | set(
        StaffMember.objects.values_list("full_name", flat=True)
    )
    found: set[str] = set()
    for patient, complainant, mrn in Case.objects.values_list("patient_name", "complainant_name", "patient_mrn"):
        found |= {value for value in (patient, complainant, mrn) if len(value) >= 6}
    return found - staff


def _text(response: Any) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "pdf" in kind:
        return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    if "spreadsheetml" in kind:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return " ".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))
    return html.unescape(data.decode("utf-8-sig"))


def _links(page: str, prefix: str) -> list[str]:
    hrefs = {html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)}
    return sorted(h for h in hrefs if urlsplit(h).path.startswith(prefix))


@pytest.mark.django_db
def test_an_executive_walks_every_insight_and_sees_no_patient(demo: None) -> None:
    executive = User.objects.get(email="executive@demo.liaison.example")
    client = login_verified(Client(), executive)
    names = _identities()
    assert len(names) > 200
    today = timezone.localdate()
    period = f"date_from={(today - timedelta(days=365)).isoformat()}&date_to={today.isoformat()}"
    seen: list[str] = []

    def read(url: str, *, may_refuse: bool = False) -> str:
        response = client.get(url)
        if may_refuse and response.status_code == 404:  # a report an executive may not produce at that site
            return ""
        assert response.status_code in (200, 409), (url, response.status_code)
        text = _text(response)
        leaked = sorted(name for name in names if name in text)
        assert not leaked, f"{url} shows {leaked[:5]}"
        seen.append(url)
        return text

    for site in [*Site.objects.filter(code__in=["RGH", "HPM"]), None]:
        query = f"{period}&site={site.code}" if site else period
        dashboard = read(f"/insights/?{query}")
        for drill in _links(dashboard, "/insights/cases/"):
            read(drill)
            for fmt in ("csv", "xlsx"):
                read(drill.replace("/insights/cases/", f"/insights/cases.{fmt}", 1))
    for fmt in ("csv", "xlsx"):
        read(f"/insights/exports/cases.{fmt}?view=site&status=")
    index = read("/insights/reports/")
    for site in Site.objects.filter(code__in=["RGH", "HPM"]):
        for key in KINDS:
            for fmt in ("pdf", "csv", "xlsx"):
                read(f"/insights/reports/download/?kind={key}&site={site.code}&format={fmt}", may_refuse=True)
    assert "Board report" in index or "board" in index.lower()
    assert len(seen) > 150
    # The same walk as a manager does show names: the check above can find them.
    manager = login_verified(Client(), User.objects.get(email="manager@demo.liaison.example"))
    listed = _text(manager.get(f"/insights/cases/?measure=received&site=RGH&{period}"))
    assert any(name in listed for name in names)


def _sheets(content: bytes) -> dict[str, list[list[Any]]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


@pytest.mark.django_db
def test_the_demo_s_board_report_ko41a_and_grievance_log_agree_with_the_measures(demo: None) -> None:
    from liaison.cases.models import CaseType
    from liaison.insights.forms import last_full_month
    from liaison.insights.measures import MEASURES, Period, values
    from liaison.insights.reports.produce import report_produce

    manager = User.objects.get(email="manager@demo.liaison.example")
    rgh, hpm = Site.objects.get(code="RGH"), Site.objects.get(code="HPM")
    month = last_full_month()

    board = _sheets(report_produce(acting_user=manager, kind="board", site=rgh, period=month, fmt="xlsx").content)
    figures = values(Case.objects.filter(site=rgh), month)
    measured = {row[0]: row[2] for row in board["Measures"][1:]}
    for key in ("received", "acknowledged_on_time", "responded_on_time", "days_to_respond_median", "open_now"):
        shown = measured[MEASURES[key].name]
        expected = figures[key]
        assert shown == ("<5" if MEASURES[key].unit == "count" and expected and expected < 5 else expected), key
    pdf = report_produce(acting_user=manager, kind="board", site=rgh, period=month, fmt="pdf").content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert MEASURES["responded_on_time"].name in " ".join(text.split())

    year = Period(month.end - timedelta(days=364), month.end)
    ko41a = _sheets(report_produce(acting_user=manager, kind="ko41a", site=rgh, period=year, fmt="xlsx").content)
    new = {row[0]: row[1] for row in ko41a["Summary"][1:]}["New complaints received"]
    assert new == MEASURES["received"].value(Case.objects.filter(site=rgh, case_type=CaseType.COMPLAINT), year) > 0

    log = report_produce(acting_user=manager, kind="grievance-log", site=hpm, period=year, fmt="csv").content
    rows = [line for line in log.decode("utf-8-sig").splitlines() if re.match(r"HPM-\d{4}-\d{5},", line)]
    grievances = MEASURES["received"].numerator(Case.objects.filter(site=hpm, case_type=CaseType.GRIEVANCE), year)
    assert {line.split(",")[0] for line in rows} == {c.reference for c in grievances} and rows
