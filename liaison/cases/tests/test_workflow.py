"""The case workflow: references, transitions and their preconditions, conversion, informal concerns."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases import services
from liaison.cases.models import Case, TimelineEvent
from liaison.lib.errors import ApplicationError

LONDON = ZoneInfo("Europe/London")


def test_references_count_per_site_and_year(cast: Cast, open_case) -> None:
    first, second = open_case(), open_case()
    assert (first.reference, second.reference) == (
        f"RGH-{timezone.localdate().year}-00001",
        f"RGH-{timezone.localdate().year}-00002",
    )
    us = open_case(acting_user=cast.manager, site=cast.hpm, issues=[]) if cast.hpm.pk in cast.manager.site_ids else None
    assert us is None or us.reference.startswith("HPM-")


def test_the_full_path_from_new_to_closed(cast: Cast, open_case) -> None:
    case = open_case()
    case = services.case_acknowledge(acting_user=cast.officer, case=case, how="phone")
    case = services.case_start_investigation(acting_user=cast.officer, case=case)
    case = services.case_mark_response_drafted(acting_user=cast.officer, case=case)
    case = services.case_record_response(acting_user=cast.officer, case=case)
    case = services.case_close(acting_user=cast.officer, case=case)
    assert case.status == "closed" and case.next_due_at is None
    statuses = list(TimelineEvent.objects.filter(case=case, kind="status").values_list("summary", flat=True))
    assert statuses[-5:] == [
        "Acknowledged by phone",
        "Investigation started",
        "Response drafted",
        "Response sent",
        "Closed",
    ]
    actions = set(
        AuditEvent.objects.filter(object_id=str(case.pk), object_type="cases.case").values_list("action", flat=True)
    )
    assert {
        "case.create",
        "case.acknowledged",
        "case.under_investigation",
        "case.response_drafted",
        "case.responded",
        "case.closed",
    } <= actions


def test_a_complaint_cannot_close_without_a_response(cast: Cast, open_case) -> None:
    case = open_case()
    with pytest.raises(ApplicationError, match="before its written response"):
        services.case_close(acting_user=cast.officer, case=case)


def test_a_grievance_cannot_close_without_the_written_notice(cast: Cast, open_case) -> None:
    cast.officer.sites.add(cast.hpm)
    cast.officer.__dict__.pop("site_ids", None)
    case = open_case(site=cast.hpm, channel="letter", issues=[])
    assert case.case_type == "grievance"  # US-5: a written complaint is always a grievance
    case = services.case_start_investigation(acting_user=cast.officer, case=case)
    with pytest.raises(ApplicationError, match="written notice"):
        services.case_record_response(acting_user=cast.officer, case=case, written_notice=False)
    with pytest.raises(ApplicationError, match="written notice"):
        services.case_close(acting_user=cast.officer, case=case)
    case = services.case_record_response(acting_user=cast.officer, case=case, written_notice=True)
    assert services.case_close(acting_user=cast.officer, case=case).status == "closed"


def test_transitions_out_of_order_are_refused_with_a_reason(cast: Cast, open_case) -> None:
    case = open_case()
    with pytest.raises(ApplicationError, match="cannot be moved to response drafted"):
        services.case_mark_response_drafted(acting_user=cast.officer, case=case)


def test_converting_a_concern_keeps_the_received_date(cast: Cast, open_case) -> None:
    received = timezone.now() - timedelta(days=3)
    case = open_case(case_type="concern", received_at=received)
    case = services.case_convert(acting_user=cast.officer, case=case, new_type="complaint")
    assert case.case_type == "complaint" and case.received_at == received
    assert TimelineEvent.objects.filter(case=case, summary__contains="received date kept").exists()


def test_an_informal_concern_is_recorded_counted_and_can_be_flagged(cast: Cast, open_case) -> None:
    case = open_case(case_type="concern")
    case = services.case_resolve_informally(
        acting_user=cast.officer,
        case=case,
        outcome="resolved_first_contact",
        note="Ward sister called back",
        flag_for_review=True,
    )
    assert (case.status, case.informal_outcome, case.flagged_for_review) == ("closed", "resolved_first_contact", True)
    assert Case.objects.filter(informal_outcome="resolved_first_contact").count() == 1


def test_england_twelve_month_rule_needs_a_decision_before_investigation(cast: Cast, open_case) -> None:
    case = open_case(event_date=timezone.localdate() - timedelta(days=500))
    with pytest.raises(ApplicationError, match="after the time limit"):
        services.case_start_investigation(acting_user=cast.officer, case=case)
    with pytest.raises(ApplicationError, match="reasons"):
        services.case_record_time_limit_decision(
            acting_user=cast.officer, case=case, good_reason=True, fair_investigation_possible=True, notes=" "
        )
    case = services.case_record_time_limit_decision(
        acting_user=cast.officer,
        case=case,
        good_reason=True,
        fair_investigation_possible=True,
        notes="Was in hospital abroad for most of the year",
    )
    assert services.case_start_investigation(acting_user=cast.officer, case=case).status == "under_investigation"


def test_an_extension_needs_a_recorded_agreement_and_moves_the_deadline(cast: Cast, open_case) -> None:
    case = open_case()
    case = services.case_acknowledge(acting_user=cast.officer, case=case)
    before = case.next_due_at
    with pytest.raises(ApplicationError, match="agreement"):
        services.case_record_extension(
            acting_user=cast.officer, case=case, until=timezone.localdate() + timedelta(days=300), agreement=""
        )
    case = services.case_record_extension(
        acting_user=cast.officer,
        case=case,
        until=timezone.localdate() + timedelta(days=300),
        agreement="Agreed by phone with Ms Testpatient on 3 March",
    )
    assert case.next_due_at is not None and before is not None and case.next_due_at > before


def test_a_case_received_late_on_friday_in_london_is_due_three_working_days_later(cast: Cast, open_case) -> None:
    friday_night = datetime(2026, 11, 20, 23, 30, tzinfo=LONDON)
    with time_machine.travel(friday_night + timedelta(minutes=10), tick=False):
        case = open_case(received_at=friday_night)
    assert case.next_due_name == "Acknowledge the complaint" or "cknowledge" in case.next_due_name
    assert timezone.localtime(case.next_due_at, LONDON).date() == date(2026, 11, 25)


def test_priority_is_raised_by_red_flags_and_shows_why(cast: Cast, open_case) -> None:
    from liaison.cases.rules import rate_priority

    assert rate_priority(2, 2, []).priority == "moderate"
    flagged = rate_priority(1, 1, ["safeguarding"])
    assert flagged.priority == "high" and any("safeguarding" in r for r in flagged.reasons)
    assert rate_priority(5, 4, []).priority == "extreme"
    case = open_case(risk_consequence=1, risk_likelihood=1, red_flags=["abuse"])
    assert case.priority == "high"


def test_merging_a_duplicate_keeps_both_histories(cast: Cast, open_case) -> None:
    first, dup = open_case(), open_case()
    services.case_add_note(
        acting_user=cast.officer, case=dup, kind="call", summary="Daughter rang again", duration_minutes=6
    )
    dup = services.case_merge(acting_user=cast.officer, duplicate=dup, into=first)
    assert dup.merged_into == first and dup.status == "closed"
    assert TimelineEvent.objects.filter(case=dup, summary="Daughter rang again", duration_minutes=6).exists()
    assert TimelineEvent.objects.filter(case=first, summary__contains="merged into this case").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "empty"),
        ("virus.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100, "cannot be attached"),
        ("big.txt", b"a" * (21 * 1024 * 1024), "limit is 20 MB"),
    ],
)
def test_bad_attachments_are_refused_clearly(cast: Cast, open_case, name: str, content: bytes, message: str) -> None:
    case = open_case()
    with pytest.raises(ApplicationError, match=message):
        services.case_add_attachment(acting_user=cast.officer, case=case, upload=SimpleUploadedFile(name, content))
    assert not case.attachments.exists()


def test_intake_without_javascript_shows_rules_and_duplicates_then_logs(cast: Cast, open_case, as_user) -> None:
    from django.urls import reverse

    earlier = open_case(patient_name="Hugo Nojs", patient_mrn="RGH9990001")
    client = as_user(cast.officer)
    form = {
        "site": cast.rgh.pk,
        "case_type": "complaint",
        "channel": "letter",
        "patient_known": "on",
        "patient_name": "Hugo Nojs",
        "complainant_is_patient": "on",
        "preferred_language": "en",
        "risk_consequence": 3,
        "risk_likelihood": 3,
        "issue_severity": 1,
        "issue_stage": "other",
        "account": "Letter about a lost hearing aid.",
    }
    page = client.post(reverse("cases:intake"), {**form, "check": "1"}).content.decode()
    assert "Possible duplicates" in page and earlier.reference in page
    assert "Acknowledge the complaint" in page and "Risk 3 × 3 = 9: high" in page
    assert Case.objects.count() == 1
    response = client.post(reverse("cases:intake"), {**form, "save": "1"})
    assert response.status_code == 302
    assert Case.objects.count() == 2


def test_phso_stage_is_recorded_on_the_timeline(cast: Cast, open_case) -> None:
    case = services.case_set_phso_stage(acting_user=cast.officer, case=open_case(), stage="early_resolution")
    assert case.phso_stage == "early_resolution"
    assert TimelineEvent.objects.filter(case=case, summary="Handling: early resolution").exists()
