from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from liaison.advocacy import selectors, services
from liaison.advocacy.models import Appeal, AppealStatus, DeadlineRule
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case, TimelineEvent
from liaison.cases.services import case_open
from liaison.lib.errors import ApplicationError
from liaison.lib.pdf import PDF_MISSING_REASON, pdf_available

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen(time_machine: Any) -> None:
    time_machine.move_to(datetime(2026, 3, 10, 10, tzinfo=ZoneInfo("UTC")), tick=False)


def test_recording_an_appeal_writes_the_timeline_and_the_audit_row(cast: Any, appeal: Appeal) -> None:
    assert appeal.status == AppealStatus.PREPARING
    assert TimelineEvent.objects.filter(case=appeal.case, summary__startswith="Appeal recorded").exists()
    event = AuditEvent.objects.get(action="case.advocacy_appeal_record")
    assert event.details["appeal"] == appeal.pk and event.actor == cast.officer
    file, decide = selectors.deadlines_for(appeal)
    assert (file.due, file.rule_id) == (date(2026, 7, 4), "INS-6")
    assert decide.due is None


def test_filing_moves_the_appeal_on_and_starts_the_decision_clock(cast: Any, appeal: Appeal) -> None:
    services.appeal_update(acting_user=cast.officer, appeal=appeal, filed_on=date(2026, 3, 6))
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.FILED
    (running,) = selectors.running_deadlines(appeal)
    assert (running.due, running.rule_id, running.source) == (date(2026, 5, 5), "INS-7", "29 CFR 2560.503-1(i)")
    event = AuditEvent.objects.get(action="advocacy.appeal_update")
    assert event.details["changes"]["filed_on"] == [None, "2026-03-06"]


def test_it_refuses_appeals_on_other_case_types_and_bad_dates(cast: Any, advocacy_case: Case) -> None:
    complaint = case_open(acting_user=cast.officer, site=cast.rgh, case_type="complaint", channel="phone")
    base = dict(
        org_name="X", org_kind="payer", plan_type="medicare", service="s", decision_received_on=date(2026, 3, 1)
    )
    with pytest.raises(ApplicationError, match="advocacy cases only"):
        services.appeal_record(acting_user=cast.officer, case=complaint, **base)
    with pytest.raises(ApplicationError, match="future"):
        services.appeal_record(acting_user=cast.officer, case=advocacy_case, **base | {"filed_on": date(2026, 4, 1)})
    with pytest.raises(ApplicationError, match="before the decision"):
        services.appeal_record(acting_user=cast.officer, case=advocacy_case, **base | {"filed_on": date(2026, 2, 1)})
    with pytest.raises(ApplicationError):
        services.appeal_record(acting_user=cast.officer, case=advocacy_case, **base | {"plan_type": "bupa"})
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("who", ["investigator", "executive", "outsider", "auditor"])
def test_people_without_advocacy_work_at_the_site_are_refused(cast: Any, appeal: Appeal, who: str) -> None:
    user = getattr(cast, who)
    with pytest.raises(ApplicationError, match="advocacy"):
        services.contact_log(
            acting_user=user, appeal=appeal, occurred_at=datetime(2026, 3, 9, 9, tzinfo=ZoneInfo("UTC")),
            person="A", said="B",
        )  # fmt: skip
    with pytest.raises(ApplicationError):
        services.outcome_record(acting_user=user, appeal=appeal, outcome="upheld", decision_on=date(2026, 3, 9))
    assert not appeal.contacts.exists()


def test_contacts_and_documents_are_kept_and_read_back(cast: Any, appeal: Appeal) -> None:
    when = datetime(2026, 3, 9, 14, 30, tzinfo=ZoneInfo("UTC"))
    services.contact_log(
        acting_user=cast.officer, appeal=appeal, occurred_at=when, person="Jo at claims",
        reference_number="REF-778", said="Appeal received; decision in 60 days.",
    )  # fmt: skip
    contact = appeal.contacts.get()
    assert (contact.person, contact.reference_number, contact.occurred_at, contact.logged_by) == (
        "Jo at claims", "REF-778", when, cast.officer,
    )  # fmt: skip
    assert TimelineEvent.objects.filter(case=appeal.case, summary__contains="REF-778").exists()
    upload = SimpleUploadedFile("denial.pdf", b"%PDF-1.4 denial", content_type="application/pdf")
    doc = services.document_add(acting_user=cast.officer, appeal=appeal, kind="denial_letter", upload=upload)
    assert (doc.kind, doc.content_type, doc.original_name) == ("denial_letter", "application/pdf", "denial.pdf")
    assert doc.file.read() == b"%PDF-1.4 denial"
    assert AuditEvent.objects.filter(action="case.advocacy_document", details__sha256=doc.sha256).exists()
    with pytest.raises(ApplicationError, match="PDF, Word"):
        services.document_add(
            acting_user=cast.officer, appeal=appeal, kind="other",
            upload=SimpleUploadedFile("x.exe", b"MZ\x00\x00\x90", content_type="application/pdf"),
        )  # fmt: skip
    with pytest.raises(ApplicationError, match="future"):
        services.contact_log(
            acting_user=cast.officer, appeal=appeal, occurred_at=datetime(2027, 1, 1, tzinfo=ZoneInfo("UTC")),
            person="A", said="B",
        )  # fmt: skip


