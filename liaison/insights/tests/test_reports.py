"""The board report, the reports page and the ``liaison report`` command, on cases built through the services.

Riverside (RGH) is an English site in Europe/London; Harbor Point (HPM) a US site in America/New_York. Every
report is read at NOW, 15 April 2026. Each number is checked twice: against the measure it comes from
(``MEASURES``) and against a value worked out by hand here, in the PDF text, the CSV cells and the XLSX cells.
The worlds built here are used by ``test_reports_returns.py`` too.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import QuerySet
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from conftest import Cast
from liaison.accounts.models import User
from liaison.accounts.services import user_create
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case
from liaison.cases.selectors import cases_for_user
from liaison.cases.services import (
    case_acknowledge,
    case_open,
    case_record_findings,
    case_record_interim_notice,
    case_record_response,
    case_refer_externally,
    case_resolve_informally,
    case_start_investigation,
    case_withdraw,
)
from liaison.feedback import tallies
from liaison.feedback.models import FeedbackResponse
from liaison.improvement.models import ActionStatus
from liaison.improvement.services import action_complete, action_create, action_set_status
from liaison.insights.measures import MEASURES, Period
from liaison.insights.reports.base import ReportInput
from liaison.insights.reports.board import TARGETS, notable_cases
from liaison.insights.reports.produce import ReportFile, report_produce, report_source
from liaison.lib.pdf import PDF_MISSING_REASON, pdf_available
from liaison.lib.tables import read_csv

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 4, 15, 11, 0, tzinfo=UTC)
JANUARY = Period.month(2026, 1)
FY = Period(date(2025, 4, 1), date(2026, 3, 31))

needs_pdf = pytest.mark.skipif(not pdf_available(), reason=PDF_MISSING_REASON)

# Every person named in the worlds below; no report for wide circulation may carry any of these.
PATIENT_NAMES = (
    "Okafor",
    "Benjamin Okoro",
    "Grace Okoro",
    "Chidi Eze",
    "Neville Neighbour",
    "Dora Dlamini",
    "Eli Evans",
    "Fatima Farah",
    "Kofi Mensah",
    "Maria Lopez",
    "Patel",
)


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def london(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def new_york(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


# -- Reading the three formats back --------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    """The text of every page, with runs of spaces and line breaks (where a cell wraps) as one space."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def xlsx_sheets(content: bytes) -> dict[str, list[list[Any]]]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets}


def csv_tables(content: bytes) -> dict[str, list[list[str]]]:
    """The concatenated CSV split back into its tables: title line, header, rows, blank line."""
    lines = read_csv(content)
    tables: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for line in lines[2:]:
        if not line:
            current = None
        elif current is None:
            current = tables.setdefault(line[0], [])
        else:
            current.append(line)
    return tables


def rows_by_first(rows: list[list[Any]]) -> dict[Any, list[Any]]:
    return {row[0]: row for row in rows[1:]}


def produce(user: User | None, kind: str, site: Any, period: Period, fmt: str, table: str = "") -> ReportFile:
    with at(NOW):
        return report_produce(acting_user=user, kind=kind, site=site, period=period, fmt=fmt, table=table)


# -- The England world ---------------------------------------------------------------------------------------


@dataclass
class England:
    k0: Case  # Jan 2025, answered 20 May 2025 (upheld): brought forward into 2025-26 and resolved in it
    k1: Case  # Mar 2025, never answered: brought forward and carried forward
    d1: Case  # Dec 2025, answered 30 Dec, not upheld
    d2: Case  # Dec 2025, still open
    c1: Case  # Jan 2026, two issues (ED communication, CARD clinical), answered on time, upheld, learning with names
    c2: Case  # Jan 2026, a child; complaint by his mother; acknowledged late; partly upheld in February
    c3: Case  # Jan 2026, high priority, by a neighbour, still open
    c4: Case  # Jan 2026, answered 2 Feb, not upheld, then referred to the ombudsman on 2 Mar
    c5: Case  # Jan 2026, withdrawn on 10 Feb
    g: Case  # Jan 2026, a concern resolved at first contact
    e: Case  # Jan 2026, a compliment
    f1: Case  # Mar 2026, answered 20 Mar, unable to investigate


