"""The returns: England's KO41a and annual complaints report, the US grievance log and the CQC summary.

The worlds are those of ``test_reports.py`` (read at 15 April 2026); every count is worked out by hand below
and, where it is one of the office's measures, checked against ``MEASURES`` too.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case, Issue
from liaison.cases.services import case_acknowledge, case_record_response, issue_add, issue_update
from liaison.insights.measures import MEASURES
from liaison.insights.reports.base import ReportRefused
from liaison.insights.reports.ko41a import (
    ADMISSIONS_DISCHARGE,
    CLINICAL_TREATMENT,
    Coding,
    code_issue,
)
from liaison.insights.tests import test_reports as worlds
from liaison.insights.tests.test_reports import (
    FY,
    JANUARY,
    NOW,
    England,
    Harbor,
    at,
    complaint,
    csv_tables,
    london,
    needs_pdf,
    pdf_text,
    produce,
    rgh_scope,
    rows_by_first,
    xlsx_sheets,
)
from liaison.org.services import department_create

england, harbor = worlds.england, worlds.harbor  # the shared worlds, as fixtures here too

# -- KO41a ---------------------------------------------------------------------------------------------------


def test_ko41a_counts_the_year_s_complaints_as_worked_out_by_hand(cast: Cast, england: England) -> None:
    sheets = xlsx_sheets(produce(cast.manager, "ko41a", cast.rgh, FY, "xlsx").content)
    summary = rows_by_first(sheets["Summary"])
    # Brought forward into 2025-26: K0 (answered 20 May 2025) and K1 (never answered) = 2.
    # New: D1, D2 (December), C1-C5 (January), F1 (March) = 8: the received measure on complaints.
    # Resolved: K0 upheld, C1 upheld, C2 partly upheld, D1 and C4 not upheld = 2 + 1 + 2 = 5.
    # Ended without an outcome: C5 withdrawn, F1 unable to investigate = 2. Carried forward: K1, D2, C3 = 3,
    # and 2 + 8 - 5 - 2 = 3.
    complaints = rgh_scope(cast, cast.manager).filter(case_type="complaint")
    assert MEASURES["received"].value(complaints, FY) == 8
    assert [row[1] for row in sheets["Summary"][1:]] == [2, 8, 2, 1, 2, 5, 2, 3]
    assert summary["New complaints received"][1] == 8 and summary["Total resolved"][1] == 5
    assert summary["Brought forward (open at the start of 1 April 2025)"][1] == 2
    assert summary["Carried forward (open at the end of 31 March 2026)"][1] == 3
    # Ages on the day received: C2 (10) and F1 (15) 0-17; C4 (45) and C5 (36) 18-64; D1 (85) and C1 (75) 65+;
    # D2 and C3 without a date of birth. Complainants: C2's mother a relative, C3's neighbour other, 6 patients.
    assert rows_by_first(sheets["Age of patient"]) == {
        "Age 0-17": ["Age 0-17", 2],
        "Age 18-64": ["Age 18-64", 2],
        "Age 65 and over": ["Age 65 and over", 2],
        "Age unknown": ["Age unknown", 2],
    }
    assert sheets["Status of complainant"][1:] == [["Patient", 6], ["Relative or carer", 1], ["Other", 1]]


def test_ko41a_counts_a_two_issue_complaint_once_in_the_total_and_twice_in_each_section(
    cast: Cast, england: England
) -> None:
    tables = csv_tables(produce(cast.manager, "ko41a", cast.rgh, FY, "csv").content)

    def counts(title: str) -> dict[str, int]:
        return {row[0]: int(row[1]) for row in tables[title][1:] if row[1] != "0"}

    # C1 has an ED communication issue (nursing, on the ward) and a Cardiology clinical one (medical).
    # Service: A&E D1, C1, C3, C4, F1 = 5; inpatients (Cardiology) D2, C1, C2, C5 = 4. 9 = 8 complaints + C1 again.
    assert counts("Service area") == {"A&E": 5, "Inpatients": 4}
    # Subject: communications D1, C1, F1 (listening); facilities D2, C3; clinical treatment C1, C2; values and
    # behaviours C4 (respect); admissions C5 (institutional processes at admission) = 9.
    assert counts("Subject area") == {
        "Communications": 3,
        "Facilities": 2,
        CLINICAL_TREATMENT: 2,
        "Values and behaviours (staff)": 1,
        ADMISSIONS_DISCHARGE: 1,
    }
    # Clinical treatment by specialty: C1 and C2 are both Cardiology's.
    assert counts("Clinical treatment sub-categories") == {"Medical Group": 2}
    # Profession: nursing D1, C1, C4; medical C1, C2; administrative D2, C3, C5; other F1 = 9.
    assert counts("Profession") == {
        "Nursing, midwifery and health visiting": 3,
        "Medical (including surgical)": 2,
        "Trust administrative staff / members of the Trust Board": 3,
        "Other": 1,
    }
    assert int(rows_by_first(tables["Summary of overall numbers"])["New complaints received"][1]) == 8
    # Every category of the form is listed, with nought where nothing falls (the form wants a value in each).
    assert ["Maternity", "0"] in tables["Service area"]


def test_two_issues_with_the_same_value_count_once_in_a_section(cast: Cast) -> None:
    coding = Coding(reference="X", age="", status="")
    for number, category in enumerate(("listening", "communication"), start=1):
        issue = Issue(category=category, stage_of_care="ward_care", staff_group="nursing", department=cast.ed)
        code_issue(issue, number, coding)
    assert coding.subjects == {"Communications"} and coding.services == {"A&E"} and not coding.problems


def test_ko41a_is_refused_while_a_value_has_no_mapping_and_lists_the_cases(
    cast: Cast, england: England, as_user
) -> None:
    physio = department_create(acting_user=None, site=cast.rgh, name="Physiotherapy", code="PHYS")
    unmapped = complaint(cast, london(2026, 2, 3), ("quality", "ward_care", "allied_health", physio))
    uncoded = complaint(cast, london(2026, 2, 4), ("communication", "ward_care", "nursing", cast.ed))
    with at(london(2026, 2, 4, 11)):
        issue_add(acting_user=cast.officer, case=uncoded, summary="Not looked at yet", department=cast.ed)
    with at(NOW), pytest.raises(ReportRefused) as refused:
        produce(cast.manager, "ko41a", cast.rgh, FY, "pdf")
    message = refused.value.message
    assert unmapped.reference in message and uncoded.reference in message
    assert 'department "Physiotherapy" (PHYS) has no KO41a service area' in message
    assert "issue 2 has no HCAT category yet" in message
    assert [reference for reference, _ in refused.value.problems] == [unmapped.reference, uncoded.reference]

    # The page says the same, with a link to each case, and nothing is downloaded or audited as one.
    query = {"kind": "ko41a", "site": "RGH", "from": "2025-04-01", "to": "2026-03-31", "format": "csv"}
    with at(NOW):
        page = as_user(cast.manager).get(reverse("insights:report_download"), query)
    assert page.status_code == 409
    text = page.content.decode()
    assert "This report cannot be produced yet" in text
    assert f'href="{reverse("cases:detail", args=[unmapped.reference])}"' in text
    assert not AuditEvent.objects.filter(action="report.download").exists()

    # Once the officer codes both issues, the return goes through and counts the two new complaints.
    with at(NOW):
        issue_update(
            acting_user=cast.officer,
            issue=unmapped.issues.get(),
            category="quality",
            stage_of_care="ward_care",
            staff_group="allied_health",
            department=cast.cardiology,
            summary="About quality",
        )
        late = uncoded.issues.order_by("pk").last()
        assert late is not None
        issue_update(
            acting_user=cast.officer,
            issue=late,
            category="communication",
            stage_of_care="ward_care",
            staff_group="nursing",
            department=cast.ed,
            summary="Not looked at yet",
        )
        page = as_user(cast.manager).get(reverse("insights:report_download"), query)
    assert page.status_code == 200
    summary = rows_by_first(csv_tables(page.content)["Summary of overall numbers"])
    assert summary["New complaints received"][1] == "10"
    assert AuditEvent.objects.get(action="report.download").details["kind"] == "ko41a"


def test_ko41a_is_refused_for_a_complaint_answered_without_an_outcome(cast: Cast, england: England) -> None:
    case = complaint(cast, london(2026, 3, 9), ("quality", "ward_care", "medical", cast.cardiology))
    with at(london(2026, 3, 10)):
        case_acknowledge(acting_user=cast.officer, case=case)
        case_record_response(acting_user=cast.officer, case=case)
    with at(NOW), pytest.raises(ReportRefused, match=f"{case.reference}: answered on 10 March 2026 but no outcome"):
        produce(cast.manager, "ko41a", cast.rgh, FY, "csv")


@needs_pdf
def test_ko41a_pdf_prints_the_summary(cast: Cast, england: England) -> None:
    text = pdf_text(produce(cast.manager, "ko41a", cast.rgh, FY, "pdf").content)
    assert "KO41a return" in text and "1 April 2025 to 31 March 2026" in text
    assert "New complaints received 8" in text and "Total resolved 5" in text
    assert "Carried forward (open at the end of 31 March 2026) 3" in text


# -- The annual complaints report ----------------------------------------------------------------------------


def test_the_annual_report_gives_every_item_of_the_regulations(cast: Cast, england: England) -> None:
    x = england
    complaints = rgh_scope(cast, cast.manager).filter(case_type="complaint")
    produced = produce(cast.manager, "annual", cast.rgh, FY, "xlsx")
    sheets = xlsx_sheets(produced.content)
    numbers = rows_by_first(sheets[next(name for name in sheets if name.endswith("headlines"))])
    # Received in 2025-26: D1, D2, C1-C5, F1 = 8. Well-founded: C1 upheld, C2 partly upheld = 2 (of D1, C1, C2,
    # C4 with an outcome; K0 was received the year before). Referred to the ombudsman: C4, on 2 March 2026.
    assert numbers["Complaints received"][1] == MEASURES["received"].value(complaints, FY) == 8
    assert numbers["Decided to be well-founded"][1] == 2
    assert set(MEASURES["well_founded_rate"].numerator(complaints, FY)) == {x.c1, x.c2}
    assert numbers["Referred to the ombudsman"][1] == MEASURES["referred_ombudsman"].value(complaints, FY) == 1
    # Subjects: the HCAT categories of the year's complaints: communication D1 and C1 (F1 is listening);
    # environment D2 and C3.
    subjects = rows_by_first(sheets["Subjects"])
    assert subjects["Communication (relationships)"][1] == 2 and subjects["Environment (management)"][1] == 2
    # Themes from feedback (January's and February's answers) and from the improvement actions.
    themes = rows_by_first(sheets["Feedback themes"])
    assert themes["Discharge"][1] == 11 and themes["Staff manner & personal attributes"][1] == 6
    assert rows_by_first(sheets["Action themes"])["Bells"][1] == 2
    # Actions created, due or done in the year, the cancelled one left out: four.
    actions = sheets["Improvement actions"]
    assert len(actions) == 5 and all("Buy new chairs" not in row[0] for row in actions[1:])
    assert rows_by_first(sheets["Outcomes"])["Well-founded rate"][2] == 50.0  # 2 of the 4 judged


def test_the_annual_report_is_refused_while_an_item_is_missing(cast: Cast) -> None:
    # A year with nothing recorded: no subjects, no themes, no improvement actions (counts are never missing).
    with at(NOW), pytest.raises(ReportRefused) as refused:
        produce(cast.manager, "annual", cast.rgh, FY, "pdf")
    missing = [what for _, what in refused.value.problems]
    assert [m.split(":")[0] for m in missing] == ["a summary of subjects", "themes", "improvement actions"]
    assert "improvement actions: none was recorded for the year (1 April 2025 to 31 March 2026)" in (
        refused.value.message
    )
    # Complaints without any outcome recorded: the number well-founded is missing too.
    complaint(cast, london(2025, 6, 2), ("quality", "ward_care", "medical", cast.cardiology))
    with at(NOW), pytest.raises(ReportRefused, match="the number found well-founded"):
        produce(cast.manager, "annual", cast.rgh, FY, "csv")
    assert not AuditEvent.objects.filter(action="report.download").exists()


# -- The US grievance log ------------------------------------------------------------------------------------


def test_the_grievance_log_has_a_row_per_grievance_with_its_dates_and_why(cast: Cast, harbor: Harbor) -> None:
    x = harbor
    produced = produce(x.manager, "grievance-log", cast.hpm, JANUARY, "csv")
    log = csv_tables(produced.content)["Grievance log"]
    assert log[0] == [
        "Reference",
        "Received",
        "Classification",
        "Why",
        "Interim notice sent",
        "Written response sent",
        "Days taken (calendar)",
        "Referred to the QIO",
        "Referred to the State agency",
        "Patient",
    ]
    rows = rows_by_first(log)
    # Received in January by New York's calendar: U2 (5 Jan), U3 (10 Jan), U1 (23:30 on 31 Jan).
    assert [row[0] for row in log[1:]] == [x.u2.reference, x.u3.reference, x.u1.reference]
    # U1: by letter, so a grievance (US-5); notice 6 Feb; written response 18 Feb = 18 calendar days; State 25 Feb.
    u1 = rows[x.u1.reference]
    assert u1[1:3] == ["2026-01-31", "Grievance"] and "(US-5)" in u1[3] and "letter" in u1[3]
    assert u1[4:] == ["2026-02-06", "2026-02-18", "18", "", "2026-02-25", "Maria Lopez"]
    # U2: by email (US-5), answered 9 Jan = 4 days, QIO on 20 Jan. U3: by phone, nothing done yet.
    assert rows[x.u2.reference][4:9] == ["", "2026-01-09", "4", "2026-01-20", ""]
    assert rows[x.u3.reference][4:9] == ["", "", "", "", ""]
    scope = Case.objects.filter(site=cast.hpm)
    headlines = rows_by_first(csv_tables(produced.content)["Grievances in the period: headline numbers"])
    assert headlines[MEASURES["received"].name][1] == str(MEASURES["received"].value(scope, JANUARY)) == "3"
    assert headlines[MEASURES["interim_notice_on_time"].name][1] == "66.7"


def test_the_grievance_log_names_patients_only_for_those_who_may_see_them(cast: Cast, harbor: Harbor) -> None:
    # The site's manager sees identities; the command line (no user) does not.
    with_names = produce(harbor.manager, "grievance-log", cast.hpm, JANUARY, "csv").content.decode("utf-8-sig")
    without = produce(None, "grievance-log", cast.hpm, JANUARY, "csv").content.decode("utf-8-sig")
    assert "Maria Lopez" in with_names
    assert "Maria Lopez" not in without
    assert "Patient" not in csv_tables(without.encode())["Grievance log"][0]


# -- The CQC summary -----------------------------------------------------------------------------------------


def test_the_cqc_summary_lists_the_complaints_by_reference(cast: Cast, england: England) -> None:
    x = england
    complaints = rgh_scope(cast, cast.manager).filter(case_type="complaint")
    tables = csv_tables(produce(cast.manager, "cqc", cast.rgh, JANUARY, "csv").content)
    listed = rows_by_first(tables["Complaints"])
    assert list(listed) == [c.reference for c in (x.c1, x.c2, x.c3, x.c4, x.c5)]
    assert listed[x.c1.reference][1:] == [
        "2026-01-05",
        "2026-01-06",
        "2026-01-20",
        "Communication (relationships); Quality (clinical)",
        "Upheld",
        "Responded",
        "0",
    ]
    assert listed[x.c3.reference][3:6] == ["", "Environment (management)", "Not decided yet"]
    timeliness = rows_by_first(tables["Timeliness"])
    assert timeliness[MEASURES["acknowledged_on_time"].name][2] == "80.0"
    assert MEASURES["acknowledged_on_time"].value(complaints, JANUARY) == 80.0
    counts = rows_by_first(tables["Counts"])
    assert counts[MEASURES["received"].name][2] == "5"  # complaints only: not the concern or the compliment
    text = " ".join(" ".join(row) for rows in tables.values() for row in rows)
    assert "Okafor" not in text and "Okoro" not in text


def test_returns_are_for_managers(cast: Cast, england: England, as_user) -> None:
    query = {"site": "RGH", "from": "2026-01-01", "to": "2026-01-31", "format": "csv"}
    for kind in ("ko41a", "annual", "cqc"):
        officer = as_user(cast.officer).get(reverse("insights:report_download"), {"kind": kind, **query})
        assert officer.status_code == 404, kind
    with at(NOW):
        manager = as_user(cast.manager).get(reverse("insights:report_download"), {"kind": "cqc", **query})
    assert manager.status_code == 200


def test_a_restricted_grievance_is_counted_but_named_only_for_the_people_it_is_restricted_to(
    cast: Cast, harbor: Harbor
) -> None:
    from liaison.cases.services import case_set_restriction

    with at(NOW):
        case_set_restriction(
            acting_user=cast.outsider, case=harbor.u1, restricted=True, reason="staff", users=[cast.outsider]
        )
        log = csv_tables(produce(harbor.manager, "grievance-log", cast.hpm, JANUARY, "csv").content)["Grievance log"]
    rows = rows_by_first(log)
    # Every grievance of January is in the log, whoever reads it; the manager is not named on U1.
    assert set(rows) == {harbor.u1.reference, harbor.u2.reference, harbor.u3.reference}
    assert rows[harbor.u1.reference][-1] == "Not shown (restricted)"
    assert "Maria Lopez" not in " ".join(" ".join(r) for r in log)