@pytest.mark.skipif(not pdf_available(), reason=PDF_MISSING_REASON)
def test_the_appeal_letter_is_drafted_to_a_pdf_and_kept_on_the_appeal(cast: Any, appeal: Appeal) -> None:
    doc = services.appeal_letter_draft(
        acting_user=cast.officer, appeal=appeal, argument="Her surgeon's letter shows the scan is needed now."
    )
    assert doc.kind == "appeal_letter" and doc.content_type == "application/pdf"
    text = " ".join((page.extract_text() or "") for page in PdfReader(doc.file.open("rb")).pages)
    text = " ".join(text.split())
    assert "Dear Acme Health Plan" in text
    assert "Pat Example" in text and "MRI of the knee" in text and "$1200.00" in text
    assert "Her surgeon's letter shows the scan is needed now." in text
    assert appeal.case.reference in text and "Olive Officer" in text
    assert "Not medically necessary" in doc.text
    with pytest.raises(ApplicationError, match="argument"):
        services.appeal_letter_draft(acting_user=cast.officer, appeal=appeal, argument="  ")


def test_the_outcome_and_amount_recovered_feed_the_measures(cast: Any, appeal: Appeal) -> None:
    with pytest.raises(ApplicationError, match="more than the amount"):
        services.outcome_record(
            acting_user=cast.officer, appeal=appeal, outcome="overturned", decision_on=date(2026, 3, 9),
            amount_recovered=Decimal("5000"),
        )  # fmt: skip
    with pytest.raises(ApplicationError, match="Nothing is recovered"):
        services.outcome_record(
            acting_user=cast.officer, appeal=appeal, outcome="upheld", decision_on=date(2026, 3, 9),
            amount_recovered=Decimal("5"),
        )  # fmt: skip
    services.outcome_record(
        acting_user=cast.officer, appeal=appeal, outcome="partly", decision_on=date(2026, 3, 9),
        amount_recovered=Decimal("800.50"),
    )  # fmt: skip
    appeal.refresh_from_db()
    assert (appeal.status, appeal.outcome, appeal.amount_recovered) == ("decided", "partly", Decimal("800.50"))
    result = selectors.outcomes(Case.objects.all(), date(2026, 3, 1), date(2026, 3, 31))
    assert result["counts"]["partly"] == 1 and result["decided"] == 1
    assert result["amount_recovered"] == Decimal("800.50")
    assert selectors.outcomes(Case.objects.all(), date(2026, 4, 1), date(2026, 4, 30))["decided"] == 0
    with pytest.raises(ApplicationError, match="already has an outcome"):
        services.outcome_record(acting_user=cast.officer, appeal=appeal, outcome="upheld", decision_on=date(2026, 3, 9))


def test_a_managers_override_changes_the_date_and_is_audited(cast: Any, appeal: Appeal) -> None:
    with pytest.raises(ApplicationError, match="Only a manager"):
        services.rule_set(
            acting_user=cast.officer, site=cast.rgh, key="file:erisa_employer:internal", amount=90,
            unit="calendar_days", reason="Plan document",
        )  # fmt: skip
    services.rule_set(
        acting_user=cast.manager, site=cast.rgh, key="file:erisa_employer:internal", amount=90,
        unit="calendar_days", reason="Plan document",
    )  # fmt: skip
    file, _ = selectors.deadlines_for(appeal)
    # 5 January 2026 + 90 calendar days = 5 April 2026 (26 + 28 + 31 = 85 to 31 March, + 5).
    assert (file.due, file.rule_id, file.overridden) == (date(2026, 4, 5), "INS-6", True)
    event = AuditEvent.objects.get(action="advocacy.rule_set")
    assert event.details["before"] == {"amount": 180, "unit": "calendar_days"}
    assert event.details["after"] == {"amount": 90, "unit": "calendar_days"} and event.actor == cast.manager
    services.rule_reset(acting_user=cast.manager, site=cast.rgh, key="file:erisa_employer:internal")
    assert not DeadlineRule.objects.exists()
    assert selectors.deadlines_for(appeal)[0].due == date(2026, 7, 4)
    assert AuditEvent.objects.filter(action="advocacy.rule_reset").exists()
    with pytest.raises(ApplicationError, match="no such deadline rule"):
        services.rule_set(acting_user=cast.manager, site=cast.rgh, key="nope", amount=1, unit="hours", reason="x")


def test_deadlines_for_user_lists_owned_and_site_appeals_only(cast: Any, appeal: Appeal) -> None:
    (item,) = selectors.deadlines_for_user(cast.officer, None, 5)
    assert (item.case_reference, item.due, item.rule_id, item.name) == (
        appeal.case.reference, date(2026, 7, 4), "INS-6", "Last day to file",
    )  # fmt: skip
    assert item.url == f"/advocacy/cases/{appeal.case.reference}/"
    assert selectors.deadlines_for_user(cast.manager, None, 5)
    assert selectors.deadlines_for_user(cast.outsider, None, 5) == []
    assert selectors.deadlines_for_user(cast.executive, None, 5) == []