def complaint(cast: Cast, when: datetime, *issues: tuple[str, str, str, Any], **fields: Any) -> Case:
    values: dict[str, Any] = {
        "acting_user": cast.officer,
        "site": cast.rgh,
        "case_type": "complaint",
        "channel": "phone",
        "account": "The call bell was not answered for an hour.",
    }
    values.update(fields)
    specs = [
        {"category": cat, "stage_of_care": stage, "staff_group": group, "department": dept, "summary": f"About {cat}"}
        for cat, stage, group, dept in issues
    ]
    with at(when):
        return case_open(received_at=when, issues=specs, **values)


def acknowledge(cast: Cast, case: Case, when: datetime) -> None:
    with at(when):
        case_acknowledge(acting_user=cast.officer, case=case)


def answer(cast: Cast, case: Case, when: datetime, outcome: str, learning: str = "") -> None:
    with at(when):
        case_record_response(acting_user=cast.officer, case=case)
        case_record_findings(
            acting_user=cast.officer,
            case=case,
            issue_findings={},
            outcome=outcome,
            how_considered="We read the notes and spoke to the staff.",
            learning=learning,
        )


LEARNING = (
    "Mrs Okafor told Dr Patel that the call bell went unanswered; staff on the ward now check call bells "
    "hourly. Write to ada.okafor@example.com."
)


def build_england(cast: Cast) -> England:
    ed, card = cast.ed, cast.cardiology
    k0 = complaint(cast, london(2025, 1, 10), ("quality", "examination_diagnosis", "medical", card))
    acknowledge(cast, k0, london(2025, 1, 13))
    answer(cast, k0, london(2025, 5, 20), "upheld")
    k1 = complaint(cast, london(2025, 3, 20), ("communication", "ward_care", "nursing", ed))
    acknowledge(cast, k1, london(2025, 3, 21))

    d1 = complaint(
        cast, london(2025, 12, 3), ("communication", "ward_care", "nursing", ed), patient_dob=date(1940, 5, 5)
    )
    acknowledge(cast, d1, london(2025, 12, 4))
    answer(cast, d1, london(2025, 12, 30), "not_upheld")
    d2 = complaint(cast, london(2025, 12, 15), ("environment", "ward_care", "administrative", card))
    acknowledge(cast, d2, london(2025, 12, 16))

    c1 = complaint(
        cast,
        london(2026, 1, 5),
        ("communication", "ward_care", "nursing", ed),
        ("quality", "examination_diagnosis", "medical", card),
        channel="letter",
        patient_name="Ada Okafor",
        patient_dob=date(1950, 6, 1),
        patient_email="ada.okafor@example.com",
    )
    acknowledge(cast, c1, london(2026, 1, 6))
    answer(cast, c1, london(2026, 1, 20), "upheld", LEARNING)
    c2 = complaint(
        cast,
        london(2026, 1, 7),
        ("safety", "operation_procedure", "medical", card),
        patient_name="Benjamin Okoro",
        patient_dob=date(2015, 3, 10),
        complainant_is_patient=False,
        complainant_name="Grace Okoro",
        complainant_relationship="Mother",
        consent_method="written",
    )
    acknowledge(cast, c2, london(2026, 1, 15))
    answer(cast, c2, london(2026, 2, 10), "partly_upheld")
    c3 = complaint(
        cast,
        london(2026, 1, 12),
        ("environment", "ward_care", "administrative", ed),
        patient_name="Chidi Eze",
        complainant_is_patient=False,
        complainant_name="Neville Neighbour",
        complainant_relationship="neighbour",
        consent_method="written",
        risk_consequence=4,
        risk_likelihood=3,
    )
    acknowledge(cast, c3, london(2026, 1, 13))
    c4 = complaint(
        cast,
        london(2026, 1, 20),
        ("respect_rights", "ward_care", "nursing", ed),
        patient_name="Dora Dlamini",
        patient_dob=date(1980, 2, 1),
    )
    acknowledge(cast, c4, london(2026, 1, 21))
    answer(cast, c4, london(2026, 2, 2), "not_upheld")
    with at(london(2026, 3, 2)):
        case_refer_externally(acting_user=cast.officer, case=c4, body="ombudsman", referred_on=date(2026, 3, 2))
    c5 = complaint(
        cast,
        london(2026, 1, 25),
        ("institutional_processes", "admissions", "administrative", card),
        patient_name="Eli Evans",
        patient_dob=date(1990, 1, 1),
    )
    acknowledge(cast, c5, london(2026, 1, 26))
    with at(london(2026, 2, 10)):
        case_withdraw(acting_user=cast.officer, case=c5, reason="The complainant no longer wishes to go on.")
    g = complaint(cast, london(2026, 1, 22), case_type="concern", channel="in_person", patient_name="Fatima Farah")
    with at(london(2026, 1, 22, 10, 30)):
        case_resolve_informally(acting_user=cast.officer, case=g, outcome="resolved_first_contact", note="Sorted.")
    e = complaint(cast, london(2026, 1, 10), case_type="compliment", channel="web_form", patient_name="Kofi Mensah")
    f1 = complaint(cast, london(2026, 3, 2), ("listening", "other", "other", ed), patient_dob=date(2010, 5, 5))
    acknowledge(cast, f1, london(2026, 3, 3))
    answer(cast, f1, london(2026, 3, 20), "unable")
    return England(k0, k1, d1, d2, c1, c2, c3, c4, c5, g, e, f1)


