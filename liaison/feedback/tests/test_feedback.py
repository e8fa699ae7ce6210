"""Surveys, answers, corrections, the closed loop and the dashboard."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from conftest import Cast
from liaison.cases.models import Case
from liaison.feedback import selectors, services, tallies
from liaison.feedback.corrections import load_corrections
from liaison.feedback.models import FeedbackResponse


@pytest.fixture
def survey(cast: Cast):  # type: ignore[no-untyped-def]
    survey = services.survey_create(
        acting_user=cast.officer, site=cast.rgh, title="Your visit to the Emergency Department", department=cast.ed
    )
    services.survey_add_question(
        acting_user=cast.officer, survey=survey, kind="fft", text="Overall, how was your experience?", required=True
    )
    services.survey_add_question(
        acting_user=cast.officer, survey=survey, kind="likelihood", text="How likely are you to recommend us?"
    )
    services.survey_add_question(
        acting_user=cast.officer,
        survey=survey,
        kind="multiple",
        text="What did you come for?",
        choices=["Injury", "Illness", "Other"],
    )
    services.survey_add_question(acting_user=cast.officer, survey=survey, kind="text", text="Tell us more")
    return survey


def answer(survey, **extra):  # type: ignore[no-untyped-def]
    questions = {q.kind: q for q in survey.questions.all()}
    data = {
        str(questions["fft"].pk): "5",
        str(questions["likelihood"].pk): "2",
        str(questions["multiple"].pk): ["Injury"],
        str(questions["text"].pk): "Nobody told me why I waited.",
    }
    data.update(extra)
    return Client().post(reverse("feedback:answer", args=[survey.public_key]), data)


def test_a_survey_answered_anonymously_is_stored_with_site_department_and_scores(cast: Cast, survey) -> None:
    response = answer(survey, name="Should Not Keep", email="no@example.com")
    assert response.status_code == 302
    stored = FeedbackResponse.objects.get()
    assert (stored.site, stored.department, stored.fft_score, stored.likelihood, stored.channel) == (
        cast.rgh,
        cast.ed,
        5,
        2,
        "web",
    )
    assert stored.comment == "Nobody told me why I waited."
    assert stored.comment_question == "Tell us more"  # the text model reads the answer with its question
    assert (stored.contact_consent, stored.contact_name, stored.contact_email) == (False, "", "")


def test_a_required_question_and_contact_without_details_are_explained(cast: Cast, survey) -> None:
    fft = survey.questions.get(kind="fft")
    page = (
        Client()
        .post(reverse("feedback:answer", args=[survey.public_key]), {str(fft.pk): "", "consent": "on"})
        .content.decode()
    )
    assert "This field is required" in page and "give us an email address or a phone number" in page
    assert not FeedbackResponse.objects.exists()


def test_a_very_negative_answer_with_consent_opens_one_concern_linked_to_it(cast: Cast, survey) -> None:
    answer(survey, consent="on", name="Jo Feedback", email="jo@example.com")
    response = FeedbackResponse.objects.get()
    response.sentiment = 5
    response.save()
    case = services.close_the_loop(response=response)
    assert case is not None and (case.case_type, case.channel, case.site, case.owner) == (
        "concern",
        "survey",
        cast.rgh,
        None,
    )
    assert case.complainant_email == "jo@example.com" and case.account == "Nobody told me why I waited."
    assert services.close_the_loop(response=FeedbackResponse.objects.get()) is None
    assert Case.objects.count() == 1 and FeedbackResponse.objects.get().case == case


def test_no_case_for_an_anonymous_answer(cast: Cast, survey) -> None:
    answer(survey)
    response = FeedbackResponse.objects.get()
    response.sentiment = 5
    response.save()
    assert services.close_the_loop(response=response) is None
    assert not Case.objects.exists()


def test_an_officers_correction_is_kept_and_feeds_training(cast: Cast, survey, as_user) -> None:
    answer(survey)
    response = FeedbackResponse.objects.get()
    client = as_user(cast.officer)
    result = client.post(
        reverse("feedback:response", args=[response.pk]),
        {
            "themes": ["Timeliness of care", "Being kept informed, clarity & consistency of information"],
            "sentiment": "4",
        },
    )
    assert result.status_code == 302
    response.refresh_from_db()
    assert response.corrected_by == cast.officer and response.sentiment == 4
    assert list(load_corrections()) == [
        (
            "Nobody told me why I waited.",
            ["Being kept informed, clarity & consistency of information", "Timeliness of care"],
            4,
        )
    ]


def test_the_dashboard_counts_fft_and_likelihood(cast: Cast, survey, as_user) -> None:
    for fft, ltr in [(1, 10), (2, 9), (5, 0), (6, 7)]:
        FeedbackResponse.objects.create(
            site=cast.rgh,
            department=cast.ed,
            received_on=date(2026, 11, 1),
            fft_score=fft,
            likelihood=ltr,
            themes=["Timeliness of care"],
            sentiment=2,
            comment="ok",
        )
    tallies.rebuild()  # rows written directly: count them as the services would have
    data = selectors.dashboard(scope=selectors.DashboardScope(site_ids=(cast.rgh.pk,)))
    assert data.total == 4 and data.fft_positive == 50 and data.fft_negative == 25
    assert data.likelihood_score == 25  # 2 promoters, 1 detractor of 4
    page = as_user(cast.executive).get(reverse("feedback:dashboard")).content.decode()
    assert "50%" in page and "Timeliness of care" in page and "<svg" in page


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("officer", 200),
        ("manager", 200),
        ("executive", 404),
        ("investigator", 404),
        ("auditor", 404),
        ("outsider", 404),
    ],
)
def test_who_may_see_an_answer(cast: Cast, survey, as_user, role: str, status: int) -> None:
    answer(survey)
    response = FeedbackResponse.objects.get()
    assert as_user(getattr(cast, role)).get(reverse("feedback:response", args=[response.pk])).status_code == status


def test_improvement_action_from_feedback_to_the_public_page(cast: Cast, survey, as_user) -> None:
    from liaison.improvement import services as improvement
    from liaison.lib.errors import ApplicationError

    answer(survey)
    response = FeedbackResponse.objects.get()
    action = improvement.action_create(
        acting_user=cast.officer,
        site=cast.rgh,
        what="Show waiting times on a screen",
        why="Patients not told why they wait",
        owner=cast.manager,
        due_date=date(2027, 1, 31),
        feedback=[response],
    )
    assert list(action.feedback.all()) == [response]
    public = Client().get(reverse("improvement:you-said-we-did", args=["RGH"])).content.decode()
    assert "Show waiting times" not in public
    with pytest.raises(ApplicationError, match="both"):
        improvement.action_complete(
            acting_user=cast.officer,
            action=action,
            evidence="Screen installed 3 Dec",
            public=True,
            you_said="We were not told why we waited",
        )
    improvement.action_complete(
        acting_user=cast.officer,
        action=action,
        evidence="Screen installed 3 Dec",
        public=True,
        you_said="We were not told why we waited",
        we_did="A screen now shows waiting times",
    )
    public = Client().get(reverse("improvement:you-said-we-did", args=["RGH"])).content.decode()
    assert "We were not told why we waited" in public and "A screen now shows waiting times" in public
    assert "Screen installed 3 Dec" not in public
