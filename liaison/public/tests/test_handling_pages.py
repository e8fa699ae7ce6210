"""The complainant's survey on how their complaint was handled, as they meet it: the link in the email, the
code from a letter, the three questions, and every way it can go wrong, read back from the database."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case
from liaison.feedback import handling
from liaison.feedback.models import HandlingAnswer
from liaison.feedback.tests.test_handling_survey import CLOSED, LINK, closed_case, sweep, text_of

SURVEY = "/how-we-did/"
GOOD = {
    "form": "survey",
    "overall": "2",
    "kept_informed": "no",
    "addressed": "partly",
    "comment": "Nobody rang me back for weeks.",
}


@contextmanager
def days_later(days: int = 2) -> Iterator[None]:
    with time_machine.travel(CLOSED + timedelta(days=days), tick=False):
        yield


def invite(cast: Cast, smtp_server: Any, **fields: Any) -> tuple[Case, str]:
    """A closed complaint whose complainant was emailed by the sweep; the link's path, as the email gives it."""
    address = fields.setdefault("patient_email", "ada@example.com")
    case = closed_case(cast, CLOSED, **fields)
    sweep(CLOSED + timedelta(hours=1))
    [message] = smtp_server.to(address)
    [path] = LINK.findall(text_of(message))
    return case, path


def opened(path: str, client: Client | None = None) -> Client:
    client = client or Client()
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == SURVEY
    assert response["Referrer-Policy"] == "no-referrer"
    return client


def page_text(response: Any) -> str:
    return str(response.content.decode())


# -- The way it should go ---------------------------------------------------------------------------------------


def test_the_survey_records_the_answers_and_says_thank_you(cast: Cast, smtp_server: Any) -> None:
    case, path = invite(cast, smtp_server)
    with days_later():
        client = opened(path)
        page = client.get(SURVEY)
        assert page.status_code == 200 and page["Referrer-Policy"] == "no-referrer"
        assert "no-store" in page["Cache-Control"]
        text = page_text(page)
        # Three questions, each a group of choices with its question as the legend; the comment is labelled.
        assert text.count("<fieldset") == 3
        assert "<legend>1. Overall, how satisfied are you with the way we handled your complaint?</legend>" in text
        assert "<legend>2. Did we keep you informed while we looked into your complaint?</legend>" in text
        assert "<legend>3. Did our response deal with all the points you raised?</legend>" in text
        assert '<label for="id_comment">' in text
        for value, label in [("5", "Very satisfied"), ("1", "Very dissatisfied")]:
            assert re.search(rf'<label for="id_overall_\d"><input [^>]*value="{value}"[^>]*> {label}</label>', text)
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
        assert "<script" not in text
        assert case.reference in text
        assert "You can answer once, until 13 June 2026." in text

        sent = client.post(SURVEY, GOOD)
        assert sent.status_code == 302 and sent["Location"] == reverse("public:handling-thanks")
        thanks = client.get(sent["Location"])
        assert thanks.status_code == 200 and "Thank you for your answers" in page_text(thanks)

    [saved] = HandlingAnswer.objects.all()
    assert saved.invitation.case == case
    assert (saved.overall, saved.kept_informed, saved.addressed) == (2, "no", "partly")
    assert (saved.comment, saved.language) == ("Nobody rang me back for weeks.", "en")
    assert AuditEvent.objects.filter(action="public.handling_answer", object_id=str(saved.invitation_id)).count() == 1
    # What the office sees is the total, not the answer.
    measure = handling.handling_satisfaction([cast.rgh.pk], date(2026, 4, 1), date(2026, 4, 30))
    assert (measure["invited"], measure["answered"], measure["satisfied"]) == (1, 1, 0)


def test_the_code_from_a_letter_can_be_typed_in_with_or_without_dashes(cast: Cast) -> None:
    with time_machine.travel(CLOSED - timedelta(days=5), tick=False):
        case = closed_case(cast, CLOSED - timedelta(days=5))
        code = handling.handling_letter_values(case, "final_response")["satisfaction_survey"]["code"]
    typed = " " + code.replace("-", "").lower()[:10] + " " + code.replace("-", "").lower()[10:] + " "
    with days_later():
        client = Client()
        entry = client.get(SURVEY)
        assert entry.status_code == 200
        assert '<label for="id_code">Your survey code</label>' in page_text(entry)
        posted = client.post(SURVEY, {"code": typed})
        assert posted.status_code == 302 and posted["Location"] == SURVEY
        assert "<legend>1. Overall" in page_text(client.get(SURVEY))
        assert client.post(SURVEY, {**GOOD, "overall": "5"}).status_code == 302
    assert HandlingAnswer.objects.get(invitation__case=case).overall == 5