def build_actions(cast: Cast) -> None:
    def action(what: str, due: date, theme: str) -> Any:
        with at(london(2025, 12, 1)):
            return action_create(
                acting_user=cast.manager,
                site=cast.rgh,
                what=what,
                why="Complaints about call bells.",
                owner=cast.officer,
                due_date=due,
                theme=theme,
                department=cast.ed,
            )

    done_in_january = action("Apologise to Mrs Okafor and retrain ward staff on call bells", date(2026, 1, 15), "Bells")
    with at(london(2026, 1, 20)):
        action_complete(acting_user=cast.manager, action=done_in_january, evidence="Training log.", public=False)
    action("Check call bells hourly on every ward", date(2026, 1, 25), "Bells")  # due in January, not done
    late = action("Put a clock in the waiting room", date(2026, 1, 10), "Waiting")  # done in February: due then
    with at(london(2026, 2, 5)):
        action_complete(acting_user=cast.manager, action=late, evidence="Photo of the clock.", public=False)
    action("Review the discharge leaflet", date(2026, 2, 28), "Discharge")  # due after January
    dropped = action("Buy new chairs", date(2026, 1, 5), "")
    with at(london(2025, 12, 20)):
        action_set_status(acting_user=cast.manager, action=dropped, status=ActionStatus.CANCELLED)


def build_feedback(cast: Cast) -> None:
    """Analysed answers, as the theme model leaves them (the model is tested with the feedback app)."""

    def answers(day: date, themes: list[str], count: int) -> None:
        for n in range(count):
            FeedbackResponse.objects.create(site=cast.rgh, received_on=day, themes=themes, comment=f"Answer {n}")

    answers(date(2026, 1, 12), ["Staff manner & personal attributes"], 6)
    answers(date(2026, 1, 20), ["Discharge"], 2)
    answers(date(2026, 1, 21), ["Not assigned"], 3)
    answers(date(2026, 2, 3), ["Discharge"], 9)  # February's: not in January's report
    tallies.rebuild()  # rows written directly: count them as the services would have


