"""The casework defects found by trying Liaison as a new officer would; each test failed before its fix."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases import selectors, services
from liaison.cases.models import Case, Issue, TimelineEvent


def _page(client: Any, url: str, **params: Any) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_assign_sets_the_owner_and_saves_only_what_changed(cast: Cast, open_case) -> None:
    case = open_case()
    services.case_assign(acting_user=cast.officer, case=case, owner=cast.manager)
    assert Case.objects.get(pk=case.pk).owner_id == cast.manager.pk
    services.case_assign(acting_user=cast.officer, case=case, owner=None)
    assert Case.objects.get(pk=case.pk).owner_id is None


def test_intake_keeps_an_issue_without_a_category_and_flags_it_for_coding(cast: Cast, as_user) -> None:
    client = as_user(cast.officer)
    response = client.post(
        reverse("cases:intake"),
        {
            "save": "1",
            "site": cast.rgh.pk,
            "case_type": "concern",
            "channel": "phone",
            "patient_known": "",
            "complainant_is_patient": "on",
            "preferred_language": "en",
            "risk_consequence": "1",
            "risk_likelihood": "1",
            "issue_severity": "1",
            "issue_stage": "other",
            "issue_summary": "Nobody called back about the appointment",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get()
    issue = case.issues.get()
    assert (issue.category, issue.summary) == ("", "Nobody called back about the appointment")
    page = _page(client, reverse("cases:detail", args=[case.reference]))
    assert "Not coded yet" in page and "Code it" in page


def test_editing_an_issue_recodes_it_and_keeps_its_finding(cast: Cast, open_case, as_user) -> None:
    case = open_case()
    issue = case.issues.get()
    Issue.objects.filter(pk=issue.pk).update(finding="The bell was broken.", outcome="upheld")
    client = as_user(cast.officer)
    response = client.post(
        reverse("cases:issue-edit", args=[case.reference, issue.pk]),
        {
            "category": "safety",
            "severity": "3",
            "stage_of_care": "ward_care",
            "department": cast.cardiology.pk,
            "staff_group": "",
            "summary": "The call bell was out of reach after the fall",
        },
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.category, issue.severity, issue.department_id, issue.summary) == (
        "safety",
        3,
        cast.cardiology.pk,
        "The call bell was out of reach after the fall",
    )
    assert (issue.finding, issue.outcome) == ("The bell was broken.", "upheld")
    newest = TimelineEvent.objects.filter(case=case).order_by("-pk").first()
    assert newest is not None and newest.summary == "Issue edited: Safety (clinical)"
    audit = AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk), action="case.issue_update")
    assert audit.get().details["fields"] == ["category", "department", "severity", "stage_of_care", "summary"]


def test_removing_an_issue_deletes_it_and_says_so(cast: Cast, open_case, as_user) -> None:
    case = open_case()
    issue = case.issues.get()
    response = as_user(cast.officer).post(reverse("cases:issue-remove", args=[case.reference, issue.pk]))
    assert response.status_code == 302
    assert not Issue.objects.filter(pk=issue.pk).exists()
    assert TimelineEvent.objects.filter(case=case, summary="Issue removed").exists()


def test_editing_saves_the_fields_and_says_which_changed(cast: Cast, open_case, as_user) -> None:
    case = open_case()
    client = as_user(cast.officer)
    form = client.get(reverse("cases:edit", args=[case.reference])).context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data.update({"patient_phone": "01632 960000", "preferred_language": "pl", "risk_consequence": "1"})
    data["risk_likelihood"] = "1"
    response = client.post(reverse("cases:edit", args=[case.reference]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert (case.patient_phone, case.preferred_language) == ("01632 960000", "pl")
    assert TimelineEvent.objects.filter(case=case, summary__contains="patient_phone").exists()
    page = _page(client, reverse("cases:detail", args=[case.reference]))
    assert "Polish" in page  # the language by name, not its code


def test_the_worklist_filters_live_in_the_address_and_survive_paging(cast: Cast, open_case, as_user) -> None:
    for _ in range(27):
        case = open_case(owner=cast.officer)
        services.case_withdraw(acting_user=cast.officer, case=case, reason="No longer wanted")
    open_case(owner=cast.officer)
    client = as_user(cast.officer)
    url = reverse("cases:worklist")
    page_one = _page(client, url, view="site", status="")
    assert "28 cases" in page_one
    assert "status=&amp;view=site&amp;page=2" in page_one or "view=site&amp;status=&amp;page=2" in page_one
    page_two = _page(client, url, view="site", status="", page="2")
    assert "28 cases" in page_two and "Page 2 of 2" in page_two
    # No status parameter at all: the open cases, as before.
    assert "1 case." in _page(client, url, view="site")


def test_a_search_is_kept_out_of_the_address_and_can_be_paged(cast: Cast, open_case, as_user) -> None:
    target = open_case(patient_name="Rosalind Searchable")
    open_case(patient_name="Someone Else")
    client = as_user(cast.officer)
    response = client.post(reverse("cases:worklist"), {"view": "site", "status": "", "q": "Searchable"})
    assert response.status_code == 302
    assert "Searchable" not in response["Location"] and "search=" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert target.reference in page and "Someone Else" not in page
    # Another person opening the same address does not get the search (it lives in the first person's session).
    other = as_user(cast.manager).get(response["Location"]).content.decode()
    assert "That search has expired" in other


def test_the_worklist_and_my_work_write_one_audit_row_per_page(cast: Cast, open_case, as_user) -> None:
    case = open_case(owner=cast.officer)
    client = as_user(cast.officer)
    client.get(reverse("cases:worklist"))
    client.get(reverse("home:my-work"))
    rows = list(AuditEvent.objects.filter(action="case.list_view", actor=cast.officer).order_by("id"))
    assert len(rows) == 2
    assert all(case.pk in row.details["cases"] for row in rows)


def test_cases_without_a_deadline_sort_after_those_with_one(cast: Cast, open_case) -> None:
    dated = open_case(owner=cast.officer)
    undated = open_case(owner=cast.officer, case_type="compliment")
    services.case_acknowledge(acting_user=cast.officer, case=dated, how="phone")
    assert undated.next_due_at is None and Case.objects.get(pk=dated.pk).next_due_at is not None
    Case.objects.filter(pk__in=[dated.pk, undated.pk]).update(priority="low", priority_rank=3)
    order = list(selectors.worklist(user=cast.officer, filters=selectors.WorklistFilters(view="mine")))
    assert order == [Case.objects.get(pk=dated.pk), undated]


def test_a_partial_reference_finds_the_case(cast: Cast, open_case, as_user) -> None:
    case = open_case()
    client = as_user(cast.officer)
    response = client.post(reverse("cases:worklist"), {"view": "site", "q": case.reference[-5:]}, follow=True)
    assert case.reference in response.content.decode()


def test_a_web_form_tick_is_recorded_as_an_unverified_statement(cast: Cast, open_case, as_user) -> None:
    case = open_case(
        complainant_is_patient=False,
        complainant_name="Dora Daughter",
        complainant_relationship="daughter",
        consent_method="web_statement",
    )
    page = _page(as_user(cast.officer), reverse("cases:detail", args=[case.reference]))
    assert "Consent not verified" in page and "Stated on the web form, not verified" in page
    services.case_update(acting_user=cast.officer, case=case, expected_version=case.version, consent_method="written")
    page = _page(as_user(cast.officer), reverse("cases:detail", args=[case.reference]))
    assert "Consent not verified" not in page


def test_finished_clocks_say_when_they_were_met_or_missed(cast: Cast, open_case, as_user) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=20), tick=False):
        case = open_case()
    services.case_acknowledge(acting_user=cast.officer, case=case, how="phone")
    page = _page(as_user(cast.officer), reverse("cases:detail", args=[case.reference]))
    assert "met or stopped" not in page
    assert "missed by" in page  # acknowledged 20 days after receipt: 3 working days allowed
    other = open_case()
    services.case_withdraw(acting_user=cast.officer, case=other, reason="Resolved another way")
    page = _page(as_user(cast.officer), reverse("cases:detail", args=[other.reference]))
    assert "stopped: the complainant withdrew on" in page


def test_the_case_page_offers_only_actions_that_still_apply(cast: Cast, open_case, as_user) -> None:
    client = as_user(cast.officer)
    case = open_case()
    page = _page(client, reverse("cases:detail", args=[case.reference]))
    assert "Record an agreed extension" in page and "interim notice" not in page
    assert "No email address on file" in page
    services.case_acknowledge(acting_user=cast.officer, case=case, how="phone")
    services.case_record_response(acting_user=cast.officer, case=case)
    page = _page(client, reverse("cases:detail", args=[case.reference]))
    assert "Record an agreed extension" not in page
    # The England referral form offers the ombudsman, not the US bodies.
    refer = _page(client, reverse("cases:action", args=[case.reference, "refer"]))
    assert "Ombudsman" in refer and "Quality Improvement Organization" not in refer


def test_a_us_grievance_offers_the_interim_notice_once_and_shows_the_intake_answers(cast: Cast, as_user) -> None:
    case = services.case_open(
        acting_user=cast.outsider,
        site=cast.hpm,
        case_type="grievance",
        channel="phone",
        patient_name="Bo Testpatient",
        medicare_beneficiary=True,
        topics=["premature_discharge"],
    )
    client = as_user(cast.outsider)
    page = _page(client, reverse("cases:detail", args=[case.reference]))
    assert "Record the 7-day interim notice" in page
    assert "Premature discharge" in page and "Medicare beneficiary" in page
    refer = _page(client, reverse("cases:action", args=[case.reference, "refer"]))
    assert "Quality Improvement Organization" in refer and "Ombudsman" not in refer
    services.case_record_interim_notice(
        acting_user=cast.outsider, case=case, sent_at=timezone.now(), followup_within_days=10
    )
    page = _page(client, reverse("cases:detail", args=[case.reference]))
    assert "Record the 7-day interim notice" not in page
    response = client.post(reverse("cases:action", args=[case.reference, "interim"]), {"followup_within_days": "5"})
    assert response.status_code == 200 and Case.objects.get(pk=case.pk).followup_within_days == 10
