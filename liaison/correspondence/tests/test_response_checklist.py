"""A final response may put the findings in plain words: the officer confirms each required element beside the
letter, instead of the check looking for the case's internal one-line summaries word for word."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases import services as case_services
from liaison.cases.models import Case
from liaison.correspondence import services
from liaison.correspondence.content import missing_elements, response_checklist
from liaison.correspondence.models import Letter, LetterStatus
from liaison.lib.errors import ApplicationError


@pytest.fixture
def england(cast: Cast) -> Case:
    cast.rgh.responsible_person = cast.manager
    cast.rgh.save()
    case = case_services.case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="letter",
        patient_name="Iris Testpatient",
        patient_address="1 Test Street",
        issues=[{"category": "communication", "severity": 2, "summary": "Transfer not explained (comms)"}],
    )
    issue = case.issues.get()
    return case_services.case_record_findings(
        acting_user=cast.officer,
        case=case,
        issue_findings={issue.pk: ("Nobody told the family before the move.", "upheld")},
        outcome="upheld",
        how_considered="We read the records and spoke with the nurse in charge.",
        completed_on=date(2026, 11, 20),
    ) and _with_action(cast, case)


def _with_action(cast: Cast, case: Case) -> Case:
    case_services.case_add_promised_action(
        acting_user=cast.officer,
        case=case,
        description="Brief ward staff on explaining transfers",
        owner="Ward manager",
        due_date=date(2027, 1, 31),
    )
    return Case.objects.get(pk=case.pk)


def _reword(letter: Letter) -> Letter:
    """The officer writes the issue in the family's terms rather than the case's internal summary."""
    body = letter.body_html.replace("Transfer not explained (comms)", "how your father's move was explained to you")
    assert body != letter.body_html
    return services.letter_edit(
        acting_user=letter.drafted_by,
        letter=letter,
        subject=letter.subject,
        body_html=body,
        expected_version=letter.version,
        large_print=False,
    )


def test_a_reworded_issue_is_refused_until_the_officer_confirms_it(cast: Cast, england: Case, as_user) -> None:
    letter = _reword(services.letter_draft(acting_user=cast.officer, case=england, kind="final_response"))
    assert missing_elements(letter) == ["the conclusions on every issue (UK-7)"]
    issue_key = f"issue:{england.issues.get().pk}"
    client = as_user(cast.officer)
    page = client.get(reverse("correspondence:detail", args=[letter.pk])).content.decode()
    assert "Nobody told the family before the move." in page  # the recorded finding, beside its box
    response = client.post(
        reverse("correspondence:step", args=[letter.pk, "confirm"]),
        {"version": letter.version, "confirmed": [issue_key]},
    )
    assert response.status_code == 302
    letter.refresh_from_db()
    assert list(letter.confirmed_elements) == [issue_key]
    assert letter.confirmed_elements[issue_key]["by"] == cast.officer.pk
    assert missing_elements(letter) == []
    audit = AuditEvent.objects.filter(action="letter.confirm_elements").get()
    assert audit.details["confirmed"] == [issue_key]
    client.post(reverse("correspondence:step", args=[letter.pk, "submit"]))
    assert Letter.objects.get(pk=letter.pk).status == LetterStatus.AWAITING_SIGNOFF


def test_editing_the_letter_clears_the_confirmations(cast: Cast, england: Case) -> None:
    letter = _reword(services.letter_draft(acting_user=cast.officer, case=england, kind="final_response"))
    key = f"issue:{england.issues.get().pk}"
    letter = services.letter_confirm_elements(
        acting_user=cast.officer, letter=letter, keys=[key], expected_version=letter.version
    )
    assert missing_elements(letter) == []
    letter = services.letter_edit(
        acting_user=cast.officer,
        letter=letter,
        subject=letter.subject,
        body_html=letter.body_html + "<p>One more thing.</p>",
        expected_version=letter.version,
        large_print=False,
    )
    assert letter.confirmed_elements == {}
    assert missing_elements(letter) == ["the conclusions on every issue (UK-7)"]


def test_nothing_unrecorded_can_be_confirmed(cast: Cast, england: Case) -> None:
    letter = services.letter_draft(acting_user=cast.officer, case=england, kind="final_response")
    Case.objects.filter(pk=england.pk).update(how_considered="")
    letter = Letter.objects.get(pk=letter.pk)
    with pytest.raises(ApplicationError, match="Record these on the case before confirming"):
        services.letter_confirm_elements(
            acting_user=cast.officer, letter=letter, keys=["how_considered"], expected_version=letter.version
        )
    assert Letter.objects.get(pk=letter.pk).confirmed_elements == {}
    assert "how the complaint was considered (UK-7): record it on the case first" in missing_elements(letter)


def test_the_letter_quoting_the_record_needs_no_confirmation(cast: Cast, england: Case) -> None:
    letter = services.letter_draft(acting_user=cast.officer, case=england, kind="final_response")
    assert missing_elements(letter) == []
    assert all(item.found for item in response_checklist(letter))


def test_a_stale_checklist_is_refused_and_saves_nothing(cast: Cast, england: Case) -> None:
    letter = services.letter_draft(acting_user=cast.officer, case=england, kind="final_response")
    with pytest.raises(ApplicationError, match="changed after you opened it"):
        services.letter_confirm_elements(
            acting_user=cast.officer, letter=letter, keys=["outcome"], expected_version=letter.version + 5
        )
    assert Letter.objects.get(pk=letter.pk).confirmed_elements == {}


def test_the_draft_form_offers_only_the_letters_that_fit_the_case(cast: Cast, england: Case, as_user) -> None:
    us = case_services.case_open(
        acting_user=cast.outsider, site=cast.hpm, case_type="grievance", channel="phone", patient_name="Bo Test"
    )
    page = as_user(cast.outsider).get(reverse("correspondence:new", args=[us.reference])).content.decode()
    assert "Final response" in page
    assert "Out-of-time decision" not in page and "Extension agreed" not in page
    with pytest.raises(ApplicationError, match="does not fit this case"):
        services.letter_draft(acting_user=cast.outsider, case=us, kind="out_of_time_decision")
    page = as_user(cast.officer).get(reverse("correspondence:new", args=[england.reference])).content.decode()
    assert "Extension agreed" not in page
    case_services.case_record_extension(
        acting_user=cast.officer, case=england, until=date(2027, 3, 1), agreement="Agreed by phone."
    )
    page = as_user(cast.officer).get(reverse("correspondence:new", args=[england.reference])).content.decode()
    assert "Extension agreed" in page
    letter = services.letter_draft(acting_user=cast.officer, case=england, kind="extension_agreed")
    assert "1 March 2027" in letter.body_html