@pytest.fixture
def england(cast: Cast) -> Iterator[England]:
    world = build_england(cast)
    build_actions(cast)
    build_feedback(cast)
    with at(NOW):
        yield world


# -- The Harbor Point world ----------------------------------------------------------------------------------


@dataclass
class Harbor:
    manager: User  # a manager at Harbor Point
    u1: Case  # 23:30 on 31 January New York time; interim notice; answered within the follow-up; State referral
    u2: Case  # answered within 7 days, then referred to the QIO
    u3: Case  # nothing done


@pytest.fixture
def harbor(cast: Cast) -> Iterator[Harbor]:
    officer = cast.outsider  # an officer at Harbor Point
    manager = user_create(
        acting_user=None,
        email="manager@hpm.example",
        full_name="Hal Harbor",
        password="correct horse battery staple 7",
        roles=["manager"],
        sites=[cast.hpm],
    )

    def grievance(when: datetime, channel: str, name: str) -> Case:
        with at(when):
            return case_open(
                acting_user=officer,
                site=cast.hpm,
                case_type="complaint",
                channel=channel,
                received_at=when,
                patient_name=name,
            )

    u1 = grievance(new_york(2026, 1, 31, 23, 30), "letter", "Maria Lopez")
    with at(new_york(2026, 2, 6, 12)):
        case_record_interim_notice(
            acting_user=officer, case=u1, sent_at=new_york(2026, 2, 6, 12), followup_within_days=14
        )
        case_start_investigation(acting_user=officer, case=u1)
    with at(new_york(2026, 2, 18, 12)):
        case_record_response(acting_user=officer, case=u1, written_notice=True)
    with at(new_york(2026, 2, 25, 12)):
        case_refer_externally(acting_user=officer, case=u1, body="state_agency", referred_on=date(2026, 2, 25))
    u2 = grievance(new_york(2026, 1, 5), "email", "Kofi Mensah")
    with at(new_york(2026, 1, 6)):
        case_start_investigation(acting_user=officer, case=u2)
    with at(new_york(2026, 1, 9)):
        case_record_response(acting_user=officer, case=u2, written_notice=True)
    with at(new_york(2026, 1, 20)):
        case_refer_externally(acting_user=officer, case=u2, body="qio", referred_on=date(2026, 1, 20))
    u3 = grievance(new_york(2026, 1, 10), "phone", "Eli Evans")
    with at(NOW):
        yield Harbor(manager, u1, u2, u3)


def rgh_scope(cast: Cast, user: User) -> QuerySet[Case]:
    return cases_for_user(user=user).filter(site=cast.rgh)


# -- The board report ----------------------------------------------------------------------------------------