def test_the_survey_speaks_the_complainant_s_language_unless_they_chose_another(cast: Cast, smtp_server: Any) -> None:
    _case, path = invite(cast, smtp_server, preferred_language="es")
    with days_later():
        client = opened(path)
        page = page_text(client.get(SURVEY))
        assert '<html lang="es">' in page
        for spanish in [
            "¿Cómo gestionamos su queja?",
            "En general, ¿qué grado de satisfacción tiene con la forma en que gestionamos su queja?",
            "Muy satisfecho/a",
            "Ni satisfecho/a ni insatisfecho/a",
            "En parte",
            "Enviar mis respuestas",
            "Puede responder una sola vez, hasta el 13 de junio de 2026.",
        ]:
            assert spanish in page, spanish
        errors = page_text(client.post(SURVEY, {}))
        assert "Indique su grado de satisfacción." in errors and "Elija sí, en parte o no." in errors
        # The language buttons set a cookie: the visitor's choice wins.
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = page_text(client.get(SURVEY))
        assert '<html lang="en">' in english and "How did we handle your complaint?" in english
        assert client.post(SURVEY, GOOD).status_code == 302
    assert HandlingAnswer.objects.get().language == "en"


# -- The ways it can go wrong -----------------------------------------------------------------------------------


def test_a_second_answer_is_refused_kindly(cast: Cast, smtp_server: Any) -> None:
    _case, path = invite(cast, smtp_server)
    with days_later():
        first = opened(path)
        second = opened(path)  # the same link, opened again in another browser before the first answer
        assert first.post(SURVEY, GOOD).status_code == 302
        refused = second.post(SURVEY, {**GOOD, "overall": "5", "comment": "Changed my mind."})
        assert refused.status_code == 200
        text = page_text(refused)
        assert "You have already answered" in text and "we keep only the first ones" in text
        assert "<form" not in text.split("<main", 1)[1]
        # Clicking the link in the email again says the same.
        again = opened(path).get(SURVEY)
        assert "You have already answered" in page_text(again)
    [kept] = HandlingAnswer.objects.all()
    assert (kept.overall, kept.comment) == (2, "Nobody rang me back for weeks.")


def test_an_expired_link_gets_a_clear_page(cast: Cast, smtp_server: Any) -> None:
    _case, path = invite(cast, smtp_server)
    with days_later(61):
        client = opened(path)
        page = client.get(SURVEY)
        assert page.status_code == 410
        text = page_text(page)
        assert "This survey has closed" in text and "The time to answer this survey" in text
        assert 'name="overall"' not in text
        assert client.post(SURVEY, GOOD).status_code == 410
    assert not HandlingAnswer.objects.exists()


@pytest.mark.parametrize(
    "code",
    [
        "ABCDE-FGHJK-LMNPQ-RSTUV",  # the right shape, but nobody's
        "x",
        "0" * 500,
        "ñandú-ü-€",
        "%00",
        "<script>alert(1)",
    ],
)
def test_an_unknown_or_mangled_code_gets_a_clear_page(cast: Cast, code: str) -> None:
    client = Client()
    response = client.get(f"/how-we-did/{quote(code, safe='')}/")
    assert response.status_code == 302 and response["Location"] == SURVEY
    page = client.get(SURVEY)
    assert page.status_code == 200
    text = page_text(page)
    assert "We could not find this survey" in text and 'name="code"' in text
    assert "<script>alert" not in text
    # Typed in: the same answer, or, for what cannot be a code at all, the form says what is wrong.
    typed = client.post(SURVEY, {"code": code})
    if typed.status_code == 302:
        assert "We could not find this survey" in page_text(client.get(SURVEY))
    else:
        assert typed.status_code == 200
        assert "Ensure this value has at most 40 characters" in page_text(typed)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({**GOOD, "overall": ""}, "Choose how satisfied you are."),
        ({k: v for k, v in GOOD.items() if k != "overall"}, "Choose how satisfied you are."),
        ({**GOOD, "overall": "9"}, "Choose one of the answers shown."),
        ({**GOOD, "overall": "five"}, "Choose one of the answers shown."),
        ({**GOOD, "overall": "-1"}, "Choose one of the answers shown."),
        ({**GOOD, "overall": "1e309"}, "Choose one of the answers shown."),
        ({**GOOD, "overall": "\x00"}, "Choose"),
        ({**GOOD, "kept_informed": "maybe"}, "Choose one of the answers shown."),
        ({**GOOD, "addressed": ""}, "Choose yes, partly or no."),
        ({**GOOD, "comment": "x" * 2001}, "Please keep your comment to 2,000 characters or fewer (it has 2001)."),
    ],
)
def test_hostile_answers_get_clear_errors_and_nothing_is_saved(
    cast: Cast, smtp_server: Any, data: dict[str, str], error: str
) -> None:
    _case, path = invite(cast, smtp_server)
    with days_later():
        client = opened(path)
        response = client.post(SURVEY, data)
    assert response.status_code == 200
    text = page_text(response)
    assert '<div class="error-summary" role="alert"' in text and error in text
    # Each error in the summary leads to a field that exists on the page.
    for target in re.findall(r'<li><a href="#([^"]+)">', text):
        assert f'id="{target}"' in text, target
    assert not HandlingAnswer.objects.exists()


