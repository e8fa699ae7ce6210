"""The case export: the worklist's Download links and ``liaison export cases``, read back cell by cell.

Riverside (RGH) is in Europe/London, Harbor Point (HPM) in America/New_York. Every test runs at NOW, 15 April
2026; British Summer Time started on 29 March 2026, so March's last hours and April's are an hour ahead of UTC.
"""

from __future__ import annotations

import html
import io
import json
import re
import tempfile
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import HttpResponseBase
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from liaison import cli
from liaison.accounts.models import User
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case, Issue
from liaison.cases.services import (
    case_acknowledge,
    case_close,
    case_open,
    case_record_findings,
    case_record_response,
    case_set_restriction,
)
from liaison.lib.tables import read_csv
from liaison.org.services import department_create

AsUser = Callable[[User], Client]
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 4, 15, 11, 0, tzinfo=UTC)

HEADER = [
    "Reference",
    "Site",
    "Type",
    "Channel",
    "Status",
    "Received (site time)",
    "Patient name",
    "MRN",
    "Complainant name",
    "Owner",
    "Department",
    "Priority",
    "Next due (site time)",
    "Acknowledged (site time)",
    "Responded (site time)",
    "Closed (site time)",
    "Outcome",
    "HCAT categories",
]
IDENTITY_HEADINGS = {"Patient name", "MRN", "Complainant name"}
PUBLIC_HEADER = [heading for heading in HEADER if heading not in IDENTITY_HEADINGS]
# Everything that identifies a patient or complainant in the world below.
IDENTITIES = [
    "Ada Testpatient",
    "RGH0000001",
    "Cara Testpatient",
    "RGH0000002",
    "Ben Relative",
    "Dev Testpatient",
    "RGH0000003",
    "Eli Hiddenpatient",
    "Hal Harborpatient",
    "HPM0000009",
]


def london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


@dataclass
class World:
    closed: Case  # answered, upheld and closed in the winter (GMT); three issues, two categories
    late_night: Case  # a concern raised by the patient's son at 23:30 on 31 March (BST); no issues yet
    urgent: Case  # received 00:30 on 1 April in London, which is still 31 March in UTC; the manager's
    restricted: Case  # restricted to the manager
    harbor: Case  # at the other hospital


@pytest.fixture
def world(cast: Cast) -> Iterator[World]:
    officer, manager = cast.officer, cast.manager

    def open_at(when: datetime, **fields: Any) -> Case:
        values: dict[str, Any] = {
            "acting_user": officer,
            "site": cast.rgh,
            "case_type": "complaint",
            "channel": "phone",
            "account": "The call bell on the ward was not answered for an hour.",
        }
        values.update(fields)
        with at(when):
            return case_open(received_at=when, **values)

    closed = open_at(
        london(2026, 1, 2, 10, 0),
        owner=officer,
        patient_name="Ada Testpatient",
        patient_mrn="RGH0000001",
        issues=[
            {"category": "communication", "severity": 2, "department": cast.ed, "summary": "Call bell"},
            {"category": "safety", "severity": 2, "department": cast.cardiology, "summary": "Wrong dose"},
            {"category": "communication", "severity": 1, "department": cast.ed, "summary": "Curt reply"},
        ],
    )
    with at(london(2026, 1, 6, 9, 0)):
        case_acknowledge(acting_user=officer, case=closed)
    with at(london(2026, 2, 4, 10, 0)):
        case_record_response(acting_user=officer, case=closed)
    with at(london(2026, 2, 4, 11, 0)):
        case_record_findings(
            acting_user=officer, case=closed, issue_findings={}, outcome="upheld", how_considered="We read the notes."
        )
    with at(london(2026, 2, 5, 10, 0)):
        case_close(acting_user=officer, case=closed)

    late_night = open_at(
        london(2026, 3, 31, 23, 30),
        case_type="concern",
        channel="email",
        patient_name="Cara Testpatient",
        patient_mrn="RGH0000002",
        complainant_is_patient=False,
        complainant_name="Ben Relative",
        complainant_relationship="son",
        consent_method="written",
        reported_department=cast.cardiology,
    )
    urgent = open_at(
        london(2026, 4, 1, 0, 30),
        channel="letter",
        owner=manager,
        patient_name="Dev Testpatient",
        patient_mrn="RGH0000003",
        risk_consequence=5,
        risk_likelihood=5,
        issues=[{"category": "listening", "department": cast.ed, "summary": "Not listened to"}],
    )
    restricted = open_at(
        london(2026, 2, 2, 9, 0),
        owner=manager,
        patient_name="Eli Hiddenpatient",
        issues=[{"category": "quality", "department": cast.cardiology, "summary": "Missed scan"}],
    )
    with at(london(2026, 2, 2, 9, 30)):
        case_set_restriction(acting_user=manager, case=restricted, restricted=True, reason="vip", users=[])
    when = datetime(2026, 4, 10, 20, 0, tzinfo=NEW_YORK)
    with at(when):
        harbor = case_open(
            acting_user=cast.outsider,
            site=cast.hpm,
            case_type="complaint",
            channel="phone",
            received_at=when,
            owner=cast.outsider,
            patient_name="Hal Harborpatient",
            patient_mrn="HPM0000009",
            account="The discharge letter was wrong.",
        )
    with at(NOW):
        yield World(
            closed=_fresh(closed),
            late_night=_fresh(late_night),
            urgent=_fresh(urgent),
            restricted=_fresh(restricted),
            harbor=_fresh(harbor),
        )