def test_the_board_report_s_measures_are_the_measures_worked_out_by_hand(cast: Cast, england: England) -> None:
    scope = rgh_scope(cast, cast.manager)
    # January: C1-C5, the concern G and the compliment E = 7. December: D1, D2 = 2. January 2025: K0 = 1.
    assert MEASURES["received"].value(scope, JANUARY) == 7
    assert MEASURES["received"].value(scope, Period.month(2025, 12)) == 2
    assert MEASURES["received"].value(scope, Period.month(2025, 1)) == 1
    # Acknowledged within 3 working days: C1 (due Thu 8), C3 (due Thu 15), C4 (due Fri 23), C5 (received Sun 25,
    # due Wed 28) on time; C2 (received Wed 7, due Mon 12, acknowledged Thu 15) late. 4 of 5 = 80.0%.
    assert MEASURES["acknowledged_on_time"].value(scope, JANUARY) == 80.0
    # Responses within 25 working days: C1 (20 Jan), C2 (10 Feb, due 11 Feb), C4 (2 Feb) on time; C3 unanswered
    # past 16 Feb: late; C5 withdrawn on 10 Feb before its due day: left out. 3 of 4 = 75.0%.
    assert MEASURES["responded_on_time"].value(scope, JANUARY) == 75.0

    produced = produce(cast.manager, "board", cast.rgh, JANUARY, "xlsx")
    sheets = xlsx_sheets(produced.content)
    measures = rows_by_first(sheets["Measures"])
    assert sheets["Measures"][0][:7] == [
        "Measure",
        "Unit",
        "This period",
        "Period before",
        "Same period last year",
        "Target (%)",
        "Against target",
    ]
    received = measures[MEASURES["received"].name]
    assert received[2:5] == [7, "<5", "<5"]  # 7; December's 2 and last January's 1 are small counts
    acknowledged = measures[MEASURES["acknowledged_on_time"].name]
    assert acknowledged[2] == MEASURES["acknowledged_on_time"].value(scope, JANUARY) == 80.0
    assert acknowledged[5:7] == [TARGETS["acknowledged_on_time"], "Not met"]
    responded = measures[MEASURES["responded_on_time"].name]
    assert responded[2] == 75.0 and responded[5:7] == [90.0, "Not met"]
    # One upheld (C1), one partly (C2), one not upheld (C4) in January: each shown as "<5", never as 1.
    for key in ("upheld", "partly_upheld", "not_upheld"):
        assert MEASURES[key].value(scope, JANUARY) == 1
        assert measures[MEASURES[key].name][2] == "<5"
    # Open now, whatever the period: answered but not closed K0, D1, C1, C2, F1; acknowledged K1, D2, C3; the new
    # compliment E = 9 (C4 was referred, C5 withdrawn, G resolved). No comparison for a count of this moment.
    assert MEASURES["open_now"].value(scope, JANUARY) == 9
    assert measures[MEASURES["open_now"].name][2:5] == [9, "—", "—"]
    assert measures[MEASURES["received"].name][7] == MEASURES["received"].definition


def test_the_board_report_s_trend_themes_notable_cases_and_actions(cast: Cast, england: England) -> None:
    x = england
    produced = produce(cast.manager, "board", cast.rgh, JANUARY, "csv")
    tables = csv_tables(produced.content)
    trend = rows_by_first(tables["Received and on time, by month"])
    assert list(trend) == [f"{m:%b %Y}" for m in (date(2025, n, 1) for n in range(2, 13))] + ["Jan 2026"]
    assert trend["Jan 2026"][1:] == ["7", "80.0", "75.0"]
    assert trend["Dec 2025"][1] == "<5" and trend["Mar 2025"][1] == "<5" and trend["Jun 2025"][1] == "0"
    # HCAT categories of January's cases: six categories, one case each (C1 has two); none large enough to show.
    categories = tables["Top HCAT categories"][1:]
    assert len(categories) == 5 and all(count == "<5" for _, count in categories)
    # Feedback received in January: 6 on staff manner, 2 on discharge; "Not assigned" and February's left out.
    assert tables["Top feedback themes"][1:] == [["Staff manner & personal attributes", "6"], ["Discharge", "<5"]]
    # Notable: C3 (high priority, received in January) then C1 (answered in January, upheld); C2 was answered in
    # February. The learning keeps what was learned and loses the people.
    assert [c.reference for c in notable_cases(_source(cast, cast.manager))] == [x.c3.reference, x.c1.reference]
    notable = tables["Notable cases"]
    assert notable[0] == ["Reference", "Type", "HCAT categories", "Outcome", "Learning"]
    assert [row[0] for row in notable[1:]] == [x.c3.reference, x.c1.reference]
    c1_row = notable[2]
    assert c1_row[2:4] == ["Communication (relationships); Quality (clinical)", "Upheld"]
    assert "check call bells hourly" in c1_row[4]
    assert "Okafor" not in c1_row[4] and "Patel" not in c1_row[4] and "@" not in c1_row[4]
    # Actions: one done in January; two due by its end and not done then (one done later, in February).
    headlines = rows_by_first(tables["Improvement actions: headline numbers"])
    assert headlines["Completed this period"][1] == "<5"
    completed = tables["Improvement actions completed"][1:]
    assert [row[0] for row in completed] == ["Apologise to [name] and retrain ward staff on call bells"]
    due = tables["Improvement actions due and not done"][1:]
    assert [row[0] for row in due] == ["Put a clock in the waiting room", "Check call bells hourly on every ward"]


