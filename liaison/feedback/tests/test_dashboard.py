"""The feedback dashboard: executives see themes and counts, and comments only with the people taken out."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import Cast
from liaison.feedback import services
from liaison.feedback.models import FeedbackResponse

COMMENT = (
    "Mrs Jane Doe on ward 5 was left in a wet bed all night. Ring her son on 07700 900456 or write to "
    "jane.doe@example.org; her NHS number is 943 476 5919. Peter Quigley, her neighbour, saw it all."
)
IDENTIFIERS = ("Jane", "Doe", "07700 900456", "jane.doe@example.org", "943 476 5919", "Quigley")
THEMES = ["Timeliness of care", "Being kept informed, clarity & consistency of information"]


@pytest.fixture
def named_comment(cast: Cast) -> FeedbackResponse:
    survey = services.survey_create(acting_user=cast.officer, site=cast.rgh, title="Your stay", department=cast.ed)
    fft = services.survey_add_question(acting_user=cast.officer, survey=survey, kind="fft", text="Overall?")
    text = services.survey_add_question(acting_user=cast.officer, survey=survey, kind="text", text="Tell us more")
    # The neighbour agreed to be contacted, so their name is stored with the answer.
    posted = Client().post(
        reverse("feedback:answer", args=[survey.public_key]),
        {str(fft.pk): "5", str(text.pk): COMMENT, "consent": "on", "name": "Peter Quigley", "email": "pq@example.net"},
    )
    assert posted.status_code == 302
    response = FeedbackResponse.objects.get()
    return services.response_correct(acting_user=cast.officer, response=response, themes=THEMES, sentiment=4)


@pytest.mark.parametrize("role", ["officer", "manager"])
def test_those_who_work_on_feedback_see_the_comment_as_written(
    cast: Cast, named_comment: FeedbackResponse, as_user, role: str
) -> None:
    page = as_user(getattr(cast, role)).get(reverse("feedback:dashboard")).content.decode()
    for value in IDENTIFIERS:
        assert value in page, value


def test_an_executive_sees_themes_and_counts_but_nobody_in_the_comments(
    cast: Cast, named_comment: FeedbackResponse, as_user
) -> None:
    response = as_user(cast.executive).get(reverse("feedback:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    for value in IDENTIFIERS:
        assert value not in page, value
    assert "jane.doe" not in page.lower()
    # The themes and their counts are all there, and the comment is still readable without the people.
    assert '<th scope="row">Timeliness of care</th><td>1</td>' in page
    assert "Being kept informed, clarity &amp; consistency of information (1)" in page
    assert "[name] on ward 5 was left in a wet bed all night" in page
    assert "[phone]" in page and "[email]" in page and "[NHS number]" in page
