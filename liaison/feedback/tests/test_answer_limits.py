"""Public survey answers are throttled like the complaint form: a burst from one connection is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import Cast
from liaison.feedback.models import FeedbackResponse, Survey
from liaison.feedback.tests.test_feedback import survey  # noqa: F401  (the fixture)


def _post(survey: Survey, *, address: str, language: str = "en") -> Any:  # noqa: F811
    fft = survey.questions.get(kind="fft")
    client = Client(REMOTE_ADDR=address, headers={"Accept-Language": language})
    return client.post(reverse("feedback:answer", args=[survey.public_key]), {str(fft.pk): "1"})


@pytest.mark.django_db
def test_it_refuses_a_burst_of_answers_from_one_connection_in_the_visitors_language(
    cast: Cast,
    survey: Survey,  # noqa: F811
    settings: Any,
) -> None:
    settings.LIAISON_PUBLIC_SURVEY_ANSWERS_PER_ADDRESS = 20
    statuses = [_post(survey, address="203.0.113.7").status_code for _ in range(20)]
    assert statuses == [302] * 20
    refused = _post(survey, address="203.0.113.7", language="es")
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Inténtelo de nuevo más tarde" in page and "Su respuesta no se ha guardado" in page
    assert FeedbackResponse.objects.filter(survey=survey).count() == 20  # the refused answer was not kept
    # Someone else on another connection is not held up by it.
    assert _post(survey, address="198.51.100.4").status_code == 302
    assert FeedbackResponse.objects.filter(survey=survey).count() == 21


@pytest.mark.django_db
def test_it_refuses_a_flood_to_one_survey_from_many_connections(
    cast: Cast,
    survey: Survey,  # noqa: F811
    settings: Any,
) -> None:
    settings.LIAISON_PUBLIC_SURVEY_ANSWERS_PER_SURVEY = 5
    statuses = [_post(survey, address=f"198.51.100.{n}").status_code for n in range(1, 8)]
    assert statuses == [302] * 5 + [429] * 2
    assert FeedbackResponse.objects.filter(survey=survey).count() == 5