def _source(cast: Cast, user: User) -> ReportInput:
    return report_source(user=user, site=cast.rgh, period=JANUARY, now=NOW)


@needs_pdf
def test_the_board_report_pdf_prints_the_same_numbers(cast: Cast, england: England) -> None:
    produced = produce(cast.manager, "board", cast.rgh, JANUARY, "pdf")
    assert produced.content.startswith(b"%PDF") and produced.content_type == "application/pdf"
    text = pdf_text(produced.content)
    assert "Board report" in text and "Riverside General Hospital (RGH)" in text
    assert "1 January 2026 to 31 January 2026" in text
    assert f"{MEASURES['acknowledged_on_time'].name} % 80.0 100.0 100.0 95.0 Not met" in text
    assert "<5" in text and england.c1.reference in text and "check call bells hourly" in text
    assert produced.filename == "board-RGH-2026-01-01-to-2026-01-31.pdf"


def test_a_single_csv_table_can_be_chosen(cast: Cast, england: England) -> None:
    produced = produce(cast.manager, "board", cast.rgh, JANUARY, "csv", table="trend")
    rows = read_csv(produced.content)
    assert rows[0] == ["Month", "Cases received", "Acknowledged within the target (%)", "Responded on time (%)"]
    assert rows[-1] == ["Jan 2026", "7", "80.0", "75.0"]
    assert produced.filename == "board-RGH-2026-01-01-to-2026-01-31-trend.csv"


def test_the_us_board_report_uses_the_interim_notice_measure(cast: Cast, harbor: Harbor) -> None:
    scope = cases_for_user(user=harbor.manager).filter(site=cast.hpm)
    produced = produce(harbor.manager, "board", cast.hpm, JANUARY, "xlsx")
    measures = rows_by_first(xlsx_sheets(produced.content)["Measures"])
    interim = measures[MEASURES["interim_notice_on_time"].name]
    # U1 notice 6 Feb (due 7 Feb), U2 answered 9 Jan (due 12 Jan): on time; U3 nothing by 17 Jan: 2 of 3.
    assert interim[2] == MEASURES["interim_notice_on_time"].value(scope, JANUARY) == 66.7
    assert MEASURES["acknowledged_on_time"].name not in measures
    assert measures[MEASURES["referred_qio"].name][2] == "<5"


# -- Who sees what -------------------------------------------------------------------------------------------


def _names_in(content: bytes, fmt: str) -> list[str]:
    if fmt == "pdf":
        text = pdf_text(content)
    elif fmt == "xlsx":
        text = " ".join(str(cell) for rows in xlsx_sheets(content).values() for row in rows for cell in row)
    else:
        text = content.decode("utf-8-sig")
    return [name for name in PATIENT_NAMES if name in text]


@needs_pdf
def test_an_executive_gets_the_board_report_and_never_a_patient_name(cast: Cast, england: England, as_user) -> None:
    client = as_user(cast.executive)
    for kind in ("board", "ko41a", "annual", "grievance-log", "cqc"):
        for fmt in ("pdf", "csv", "xlsx"):
            query = {"kind": kind, "site": "RGH", "from": "2026-01-01", "to": "2026-01-31", "format": fmt}
            response = client.get(reverse("insights:report_download"), query)
            if kind != "board":
                assert response.status_code == 404, (kind, fmt)  # the returns are for managers
                continue
            assert response.status_code == 200, (kind, fmt)
            assert _names_in(response.content, fmt) == [], fmt
    # The same report as the manager gets it: the names are in the data, so their absence above means something.
    assert Case.objects.filter(patient_name__contains="Okafor").exists()
    assert "Okafor" in england.c1.learning


