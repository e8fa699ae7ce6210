"""The public survey in Spanish: every word of ours is Spanish (scales, buttons, errors, headings), while the
questions staff wrote keep their own words, marked as English so that a screen reader says them in English."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import Cast
from liaison.feedback import services
from liaison.feedback.models import QuestionKind, Survey

# Our words on the survey page, as an English reader sees them.
OUR_ENGLISH = [
    "Very good",
    "Very poor",
    "Don&#x27;t know",
    "Strongly agree",
    "not at all likely",
    " Yes ",
    "You may contact me",
    "Your name",
    "Your answers are anonymous",
    " Send ",
]


def words(page: str) -> str:
    """What a reader sees: the page without its tags (an answer's stored value stays English, out of sight)."""
    return re.sub(r"<[^>]*>", " ", page)


@pytest.fixture
def survey(cast: Cast) -> Survey:
    survey = services.survey_create(acting_user=cast.officer, site=cast.rgh, title="Your visit", intro="Tell us.")
    for kind, text, choices in [
        (QuestionKind.FFT, "Overall, how was your experience?", []),
        (QuestionKind.LIKERT, "Staff explained things well", []),
        (QuestionKind.LIKELIHOOD, "Would you recommend us?", []),
        (QuestionKind.YES_NO, "Were you seen on time?", []),
        (QuestionKind.SINGLE, "Which entrance did you use?", ["Main entrance", "Car park"]),
    ]:
        services.survey_add_question(
            acting_user=cast.officer, survey=survey, kind=kind, text=text, choices=choices, required=True
        )
    return survey


def test_the_survey_page_speaks_spanish_around_the_questions_staff_wrote(client: Client, survey: Survey) -> None:
    page = client.get(reverse("feedback:answer", args=[survey.public_key]), HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert '<html lang="es">' in page
    for spanish in [
        "Muy buena",
        "Ni buena ni mala",
        "Muy mala",
        "No lo sé",
        "Totalmente de acuerdo",
        "0 = nada probable, 10 = extremadamente probable",
        "Sí",
        "Pueden ponerse en contacto conmigo sobre mis respuestas",
        "Su nombre",
        "Sus respuestas son anónimas",
        "Enviar",
    ]:
        assert spanish in page, spanish
    for english in OUR_ENGLISH:
        assert english not in words(page), english
    # What staff wrote stays as written, and says which language it is in.
    assert '<span lang="en">Overall, how was your experience?</span>' in page
    assert '<span lang="en">Main entrance</span>' in page
    assert '<h1 lang="en">Your visit</h1>' in page


def test_the_survey_explains_its_errors_in_spanish(client: Client, survey: Survey) -> None:
    page = client.post(
        reverse("feedback:answer", args=[survey.public_key]), {"consent": "on"}, HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()

    assert "Hay un problema" in page
    assert "Este campo es obligatorio." in page
    assert "Para que podamos ponernos en contacto con usted, indíquenos un correo electrónico o un teléfono." in page
    assert "There is a problem" not in page
    assert "This field is required." not in page
    assert "To be contacted" not in page
    assert not survey.responses.exists()


def test_the_thanks_and_closed_pages_are_spanish(client: Client, cast: Cast, survey: Survey) -> None:
    thanks = client.get(
        reverse("feedback:answer-thanks", args=[survey.public_key]), HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "Sus respuestas nos ayudan a mejorar la atención para todos." in thanks
    assert "Vea lo que hemos cambiado gracias a sus opiniones" in thanks
    assert "Your answers help us" not in thanks

    Survey.objects.filter(pk=survey.pk).update(is_open=False)
    closed = client.get(
        reverse("feedback:answer", args=[survey.public_key]), HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "Esta encuesta ya está cerrada" in closed
    assert "This survey has closed" not in closed


def test_the_survey_stays_english_for_english_readers(client: Client, survey: Survey) -> None:
    page = client.get(reverse("feedback:answer", args=[survey.public_key]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page
    for english in OUR_ENGLISH:
        assert english in words(page), english
    assert "Muy buena" not in page
    # On an English page the questions need no language of their own.
    assert "<h1>Your visit</h1>" in page
    assert 'lang="en">Overall' not in page