def test_two_values_for_one_question_and_control_characters_are_handled(cast: Cast, smtp_server: Any) -> None:
    _case, path = invite(cast, smtp_server)
    with days_later():
        client = opened(path)
        response = client.post(
            SURVEY,
            {**GOOD, "overall": ["4", "1"], "comment": "Fine\x00 <b>really</b>\x07"},
        )
    assert response.status_code == 302
    saved = HandlingAnswer.objects.get()
    assert saved.overall == 1  # a form takes the last of repeated values, as Django does everywhere
    assert saved.comment == "Fine <b>really</b>"


def test_the_code_is_never_logged_and_leaves_the_address_bar_at_once(
    cast: Cast, smtp_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _case, path = invite(cast, smtp_server)
    code = path.split("/")[2]
    caplog.set_level(logging.DEBUG)
    for name in ("django.request", "django.server", "liaison"):
        caplog.set_level(logging.DEBUG, logger=name)
    with days_later(61):  # expired: the most likely link to be tried and fail
        client = opened(path)
        client.get(SURVEY)
    with days_later():
        client = opened(path)
        client.get(SURVEY)
        client.post(SURVEY, GOOD)
        opened(path).get(SURVEY)
        opened("/how-we-did/ABCDE-FGHJK-LMNPQ-RSTUV/").get(SURVEY)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    assert caplog.records, "the walk logged nothing at all: the check would prove nothing"
    assert code not in logged and code.replace("-", "") not in logged
    assert "ABCDE-FGHJK-LMNPQ-RSTUV" not in logged


def test_too_many_codes_from_one_address_are_refused_for_an_hour(cast: Cast, smtp_server: Any, settings: Any) -> None:
    settings.LIAISON_PUBLIC_PROGRESS_CHECKS_PER_ADDRESS = 3
    _case, path = invite(cast, smtp_server)
    with days_later():
        client = Client()
        for guess in ("AAAAA-AAAAA-AAAAA-AAAAA", "BBBBB-BBBBB-BBBBB-BBBBB", "CCCCC-CCCCC-CCCCC-CCCCC"):
            client.post(SURVEY, {"code": guess})
            assert "We could not find this survey" in page_text(client.get(SURVEY))
        # The fourth try within the hour is refused, even with the right code.
        opened(path, client)
        busy = client.get(SURVEY)
        assert busy.status_code == 429 and "too many attempts" in page_text(busy)
    with days_later(2 + 1):  # a day later the right code opens the survey
        opened(path, client)
        assert 'name="overall"' in page_text(client.get(SURVEY))


def test_answers_survive_the_session_running_out_while_the_page_is_open(cast: Cast, smtp_server: Any) -> None:
    _case, path = invite(cast, smtp_server)
    with days_later():
        page = page_text(opened(path).get(SURVEY))
        found = re.search(r'<input type="hidden" name="code" value="([A-Z2-9-]+)">', page)
        assert found is not None and found.group(1) == path.split("/")[2]
        # Twenty minutes of writing later the session is gone (15 idle minutes): the form still knows its survey.
        fresh = Client()
        sent = fresh.post(SURVEY, {**GOOD, "code": found.group(1)})
        assert sent.status_code == 302 and sent["Location"] == reverse("public:handling-thanks")
        # A made-up code in the same form opens nothing and saves nothing.
        stranger = Client().post(SURVEY, {**GOOD, "code": "ABCDE-FGHJK-LMNPQ-RSTUV"})
        assert stranger.status_code == 200 and "We could not find this survey" in page_text(stranger)
    [saved] = HandlingAnswer.objects.all()
    assert (saved.overall, saved.comment) == (2, "Nobody rang me back for weeks.")


def test_the_thank_you_page_needs_an_answer_first(cast: Cast) -> None:
    response = Client().get(reverse("public:handling-thanks"))
    assert response.status_code == 302 and response["Location"] == SURVEY


# -- Anonymous to the officer -----------------------------------------------------------------------------------


def test_the_officer_sees_no_answer_on_the_case_or_the_feedback_pages(
    cast: Cast, smtp_server: Any, as_user: Any
) -> None:
    case, path = invite(cast, smtp_server)
    comment = "The officer Olive was rude to me on the phone."
    with days_later():
        client = opened(path)
        assert client.post(SURVEY, {**GOOD, "overall": "1", "comment": comment}).status_code == 302
    assert HandlingAnswer.objects.filter(comment=comment).exists()

    for user in (cast.officer, cast.manager):
        staff = as_user(user)
        pages = [
            staff.get(reverse("cases:detail", args=[case.reference])),
            staff.get(reverse("feedback:responses")),
            staff.get(reverse("feedback:dashboard")),
        ]
        for page in pages:
            assert page.status_code == 200
            text = page_text(page)
            assert "Olive was rude" not in text
            assert "Very dissatisfied" not in text
            assert "how we handled" not in text.lower()