def test_an_officer_at_another_site_cannot_read_riverside_s_reports(cast: Cast, england: England, as_user) -> None:
    client = as_user(cast.outsider)
    for kind in ("board", "ko41a", "annual", "grievance-log", "cqc"):
        query = {"kind": kind, "site": "RGH", "format": "csv"}
        assert client.get(reverse("insights:report_download"), query).status_code == 404, kind
    assert not AuditEvent.objects.filter(action="report.download").exists()
    # Their own site's board report they may have.
    response = client.get(reverse("insights:report_download"), {"kind": "board", "site": "HPM", "format": "csv"})
    assert response.status_code == 200
    assert AuditEvent.objects.get(action="report.download").details["site"] == "HPM"


def test_the_reports_page_offers_each_person_what_they_may_produce(cast: Cast, as_user) -> None:
    page = as_user(cast.manager).get(reverse("insights:reports"))
    assert page.status_code == 200
    text = page.content.decode()
    for title in ("Board report", "KO41a return", "Annual complaints report", "CQC regulation 16"):
        assert title in text
    assert "Grievance log" not in text  # a US return; the manager works at an English site only
    assert 'action="/insights/reports/download/"' in text and 'method="get"' in text
    executive = as_user(cast.executive).get(reverse("insights:reports")).content.decode()
    assert "Board report" in executive and "KO41a return" not in executive
    for who in ("investigator", "auditor", "admin"):
        assert as_user(getattr(cast, who)).get(reverse("insights:reports")).status_code == 404, who
    viewed = AuditEvent.objects.filter(action="report.view").order_by("id")
    assert [event.actor for event in viewed] == [cast.manager, cast.executive]


