"""Letters: drafted from templates, signed into an immutable PDF, refused while a required element is missing."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from pypdf import PdfReader

from conftest import Cast
from liaison.cases import services as case_services
from liaison.cases.models import Case
from liaison.cases.services import case_open
from liaison.correspondence import services
from liaison.correspondence.models import Letter, LetterStatus, LetterTemplate
from liaison.lib.errors import ApplicationError
from liaison.lib.pdf import PDF_MISSING_REASON, pdf_available

pytestmark = pytest.mark.skipif(not pdf_available(), reason=PDF_MISSING_REASON)


def pdf_text(letter: Letter) -> str:
    reader = PdfReader(io.BytesIO(letter.pdf.open("rb").read()))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture
def england(cast: Cast) -> Case:
    site = cast.rgh
    site.responsible_person, site.responsible_person_title = cast.manager, "Chief Executive"
    site.complaints_contact_name, site.complaints_contact_phone = "Patient Relations Team", "01632 960400"
    site.save()
    case = case_open(
        acting_user=cast.officer,
        site=site,
        case_type="complaint",
        channel="letter",
        owner=cast.officer,
        patient_name="Nora Lettertest",
        patient_email="nora@example.com",
        patient_address="3 Quay Street\nMillbridge",
        account="The ward did not tell us about the transfer.",
        issues=[
            {"category": "communication", "severity": 2, "department": cast.ed, "summary": "Transfer not explained"}
        ],
    )
    return _investigated(cast, case, upheld=True)


@pytest.fixture
def us_case(cast: Cast) -> Case:
    site = cast.hpm
    cast.manager.sites.add(site)
    cast.manager.__dict__.pop("site_ids", None)
    site.complaints_contact_name, site.complaints_contact_phone = "Dana Advocate", "(555) 014-2200"
    site.state_agency_name, site.state_agency_contact = "State Department of Health", "Complaint hotline (555) 010-0000"
    site.qio_name, site.qio_contact = "Harbor QIO Partners", "(555) 010-4444"
    site.save()
    case = case_open(
        acting_user=cast.manager,
        site=site,
        case_type="complaint",
        channel="email",
        owner=cast.manager,
        patient_name="Luis Testgrievance",
        patient_email="luis@example.com",
        medicare_beneficiary=True,
        topics=["quality_of_care"],
        account="I was sent home too soon after surgery.",
        issues=[{"category": "safety", "severity": 2, "department": cast.hpm_er, "summary": "Discharged too early"}],
    )
    assert case.case_type == "grievance"
    return _investigated(cast, case, upheld=False, actor=cast.manager)


def _investigated(cast: Cast, case: Case, *, upheld: bool, actor=None) -> Case:  # type: ignore[no-untyped-def]
    actor = actor or cast.officer
    issue = case.issues.get()
    case = case_services.case_record_findings(
        acting_user=actor,
        case=case,
        issue_findings={
            issue.pk: ("Staff did not explain the plan before the move.", "upheld" if upheld else "not_upheld")
        },
        outcome="upheld" if upheld else "not_upheld",
        how_considered="We read the records and spoke with the nurse in charge and the consultant.",
        completed_on=date(2026, 11, 20),
    )
    if upheld:
        case_services.case_add_promised_action(
            acting_user=actor,
            case=case,
            description="Brief all ward staff on explaining transfers",
            owner="Ward manager",
            due_date=date(2027, 1, 31),
        )
    return case


def sign(cast: Cast, letter: Letter) -> Letter:
    letter = services.letter_submit(
        acting_user=cast.officer if letter.case.site == cast.rgh else cast.manager, letter=letter
    )
    return services.letter_sign(acting_user=cast.manager, letter=letter)


def test_templates_ship_for_both_packs_and_languages(db: None) -> None:
    services.templates_sync()
    for pack in ("england_nhs", "us_cms"):
        for language in ("en", "es"):
            assert LetterTemplate.objects.filter(pack=pack, kind="final_response", language=language).exists()


def test_the_england_final_response_pdf_holds_every_required_element(cast: Cast, england: Case) -> None:
    letter = sign(cast, services.letter_draft(acting_user=cast.officer, case=england, kind="final_response"))
    assert letter.status == LetterStatus.SIGNED
    assert hashlib.sha256(letter.pdf.open("rb").read()).hexdigest() == letter.pdf_sha256
    text = pdf_text(letter)
    for element in (
        "Mona Manager",
        "Chief Executive",
        "spoke with the nurse in charge",
        "Transfer not explained",
        "Staff did not explain the plan",
        "Upheld",
        "Brief all ward staff on explaining transfers",
        "Parliamentary and Health Service Ombudsman",
        england.reference,
        "Page 1 of",
    ):
        assert element in text, element


def test_the_us_final_response_pdf_holds_every_required_element(cast: Cast, us_case: Case) -> None:
    letter = sign(cast, services.letter_draft(acting_user=cast.manager, case=us_case, kind="final_response"))
    text = pdf_text(letter)
    for element in (
        "Dana Advocate",
        "spoke with the nurse in charge",
        "Discharged too early",
        "Not upheld",
        "November 20, 2026",
        "Harbor QIO Partners",
        "State Department of Health",
    ):
        assert element in text, element


def test_a_spanish_letter_has_spanish_dates_and_outcomes(cast: Cast, us_case: Case) -> None:
    letter = services.letter_draft(acting_user=cast.manager, case=us_case, kind="final_response", language="es")
    assert "20 de noviembre de 2026" in letter.body_html
    assert "No fundada" in letter.body_html
    assert services.letter_submit(acting_user=cast.manager, letter=letter).status == LetterStatus.AWAITING_SIGNOFF


def _strip(letter: Letter, fragment: str, cast: Cast) -> Letter:
    body = letter.body_html.replace(fragment, "")
    assert body != letter.body_html, fragment
    return services.letter_edit(
        acting_user=letter.drafted_by,
        letter=letter,
        subject=letter.subject,
        body_html=body,
        expected_version=letter.version,
        large_print=False,
    )


ENGLAND_BREAKS = [
    ("the site's responsible person", lambda cast, case: _unset(cast.rgh, "responsible_person")),
    ("how the complaint was considered", lambda cast, case: Case.objects.filter(pk=case.pk).update(how_considered="")),
    ("the conclusions on every issue", lambda cast, case: case.issues.update(outcome="")),
    ("confirmation of the actions", lambda cast, case: case.promised_actions.all().delete()),
    ("Ombudsman (PHSO) paragraph", "Parliamentary and Health Service Ombudsman"),
]

US_BREAKS = [
    ("hospital contact person", "Dana Advocate"),
    ("steps taken to investigate", lambda cast, case: Case.objects.filter(pk=case.pk).update(how_considered="")),
    ("results of the grievance process", lambda cast, case: Case.objects.filter(pk=case.pk).update(outcome="")),
    ("date of completion", "November 20, 2026"),
    ("a result for every issue", lambda cast, case: case.issues.update(finding="")),
    ("the QIO paragraph", "Harbor QIO Partners"),
    ("State survey agency contact", "State Department of Health"),
]


def _unset(site, field: str) -> None:  # type: ignore[no-untyped-def]
    setattr(site, field, None)
    site.save()


def _break(cast: Cast, case: Case, letter: Letter, how) -> Letter:  # type: ignore[no-untyped-def]
    if isinstance(how, str):
        return _strip(letter, how, cast)
    how(cast, case)
    return Letter.objects.get(pk=letter.pk)


@pytest.mark.parametrize(("element", "how"), ENGLAND_BREAKS, ids=[e for e, _ in ENGLAND_BREAKS])
def test_an_england_final_response_missing_an_element_is_refused_naming_it(
    cast: Cast, england: Case, element: str, how
) -> None:  # type: ignore[no-untyped-def]
    letter = services.letter_draft(acting_user=cast.officer, case=england, kind="final_response")
    letter = _break(cast, england, letter, how)
    with pytest.raises(ApplicationError) as refused:
        services.letter_submit(acting_user=cast.officer, letter=letter)
    assert element in refused.value.message
    assert len(refused.value.extra["missing"]) == 1


@pytest.mark.parametrize(("element", "how"), US_BREAKS, ids=[e for e, _ in US_BREAKS])
def test_a_us_final_response_missing_an_element_is_refused_naming_it(
    cast: Cast, us_case: Case, element: str, how
) -> None:  # type: ignore[no-untyped-def]
    letter = services.letter_draft(acting_user=cast.manager, case=us_case, kind="final_response")
    letter = _break(cast, us_case, letter, how)
    with pytest.raises(ApplicationError) as refused:
        services.letter_submit(acting_user=cast.manager, letter=letter)
    assert element in refused.value.message
    assert len(refused.value.extra["missing"]) == 1


def test_in_england_only_the_responsible_person_can_sign_a_final_response(cast: Cast, england: Case) -> None:
    from liaison.accounts.services import user_create

    other_manager = user_create(
        acting_user=None,
        email="m2@rgh.example",
        full_name="Max Manager",
        password=None,
        roles=["manager"],
        sites=[cast.rgh],
    )
    letter = services.letter_submit(
        acting_user=cast.officer,
        letter=services.letter_draft(acting_user=cast.officer, case=england, kind="final_response"),
    )
    with pytest.raises(ApplicationError, match="responsible person"):
        services.letter_sign(acting_user=other_manager, letter=letter)
    with pytest.raises(ApplicationError, match="Only a manager"):
        services.letter_sign(acting_user=cast.officer, letter=letter)


def test_a_signed_letter_never_changes(cast: Cast, england: Case) -> None:
    letter = sign(cast, services.letter_draft(acting_user=cast.officer, case=england, kind="final_response"))
    with pytest.raises(ApplicationError, match="Only a draft"):
        services.letter_edit(
            acting_user=cast.officer,
            letter=letter,
            subject="x",
            body_html="<p>x</p>",
            expected_version=letter.version,
            large_print=False,
        )
    with pytest.raises(ApplicationError):
        services.letter_sign(acting_user=cast.manager, letter=letter)


def test_edits_are_sanitised(cast: Cast, england: Case) -> None:
    letter = services.letter_draft(acting_user=cast.officer, case=england, kind="acknowledgement")
    letter = services.letter_edit(
        acting_user=cast.officer,
        letter=letter,
        subject="Hello",
        body_html='<p onclick="x()">Kept <strong>bold</strong></p><script>alert(1)</script><img src=x onerror=y><a href="http://evil">link</a>',
        expected_version=letter.version,
        large_print=True,
    )
    assert letter.body_html == "<p>Kept <strong>bold</strong></p>link"


def test_the_acknowledgement_is_emailed_with_its_pdf_and_acknowledges_the_case(
    cast: Cast, england: Case, smtp_server, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    Case.objects.filter(pk=england.pk).update(status="new")
    case = Case.objects.get(pk=england.pk)
    letter = services.letter_draft(acting_user=cast.officer, case=case, kind="acknowledgement")
    letter = sign(cast, letter)
    with django_capture_on_commit_callbacks(execute=True):
        services.letter_send(acting_user=cast.officer, letter=letter, by="email")
    [message] = smtp_server.to("nora@example.com")
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert hashlib.sha256(attachment.get_content()).hexdigest() == letter.pdf_sha256
    assert case.reference in message["Subject"]
    case.refresh_from_db()
    assert case.status == "acknowledged"


def test_a_manager_edits_a_template_as_a_new_version(cast: Cast) -> None:
    services.templates_sync()
    template = LetterTemplate.objects.get(pack="england_nhs", kind="acknowledgement", language="en", version=1)
    with pytest.raises(ApplicationError, match="Only a manager"):
        services.template_update(acting_user=cast.officer, template=template, subject="x", body="<p>x</p>")
    with pytest.raises(ApplicationError, match="error"):
        services.template_update(acting_user=cast.manager, template=template, subject="x", body="{% if %}")
    new = services.template_update(
        acting_user=cast.manager, template=template, subject="Thank you", body="<p>Dear {{ recipient.name }},</p>"
    )
    assert new.version == 2 and LetterTemplate.objects.get(pk=template.pk).body == template.body
