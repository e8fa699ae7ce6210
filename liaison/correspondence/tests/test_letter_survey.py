"""The satisfaction survey in the final response: a complainant without an email address is given the survey's
address and code in the letter (feedback's ``satisfaction_survey``, through ``register_letter_values``).

Letters are drafted, signed and read back through the real services; the invitation and its audit row are read
from the database. Riverside (RGH) writes English NHS letters, Harbor Point (HPM) US CMS ones.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone, translation

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case
from liaison.cases.services import case_open
from liaison.correspondence import services
from liaison.correspondence.content import letter_context, plain_text, sample_letter_context
from liaison.correspondence.models import Letter, LetterTemplate
from liaison.correspondence.services import LETTERS_DIR
from liaison.correspondence.tests.test_hostile_templates import _lookup, _variables_in_shipped_letters
from liaison.correspondence.tests.test_letters import (  # noqa: F401 - fixtures and helpers of the letter tests
    _investigated,
    england,
    pdf_text,
    sign,
    us_case,
)
from liaison.feedback import handling
from liaison.feedback.models import HandlingInvitation
from liaison.lib import sandbox

ADDRESS = "http://127.0.0.1:8000/how-we-did/"
CODE = r"[A-Z2-9]{5}-[A-Z2-9]{5}-[A-Z2-9]{5}-[A-Z2-9]{5}"
migration = importlib.import_module("liaison.correspondence.migrations.0003_final_response_satisfaction_survey")


@pytest.fixture
def by_post(cast: Cast, england: Case) -> Case:  # noqa: F811 - england sets up Riverside's letter settings
    """An investigated Riverside complaint whose complainant (the patient) has a postal address only."""
    case = case_open(
        acting_user=cast.officer,
        site=cast.rgh,
        case_type="complaint",
        channel="letter",
        owner=cast.officer,
        patient_name="Peggy Postonly",
        patient_address="7 Mill Lane\nMillbridge",
        account="Nobody told us my mother had been moved to another ward.",
        issues=[{"category": "communication", "severity": 2, "department": cast.ed, "summary": "Move not explained"}],
    )
    return _investigated(cast, case, upheld=True)


def draft(cast: Cast, case: Case, kind: str = "final_response", language: str | None = None) -> Letter:
    actor = cast.officer if case.site == cast.rgh else cast.manager
    return services.letter_draft(acting_user=actor, case=case, kind=kind, language=language)


def printed_code(letter: Letter, before: str) -> str:
    found = re.search(rf"{re.escape(before)} ({CODE})", plain_text(letter.body_html))
    assert found is not None, plain_text(letter.body_html)
    return found.group(1)


def last_day(invitation: HandlingInvitation, fmt: str, language: str = "en") -> str:
    with translation.override(language):
        return dateformat.format(timezone.localdate(invitation.expires_at, invitation.site.zone), fmt)


def test_the_final_response_to_a_complainant_without_email_prints_the_survey_address_and_code(
    cast: Cast, by_post: Case
) -> None:
    letter = draft(cast, by_post)

    invitation = HandlingInvitation.objects.get(case=by_post)
    text = plain_text(letter.body_html)
    code = printed_code(letter, f"please go to {ADDRESS} and enter the code")
    assert handling.invitation_for_code(code) == invitation
    assert f"to answer three short questions, until {last_day(invitation, 'j F Y')}." in text
    assert invitation.letter_link_at is not None and invitation.emailed_at is None
    assert invitation.language == "en"
    assert AuditEvent.objects.filter(
        action="feedback.handling_invite", object_id=str(invitation.pk), details__by="letter"
    ).exists()
    # The paragraph comes before the sign-off, and the signed PDF (what is posted) carries it.
    assert text.index(code) < text.index("Yours sincerely,")
    posted = "".join(pdf_text(sign(cast, letter)).split())  # a line may break inside the address or the code
    assert ADDRESS in posted and code in posted


def test_the_survey_values_are_plain_and_hold_every_variable_the_shipped_letters_use(cast: Cast, by_post: Case) -> None:
    context = letter_context(by_post, "final_response", drafted_by=cast.officer, language="en")

    sandbox.assert_plain(context)
    used = {path for path in _variables_in_shipped_letters() if path.startswith("satisfaction_survey")}
    assert used == {f"satisfaction_survey{part}" for part in ("", ".address", ".code", ".until")}
    assert sorted(path for path in used if not _lookup(context, path)) == []
    assert sorted(context["satisfaction_survey"]) == sorted(sample_letter_context()["satisfaction_survey"])


def test_drafting_the_final_response_again_prints_the_same_code(cast: Cast, by_post: Case) -> None:
    first = printed_code(draft(cast, by_post), "enter the code")
    second = printed_code(draft(cast, by_post), "enter the code")

    assert second == first
    [invitation] = HandlingInvitation.objects.filter(case=by_post)
    assert handling.invitation_for_code(second) == invitation
    assert AuditEvent.objects.filter(action="feedback.handling_invite", object_id=str(invitation.pk)).count() == 1


def test_a_spanish_us_final_response_prints_the_code_with_the_date_in_spanish(cast: Cast, us_case: Case) -> None:  # noqa: F811
    case = case_open(
        acting_user=cast.manager,
        site=cast.hpm,
        case_type="complaint",
        channel="letter",
        owner=cast.manager,
        patient_name="Rosa Sincorreo",
        patient_address="12 Harbor Way\nPort City",
        preferred_language="es",
        account="Me dieron el alta sin explicarme la medicación.",
        issues=[{"category": "safety", "severity": 2, "department": cast.hpm_er, "summary": "Alta sin explicación"}],
    )
    letter = draft(cast, _investigated(cast, case, upheld=False, actor=cast.manager))

    assert letter.language == "es"
    invitation = HandlingInvitation.objects.get(case=case)
    assert invitation.language == "es"
    code = printed_code(letter, f"visite {ADDRESS} y escriba el código")
    assert handling.invitation_for_code(code) == invitation
    until = last_day(invitation, r"j \d\e F \d\e Y", "es")
    assert re.search(
        r" de (enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre) ", until
    )
    assert f"hasta el {until}." in plain_text(letter.body_html)


def test_a_complainant_with_an_email_address_gets_no_survey_paragraph(cast: Cast, england: Case) -> None:  # noqa: F811
    letter = draft(cast, england)

    text = plain_text(letter.body_html)
    assert "Parliamentary and Health Service Ombudsman" in text  # the rest of the letter is there
    assert "how-we-did" not in text and "enter the code" not in text and "three short questions" not in text
    assert not HandlingInvitation.objects.filter(case=england).exists()


def test_an_acknowledgement_carries_no_survey_paragraph(cast: Cast, by_post: Case) -> None:
    letter = draft(cast, by_post, kind="acknowledgement")

    text = plain_text(letter.body_html)
    assert by_post.reference in text
    assert "how-we-did" not in text and "enter the code" not in text
    assert not HandlingInvitation.objects.exists()


def test_a_manager_saving_an_edited_final_response_is_checked_against_sample_survey_values(
    as_user: Any, cast: Cast, by_post: Case
) -> None:
    services.templates_sync()
    template = services.template_current(pack="england_nhs", kind="final_response", language="en")
    body = template.body.replace("We would also like to hear how you feel", "We would be grateful to know how you feel")
    assert body != template.body

    manager: Client = as_user(cast.manager)
    saved = manager.post(
        reverse("correspondence:template-edit", args=[template.pk]),
        {"subject": template.subject, "body": body, "note": "Warmer survey paragraph"},
    )

    assert saved.status_code == 302
    new = services.template_current(pack="england_nhs", kind="final_response", language="en")
    assert (new.version, new.note, new.created_by) == (template.version + 1, "Warmer survey paragraph", cast.manager)
    # It was tried on the sample values, which hold the survey: the paragraph fills in.
    sample = sandbox.render(new.body, sample_letter_context())
    survey = sample_letter_context()["satisfaction_survey"]
    assert f"enter the code <strong>{survey['code']}</strong>" in sample
    assert f"please go to {survey['address']}" in sample and "until 16 March 2026." in sample
    # ... and the next letter uses the manager's words with the case's own code.
    letter = draft(cast, by_post)
    assert letter.template == new
    assert "We would be grateful to know how you feel" in plain_text(letter.body_html)
    assert handling.invitation_for_code(printed_code(letter, "enter the code")).case_id == by_post.pk  # type: ignore[union-attr]


# -- Existing installations: the migration that adds the paragraph as a new version -----------------------------


def shipped_body(pack: str, language: str) -> str:
    return (
        (LETTERS_DIR / pack / f"final_response.{language}.html").read_text(encoding="utf-8").partition("\n")[2].strip()
    )


def test_an_existing_installation_gets_the_paragraph_as_a_new_version_unless_a_manager_wrote_the_template(
    cast: Cast,
) -> None:
    LetterTemplate.objects.filter(kind="final_response").delete()
    before: dict[tuple[str, str], str] = {}
    for (pack, language), (_sign_off, paragraph) in migration.PARAGRAPHS.items():
        # What the previous release loaded: today's file without the paragraph.
        before[pack, language] = shipped_body(pack, language).replace(paragraph, "")
        assert "satisfaction_survey" not in before[pack, language]
        LetterTemplate.objects.create(
            pack=pack, kind="final_response", language=language, version=1, subject="S", body=before[pack, language]
        )
    LetterTemplate.objects.create(
        pack="us_cms",
        kind="final_response",
        language="es",
        version=2,
        subject="S",
        body=before["us_cms", "es"] + "<p>Texto de la gerente.</p>",
        created_by=cast.manager,
    )

    migration.add_survey_paragraph(apps, None)
    migration.add_survey_paragraph(apps, None)  # running it again adds nothing

    for pack, language in [("england_nhs", "en"), ("england_nhs", "es"), ("us_cms", "en")]:
        current = services.template_current(pack=pack, kind="final_response", language=language)
        assert (current.version, current.subject, current.note) == (2, "S", migration.NOTE)
        assert current.body == shipped_body(pack, language)  # exactly what a new installation loads
        assert current.created_by is None
    kept = services.template_current(pack="us_cms", kind="final_response", language="es")
    assert (kept.version, kept.created_by) == (2, cast.manager)
    assert "satisfaction_survey" not in kept.body
    assert LetterTemplate.objects.filter(kind="final_response").count() == 8

    # Undone: the added versions go, the earlier ones stay current.
    migration.remove_survey_paragraph(apps, None)
    assert LetterTemplate.objects.filter(kind="final_response").count() == 5
    assert services.template_current(pack="england_nhs", kind="final_response", language="en").version == 1