def test_a_download_is_audited_with_what_was_asked_and_no_patient_data(cast: Cast, england: England, as_user) -> None:
    client = as_user(cast.manager)
    query = {"kind": "board", "site": "RGH", "from": "2026-01-01", "to": "2026-01-31", "format": "xlsx"}
    with at(NOW):
        response = client.get(reverse("insights:report_download"), query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == 'attachment; filename="board-RGH-2026-01-01-to-2026-01-31.xlsx"'
    event = AuditEvent.objects.get(action="report.download")
    assert event.actor == cast.manager and event.site == cast.rgh
    assert event.object_type == "report" and event.object_id == "board"
    assert event.details == {"kind": "board", "site": "RGH", "period": "2026-01-01/2026-01-31", "format": "xlsx"}


def test_without_dates_a_report_covers_its_usual_period(cast: Cast, england: England, as_user) -> None:
    client = as_user(cast.manager)
    with at(NOW):
        board = client.get(reverse("insights:report_download"), {"kind": "board", "site": "RGH", "format": "csv"})
        cqc = client.get(reverse("insights:report_download"), {"kind": "cqc", "site": "RGH", "format": "csv"})
    # On 15 April 2026: the last full month is March 2026, the last financial year 2025-26.
    assert "board-RGH-2026-03-01-to-2026-03-31.csv" in board["Content-Disposition"]
    assert "cqc-RGH-2026-03-01-to-2026-03-31.csv" in cqc["Content-Disposition"]
    with at(NOW):
        annual = client.get(reverse("insights:report_download"), {"kind": "annual", "site": "RGH", "format": "csv"})
    assert "annual-RGH-2025-04-01-to-2026-03-31.csv" in annual["Content-Disposition"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "must end on or after its first day"),
        ({"from": "2026-02-01"}, "Give both dates"),
        ({"from": "0001-01-01", "to": "2026-01-01"}, "Choose dates between"),
        ({"from": "2010-01-01", "to": "2026-01-01"}, "five years at most"),
        ({"format": "docx"}, "Select a valid choice"),
        ({"kind": "horoscope"}, "Select a valid choice"),
        ({"format": "xlsx", "table": "trend"}, "for CSV only"),
        ({"kind": "grievance-log"}, "Select a valid choice"),  # not offered: no site of theirs is a US one
        ({"table": "nonsense"}, "has no table &#x27;nonsense&#x27;"),
        ({"table": "x" * 100_000}, "Ensure this value has at most 40 characters"),
        ({"table": "trend\x00"}, "Null characters are not allowed"),
        ({"kind": "board\x00"}, "Select a valid choice"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "Enter a valid date"),
    ],
)
def test_a_request_it_cannot_answer_is_explained(cast: Cast, as_user, query: dict[str, str], message: str) -> None:
    params = {"kind": "board", "site": "RGH", "format": "csv", **query}
    with at(NOW):
        response = as_user(cast.manager).get(reverse("insights:report_download"), params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(action="report.download").exists()


def test_a_site_that_is_not_the_reader_s_is_not_found_whatever_its_code(cast: Cast, as_user) -> None:
    client = as_user(cast.manager)
    for site in ("HPM", "RGH\x00", "x" * 10_000, ""):
        response = client.get(reverse("insights:report_download"), {"kind": "board", "site": site, "format": "csv"})
        assert response.status_code == (400 if site == "" else 404), site


# -- The command line ----------------------------------------------------------------------------------------


@needs_pdf
def test_the_command_writes_each_report_and_is_audited(
    cast: Cast, england: England, harbor: Harbor, tmp_path: Path
) -> None:
    runs = [
        ("board", "RGH", "2026-01-01", "2026-01-31", "pdf"),
        ("ko41a", "RGH", "2025-04-01", "2026-03-31", "xlsx"),
        ("annual", "RGH", "2025-04-01", "2026-03-31", "pdf"),
        ("grievance-log", "HPM", "2026-01-01", "2026-01-31", "csv"),
        ("cqc", "RGH", "2026-01-01", "2026-01-31", "csv"),
    ]
    for kind, site, start, end, fmt in runs:
        out = tmp_path / f"{kind}.{fmt}"
        stdout = io.StringIO()
        options = ["--site", site, "--from", start, "--to", end, "--format", fmt, "--out", str(out)]
        with at(NOW):
            call_command("report", kind, *options, stdout=stdout)
        content = out.read_bytes()
        assert content, kind
        assert f"to {out}" in stdout.getvalue()
        if fmt == "pdf":
            assert content.startswith(b"%PDF")
        if fmt == "xlsx":
            assert "Summary" in xlsx_sheets(content)
    # The command counts every case and names nobody: the grievance log has no patient column.
    log = csv_tables((tmp_path / "grievance-log.csv").read_bytes())["Grievance log"]
    assert log[0][:2] == ["Reference", "Received"] and "Patient" not in log[0] and len(log) == 4
    assert "Maria Lopez" not in (tmp_path / "grievance-log.csv").read_text(encoding="utf-8-sig")
    events = AuditEvent.objects.filter(action="report.download").order_by("id")
    assert [e.details["kind"] for e in events] == [kind for kind, *_ in runs]
    for event in events:
        assert event.actor is None and event.user_agent == "command line"
        assert event.details["via"] == "command line"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["board", "--site", "XYZ"], "No site has the code 'XYZ'"),
        (["board", "--site", "RGH", "--from", "31/01/2026", "--to", "2026-02-01"], "--from must be a date"),
        (["board", "--site", "RGH", "--from", "2026-01-01"], "Give both --from and --to"),
        (["board", "--site", "RGH", "--from", "2026-02-01", "--to", "2026-01-01"], "must end on or after"),
        (["grievance-log", "--site", "RGH"], "is for sites under the United States (CMS grievances) rules"),
    ],
)
def test_the_command_explains_what_is_wrong(cast: Cast, tmp_path: Path, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("report", *args, "--out", str(tmp_path / "out.pdf"))
    assert not (tmp_path / "out.pdf").exists()