def _fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def _local(case: Case, moment: datetime | None) -> datetime | None:
    """In the site's time, to the minute (a clock is due at 23:59:59.999999, which must stay on its day)."""
    return None if moment is None else timezone.localtime(moment, case.site.zone).replace(second=0, microsecond=0)


def _csv(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    return "" if value is None else str(value)


def expected_rows(world: World, cast: Cast) -> dict[str, list[Any]]:
    """The officer's rows, worked out by hand (the clocks' due times are the policy pack's, read back)."""
    closed, late, urgent = world.closed, world.late_night, world.urgent
    return {
        closed.reference: [
            closed.reference,
            "RGH",
            "Complaint",
            "Phone",
            "Closed",
            datetime(2026, 1, 2, 10, 0, tzinfo=LONDON),
            "Ada Testpatient",
            "RGH0000001",
            "Ada Testpatient",
            "Olive Officer",
            "Emergency Department; Cardiology",
            "Low",
            _local(closed, closed.next_due_at),
            datetime(2026, 1, 6, 9, 0, tzinfo=LONDON),
            datetime(2026, 2, 4, 10, 0, tzinfo=LONDON),
            datetime(2026, 2, 5, 10, 0, tzinfo=LONDON),
            "Upheld",
            "Communication (relationships); Safety (clinical)",
        ],
        late.reference: [
            late.reference,
            "RGH",
            "Concern",
            "Email",
            "New",
            datetime(2026, 3, 31, 23, 30, tzinfo=LONDON),
            "Cara Testpatient",
            "RGH0000002",
            "Ben Relative",
            "",
            "Cardiology",  # no issue coded yet: the department the complainant named
            "Low",
            _local(late, late.next_due_at),
            None,
            None,
            None,
            "",
            "",
        ],
        urgent.reference: [
            urgent.reference,
            "RGH",
            "Complaint",
            "Letter",
            "New",
            datetime(2026, 4, 1, 0, 30, tzinfo=LONDON),
            "Dev Testpatient",
            "RGH0000003",
            "Dev Testpatient",
            "Mona Manager",
            "Emergency Department",
            urgent.get_priority_display(),
            _local(urgent, urgent.next_due_at),
            None,
            None,
            None,
            "",
            "Listening (relationships)",
        ],
    }


def export_url(fmt: str, **params: Any) -> str:
    url = reverse("insights:export_cases", kwargs={"fmt": fmt})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def body(response: HttpResponseBase) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def csv_table(response: HttpResponseBase) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return read_csv(body(response))


def xlsx_table(response: HttpResponseBase) -> list[list[Any]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    assert workbook.sheetnames == ["Cases"]
    return [[cell.value for cell in row] for row in workbook["Cases"].iter_rows()]


def xlsx_text(data: bytes) -> str:
    """Every part of the workbook, unzipped: what a search of the file's contents would find."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def references(table: list[list[Any]]) -> list[str]:
    return [row[0] for row in table[1:]]


# -- What the file holds ---------------------------------------------------------------------------------


def test_the_csv_holds_every_case_of_the_worklist_with_its_values(cast: Cast, world: World, as_user: AsUser) -> None:
    table = csv_table(as_user(cast.officer).get(export_url("csv", view="site", status="")))

    assert table[0] == HEADER
    want = {ref: [_csv(v) for v in row] for ref, row in expected_rows(world, cast).items()}
    got = {row[0]: row for row in table[1:]}
    assert sorted(got) == sorted(want)
    for ref, row in want.items():
        assert dict(zip(HEADER, got[ref], strict=True)) == dict(zip(HEADER, row, strict=True))
    assert len(table) == 4  # the restricted case is not the officer's to see, nor Harbor Point's
    # Site time, not UTC: 00:30 on 1 April in London was 23:30 on 31 March in UTC.
    assert want[world.urgent.reference][5] == "2026-04-01T00:30+01:00"


def test_the_xlsx_holds_the_same_rows_with_dates_as_dates(cast: Cast, world: World, as_user: AsUser) -> None:
    table = xlsx_table(as_user(cast.officer).get(export_url("xlsx", view="site", status="")))

    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)  # spreadsheets have no zones: the site's wall-clock time
        return None if value == "" else value

    assert table[0] == HEADER
    got = {row[0]: [plain(v) for v in row] for row in table[1:]}
    want = {ref: [plain(v) for v in row] for ref, row in expected_rows(world, cast).items()}
    assert sorted(got) == sorted(want)
    for ref, row in want.items():
        assert dict(zip(HEADER, got[ref], strict=True)) == dict(zip(HEADER, row, strict=True))
    assert got[world.late_night.reference][5] == datetime(2026, 3, 31, 23, 30)
    # Acknowledgement due in three working days: 2, 7 and 8 April (Good Friday and Easter Monday between),
    # at the end of the day, cut to the minute so that no spreadsheet rounds it into the 9th.
    assert got[world.urgent.reference][HEADER.index("Next due (site time)")] == datetime(2026, 4, 8, 23, 59)


def test_the_rows_come_in_the_worklists_order(cast: Cast, world: World, as_user: AsUser) -> None:
    client = as_user(cast.manager)
    page = worklist_references(client.get(reverse("cases:worklist"), {"view": "site", "status": ""}))
    assert len(page) == 4
    assert references(csv_table(client.get(export_url("csv", view="site", status="")))) == page
    assert references(xlsx_table(client.get(export_url("xlsx", view="site", status="")))) == page


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_cell_that_starts_like_a_formula_comes_back_as_text(cast: Cast, as_user: AsUser, fmt: str) -> None:
    surgery = department_create(acting_user=None, site=cast.rgh, name="+Day Surgery", code="DS")
    case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="phone",
        patient_name='=HYPERLINK("http://evil.example","Open")',
        patient_mrn="@SUM(1,2)",
        issues=[{"category": "safety", "department": surgery, "summary": "Fall"}],
    )
    response = as_user(cast.officer).get(export_url(fmt, view="site"))
    table = csv_table(response) if fmt == "csv" else xlsx_table(response)
    row = dict(zip(table[0], table[1], strict=True))

    assert row["Patient name"] == """'=HYPERLINK("http://evil.example","Open")"""
    assert row["MRN"] == "'@SUM(1,2)"
    assert row["Department"] == "'+Day Surgery"


def test_the_xlsx_has_no_formulas_at_all(cast: Cast, as_user: AsUser) -> None:
    case_open(acting_user=cast.officer, site=cast.rgh, case_type="complaint", channel="phone", patient_name="=1+1")
    data = body(as_user(cast.officer).get(export_url("xlsx", view="site")))
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Cases"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert "<f>" not in xlsx_text(data)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_executive_gets_no_identity_columns_and_no_name_anywhere_in_the_file(
    cast: Cast, world: World, as_user: AsUser, fmt: str
) -> None:
    response = as_user(cast.executive).get(export_url(fmt, view="site", status=""))
    data = body(response)
    text = data.decode("utf-8-sig") if fmt == "csv" else xlsx_text(data)
    table = (
        read_csv(data)
        if fmt == "csv"
        else [[c.value for c in r] for r in openpyxl.load_workbook(io.BytesIO(data))["Cases"].iter_rows()]
    )

    assert table[0] == PUBLIC_HEADER
    assert sorted(references(table)) == sorted(
        [world.closed.reference, world.late_night.reference, world.urgent.reference]
    )
    found = [name for name in IDENTITIES if name in text]
    assert found == []
    assert "Testpatient" not in response["Content-Disposition"]


def test_the_file_name_says_what_it_is_and_the_download_is_not_cached(
    cast: Cast, world: World, as_user: AsUser
) -> None:
    client = as_user(cast.officer)
    for fmt in ("csv", "xlsx"):
        response = client.get(export_url(fmt, view="site"))
        body(response)
        stamp = timezone.localtime(NOW).strftime("%Y%m%d-%H%M")  # the server's time zone (UTC unless set)
        assert response["Content-Disposition"] == f'attachment; filename="liaison-cases-{stamp}.{fmt}"'
        assert "no-store" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"


# -- Who may download what -------------------------------------------------------------------------------

WHO = {
    "officer": (200, ["closed", "late_night", "urgent"]),
    "manager": (200, ["closed", "late_night", "urgent", "restricted"]),
    "executive": (200, ["closed", "late_night", "urgent"]),
    "investigator": (404, []),
    "auditor": (404, []),
    "admin": (404, []),
    "outsider": (200, ["harbor"]),
}


@pytest.mark.parametrize("role", sorted(WHO))
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_person_downloads_exactly_the_cases_the_worklist_shows_them(
    cast: Cast, world: World, as_user: AsUser, role: str, fmt: str
) -> None:
    status, names = WHO[role]
    client = as_user(getattr(cast, role))
    response = client.get(export_url(fmt, view="site", status=""))

    assert response.status_code == status
    before = AuditEvent.objects.filter(action="export.cases").count()
    if status != 200:
        assert before == 0
        return
    table = csv_table(response) if fmt == "csv" else xlsx_table(response)
    assert sorted(references(table)) == sorted(getattr(world, name).reference for name in names)
    listed = worklist_references(client.get(reverse("cases:worklist"), {"view": "site", "status": ""}))
    assert sorted(listed) == sorted(references(table))


def test_someone_signed_out_is_sent_to_sign_in(world: World) -> None:
    response = Client().get(export_url("csv", view="site"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="export.cases").count() == 0


def test_other_formats_are_not_offered(cast: Cast, world: World, as_user: AsUser) -> None:
    client = as_user(cast.officer)
    assert client.get("/insights/exports/cases.pdf").status_code == 404
    assert client.post(export_url("csv")).status_code == 405


# -- Filters and the remembered search -------------------------------------------------------------------

_DETAIL_LINK = re.compile(r'<th scope="row"><a href="[^"]+">([^<]+)</a>')
_DOWNLOAD_LINK = re.compile(r'<a href="([^"]+)">Download (CSV|XLSX)</a>')


def worklist_references(page: HttpResponseBase) -> list[str]:
    assert page.status_code == 200
    return _DETAIL_LINK.findall(page.content.decode())  # type: ignore[attr-defined]


def download_links(page: HttpResponseBase) -> dict[str, str]:
    text = page.content.decode()  # type: ignore[attr-defined]
    return {kind.lower(): html.unescape(href) for href, kind in _DOWNLOAD_LINK.findall(text)}


def filter_combinations(cast: Cast, world: World) -> list[dict[str, str]]:
    return [
        {},
        {"view": "site"},
        {"view": "site", "status": ""},
        {"view": "mine", "status": ""},
        {"view": "unassigned"},
        {"view": "site", "status": "closed"},
        {"view": "site", "status": "new", "case_type": "complaint"},
        {"view": "site", "status": "", "case_type": "concern"},
        {"view": "site", "priority": world.urgent.priority},
        {"view": "site", "status": "", "department": str(cast.ed.pk)},
        {"view": "site", "status": "", "department": str(cast.hpm_er.pk)},  # another site's: ignored, as on the page
        {"view": "site", "due": "overdue"},
        {"view": "site", "due": "on_track"},
        {"view": "site", "status": "not-a-status"},
    ]


@pytest.mark.parametrize("role", ["officer", "manager", "executive", "outsider"])
def test_the_download_links_carry_the_filters_and_give_the_rows_the_page_lists(
    cast: Cast, world: World, as_user: AsUser, role: str
) -> None:
    client = as_user(getattr(cast, role))
    seen = set()
    for params in filter_combinations(cast, world):
        page = client.get(reverse("cases:worklist"), params)
        listed = worklist_references(page)
        links = download_links(page)
        assert set(links) == {"csv", "xlsx"}, params
        assert references(csv_table(client.get(links["csv"]))) == listed, params
        assert references(xlsx_table(client.get(links["xlsx"]))) == listed, params
        seen.add(tuple(listed))
    # The filters did narrow the lists: the comparisons were not all of the same list (Harbor Point has one case).
    assert len(seen) >= (2 if role == "outsider" else 4)


def test_the_links_follow_the_filters_when_the_results_are_swapped_in_place(
    cast: Cast, world: World, as_user: AsUser
) -> None:
    client = as_user(cast.officer)
    fragment = client.get(reverse("cases:worklist"), {"view": "site", "case_type": "concern"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()
    links = download_links(fragment)
    assert references(csv_table(client.get(links["csv"]))) == [world.late_night.reference]
    assert dict(parse_qsl(urlsplit(links["xlsx"]).query, keep_blank_values=True)) == {
        "view": "site",
        "case_type": "concern",
    }


def test_the_filters_choose_the_rows(cast: Cast, world: World, as_user: AsUser) -> None:
    client = as_user(cast.manager)

    def got(**params: str) -> set[str]:
        return set(references(csv_table(client.get(export_url("csv", **params)))))

    assert got() == {world.urgent.reference, world.restricted.reference}  # the manager's own open cases
    assert got(view="site", status="", case_type="concern") == {world.late_night.reference}
    assert got(view="site", status="closed") == {world.closed.reference}
    assert got(view="site", status="", department=str(cast.cardiology.pk)) == {
        world.closed.reference,
        world.restricted.reference,
    }


def _search(client: Client, words: str, **filters: str) -> tuple[HttpResponseBase, str]:
    response = client.post(reverse("cases:worklist"), {"view": "site", "status": "", **filters, "q": words})
    assert response.status_code == 302
    query = dict(parse_qsl(urlsplit(response["Location"]).query, keep_blank_values=True))
    return client.get(response["Location"]), query["search"]


def test_a_remembered_search_narrows_the_download_as_it_narrows_the_page(
    cast: Cast, world: World, as_user: AsUser
) -> None:
    client = as_user(cast.officer)
    page, search_id = _search(client, "Cara Testpatient")
    assert worklist_references(page) == [world.late_night.reference]
    links = download_links(page)
    assert f"search={search_id}" in links["csv"]
    assert "Cara" not in links["csv"] + links["xlsx"]

    assert references(csv_table(client.get(links["csv"]))) == [world.late_night.reference]
    assert references(xlsx_table(client.get(links["xlsx"]))) == [world.late_night.reference]

    page, _ = _search(client, "Testpatient", case_type="complaint")
    listed = worklist_references(page)
    assert sorted(listed) == sorted([world.closed.reference, world.urgent.reference])
    assert references(csv_table(client.get(download_links(page)["csv"]))) == listed


def test_an_executives_search_by_name_finds_nothing_on_the_page_or_in_the_file(
    cast: Cast, world: World, as_user: AsUser
) -> None:
    client = as_user(cast.executive)
    page, _ = _search(client, "Cara Testpatient")
    assert worklist_references(page) == []
    assert references(csv_table(client.get(download_links(page)["csv"]))) == []


def test_an_expired_or_foreign_search_downloads_nothing(cast: Cast, world: World, as_user: AsUser) -> None:
    _, search_id = _search(as_user(cast.officer), "Cara Testpatient")
    other = as_user(cast.officer)  # another browser: the search lives in the first one's session only

    response = other.get(export_url("csv", view="site", status="", search=search_id))

    assert response.status_code == 410
    assert "That search has expired" in response.content.decode()
    assert world.closed.reference not in response.content.decode()
    assert AuditEvent.objects.filter(action="export.cases").count() == 0


# -- The audit trail -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_download_is_audited_without_patient_data(cast: Cast, world: World, as_user: AsUser, fmt: str) -> None:
    client = as_user(cast.officer)
    page, _ = _search(client, "Cara Testpatient")
    body(client.get(download_links(page)[fmt]))

    event = AuditEvent.objects.get(action="export.cases")
    assert event.actor == cast.officer
    assert event.object_type == "cases.case"
    assert event.details == {
        "format": fmt,
        "via": "worklist",
        "filters": {
            "view": "site",
            "case_type": "",
            "status": "",
            "priority": "",
            "department": None,
            "due": "",
            "with": "",
        },
        "search": True,
        "identity": True,
        "rows": 1,
    }
    written = json.dumps(event.details) + event.object_id
    assert [name for name in [*IDENTITIES, "Cara", "Testpatient"] if name in written] == []


def test_an_executives_download_is_audited_as_without_identities(cast: Cast, world: World, as_user: AsUser) -> None:
    body(as_user(cast.executive).get(export_url("xlsx", status="")))
    event = AuditEvent.objects.get(action="export.cases")
    assert event.actor == cast.executive
    assert event.details["identity"] is False
    assert event.details["rows"] == 3
    assert event.details["filters"]["view"] == "site"  # an executive's worklist starts at the whole site


def test_the_export_reads_issues_once_per_chunk_not_once_per_case(cast: Cast, world: World, as_user: AsUser) -> None:
    client = as_user(cast.manager)

    def queries(**params: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            table = csv_table(client.get(export_url("csv", **params)))
        return len(table) - 1, len(captured)

    one_row, few = queries(view="site", status="closed")
    four_rows, many = queries(view="site", status="")
    assert (one_row, four_rows) == (1, 4)
    assert few == many


# -- The command line ------------------------------------------------------------------------------------


def test_the_command_writes_every_case_of_the_site_without_identities(
    cast: Cast, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cases.csv"

    call_command("export", "cases", "--site", "rgh", "--format", "csv", "--out", str(out))

    data = out.read_bytes()
    table = read_csv(data)
    assert table[0] == PUBLIC_HEADER
    # Oldest received first; the system sees the restricted case too, but never another site's.
    assert references(table) == [
        world.closed.reference,
        world.restricted.reference,
        world.late_night.reference,
        world.urgent.reference,
    ]
    assert [name for name in IDENTITIES if name in data.decode("utf-8-sig")] == []
    assert out.stat().st_mode & 0o077 == 0  # it may hold patient data: its owner's only
    assert list(tmp_path.iterdir()) == [out]
    assert capsys.readouterr().out.strip() == f"Wrote 4 cases to {out}."

    event = AuditEvent.objects.get(action="export.cases")
    assert event.actor is None
    assert event.site == cast.rgh
    assert event.details == {
        "via": "command line",
        "format": "csv",
        "filters": {"site": "RGH", "status": "", "type": "", "from": "", "to": ""},
        "identity": False,
        "rows": 4,
    }


def test_the_command_filters_by_status_type_and_site_local_days(cast: Cast, world: World, tmp_path: Path) -> None:
    out = tmp_path / "cases.xlsx"

    def run(*args: str) -> list[list[Any]]:
        call_command("export", "cases", "--site", "RGH", "--format", "xlsx", "--out", str(out), *args)
        return [[c.value for c in r] for r in openpyxl.load_workbook(out)["Cases"].iter_rows()]

    table = run("--identity", "--status", "open", "--type", "complaint")
    assert table[0] == HEADER
    assert references(table) == [world.restricted.reference, world.urgent.reference]
    assert table[1][HEADER.index("Patient name")] == "Eli Hiddenpatient"

    # 00:30 on 1 April in London is 23:30 on 31 March in UTC: April's, by the site's calendar.
    assert references(run("--from", "2026-03-31", "--to", "2026-03-31")) == [world.late_night.reference]
    assert references(run("--from", "2026-04-01")) == [world.urgent.reference]
    assert references(run("--status", "closed", "--to", "2026-01-02")) == [world.closed.reference]
    assert references(run("--type", "compliment")) == []

    events = AuditEvent.objects.filter(action="export.cases").order_by("id")
    assert [e.details["rows"] for e in events] == [2, 1, 1, 1, 0]
    assert events[0].details["identity"] is True
    assert events[0].details["filters"] == {
        "site": "RGH",
        "status": "open",
        "type": "complaint",
        "from": "",
        "to": "",
    }
    assert events[1].details["filters"]["from"] == "2026-03-31"


def test_liaison_export_cases_runs_the_command(cast: Cast, world: World, tmp_path: Path) -> None:
    out = tmp_path / "harbor.csv"
    assert cli.main(["export", "cases", "--site", "HPM", "--format", "csv", "--out", str(out)]) == 0
    assert references(read_csv(out.read_bytes())) == [world.harbor.reference]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--site", "XYZ"], "No site has the code 'XYZ' (known: HPM, RGH)."),
        (["--from", "2026-02-30"], "--from must be a date written YYYY-MM-DD, not '2026-02-30'."),
        (["--to", "31/03/2026"], "--to must be a date written YYYY-MM-DD, not '31/03/2026'."),
        (["--from", "2026-04-02", "--to", "2026-04-01"], "--from is after --to."),
        (["--format", "pdf"], "--format must be csv or xlsx, not 'pdf'."),
        (["--status", "lost"], "--status must be open or one of new, acknowledged,"),
        (["--type", "rant"], "--type must be one of concern, complaint,"),
        (
            ["--out", "/no/such/folder/cases.csv"],
            "Cannot write to /no/such/folder/cases.csv: No such file or directory.",
        ),
        (["--out", "{tmp}"], "is a folder; name a file in it."),
    ],
)
def test_the_command_explains_what_is_wrong_and_writes_nothing(
    cast: Cast, world: World, tmp_path: Path, args: list[str], message: str
) -> None:
    options = {"--site": "RGH", "--format": "csv", "--out": str(tmp_path / "cases.csv")}
    given = dict(zip(args[::2], [a.replace("{tmp}", str(tmp_path)) for a in args[1::2]], strict=True))
    argv = [item for pair in {**options, **given}.items() for item in pair]

    with pytest.raises(CommandError) as refused:
        call_command("export", "cases", *argv)

    assert message in str(refused.value)
    assert list(tmp_path.iterdir()) == []
    assert AuditEvent.objects.filter(action="export.cases").count() == 0


def test_the_liaison_command_prints_the_error_and_fails(
    cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        cli.main(["export", "cases", "--site", "NOPE", "--format", "csv", "--out", str(tmp_path / "x.csv")])
    assert ended.value.code == 1
    assert "No site has the code 'NOPE'" in capsys.readouterr().err


# -- Memory ----------------------------------------------------------------------------------------------

_ONE_CHUNK = 2000  # rows the export reads at a time; memory should stop growing beyond it


def _many_cases(cast: Cast, *, concerns: int, complaints: int) -> None:
    """One case through the service, then copies of it in bulk: the service takes ~10 ms a case."""
    first = case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="concern",
        channel="phone",
        owner=cast.officer,
        patient_name="Ada Testpatient",
        patient_mrn="RGH0000001",
        issues=[
            {"category": "communication", "department": cast.ed, "summary": "Call bell"},
            {"category": "safety", "department": cast.cardiology, "summary": "Wrong dose"},
        ],
    )
    fields = {f.attname: getattr(first, f.attname) for f in Case._meta.concrete_fields if f.attname != "id"}
    kinds = ["concern"] * (concerns - 1) + ["complaint"] * complaints
    copies = Case.objects.bulk_create(
        [Case(**{**fields, "reference": f"RGH-2026-C{i:06d}", "case_type": kind}) for i, kind in enumerate(kinds)],
        batch_size=1000,
    )
    issues = list(first.issues.all())
    Issue.objects.bulk_create(
        [
            Issue(case=copy, category=issue.category, department_id=issue.department_id, summary=issue.summary)
            for copy in copies
            for issue in issues
        ],
        batch_size=2000,
    )


def _peak_while_downloading(client: Client, url: str) -> tuple[int, int]:
    """The most memory Python held while the view ran and its response was read (written to disk, not kept)."""
    tracemalloc.start()
    try:
        response = client.get(url)
        assert response.status_code == 200
        with tempfile.TemporaryFile() as sink:
            for chunk in response.streaming_content:  # type: ignore[attr-defined]
                sink.write(chunk)
            size = sink.tell()
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_three_times_the_cases_take_about_the_same_memory(cast: Cast, as_user: AsUser, fmt: str) -> None:
    """2,000 cases (one chunk) against 6,000 (three): a whole-list export would need three times the memory.

    Below one chunk memory does grow with the rows (a chunk is held while its issues are read), so both sizes
    are at least one chunk: that is where "constant" must hold, up to a million rows.
    """
    _many_cases(cast, concerns=_ONE_CHUNK, complaints=2 * _ONE_CHUNK)
    client = as_user(cast.officer)
    fewer = export_url(fmt, view="site", case_type="concern")
    more = export_url(fmt, view="site")
    # First use, of an empty list: imports and caches, which are not the export's.
    _peak_while_downloading(client, export_url(fmt, view="unassigned"))

    small_peak, small_size = _peak_while_downloading(client, fewer)
    large_peak, large_size = _peak_while_downloading(client, more)

    assert large_size > 2.5 * small_size  # three times the rows did go out
    assert large_peak < 1.25 * small_peak, (small_peak, large_peak)
    newest = AuditEvent.objects.filter(action="export.cases").latest("id")
    assert newest.details["rows"] == 3 * _ONE_CHUNK
