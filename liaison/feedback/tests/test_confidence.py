"""The model's confidence on the officers' pages: stored with each analysis, "Check this" on the answers it
was unsure of, a "needs review" filter and count, and gone once an officer has corrected the answer.

Which answers the model is unsure of is read from the model itself, never hard-coded.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.feedback import services
from liaison.feedback.models import FeedbackResponse, Survey

MARK = "Check this"
# Written for these tests: short, long, clear and muddled answers, so some are likely to leave the model unsure.
POOL = [
    "The staff were wonderful and so kind to my mum. Thank you all.",
    "Waited five hours and nobody told us anything.",
    "ok",
    "Not sure really, some good some bad.",
    "The car park was full but the nurse was lovely, food could be better.",
    "Nothing.",
    "Discharge took all day; the pharmacy lost my prescription twice.",
    "Clean ward, quiet at night, and the doctor explained my scan clearly.",
    "n/a",
    "I felt safe and listened to.",
    "Reception was rude on the phone when I tried to change my appointment.",
    "Average.",
]


@pytest.fixture
def survey(cast: Cast) -> Survey:
    survey = services.survey_create(acting_user=cast.officer, site=cast.rgh, title="Your stay", department=cast.ed)
    services.survey_add_question(acting_user=cast.officer, survey=survey, kind="fft", text="Overall?")
    services.survey_add_question(acting_user=cast.officer, survey=survey, kind="text", text="Tell us why")
    return survey


def submit(survey: Survey, comment: str, fft: int = 3) -> FeedbackResponse:
    questions = {q.kind: q for q in survey.questions.all()}
    return services.response_submit(
        survey=survey, answers={str(questions["fft"].pk): str(fft), str(questions["text"].pk): comment}, consent=False
    )


def analysed_pool(survey: Survey) -> list[FeedbackResponse]:
    responses = [submit(survey, comment, fft=1 + i % 5) for i, comment in enumerate(POOL)]
    for response in responses:
        services.response_analyse(response=response)
    return responses


def models_answer(responses: list[FeedbackResponse]) -> list[object]:
    return services.shipped_model().predict([r.comment for r in responses], [r.analysis_context for r in responses])


def listed(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/feedback/responses/(\d+)/"', page)]


def test_each_analysis_stores_the_models_confidence_and_whether_to_check_it(cast: Cast, survey: Survey) -> None:
    responses = analysed_pool(survey)
    for response, prediction in zip(responses, models_answer(responses), strict=True):
        stored = FeedbackResponse.objects.get(pk=response.pk)
        assert stored.confidence == pytest.approx(prediction.confidence, abs=1e-4)  # type: ignore[attr-defined]
        assert stored.needs_review is prediction.needs_review  # type: ignore[attr-defined]
        assert stored.themes == prediction.themes  # type: ignore[attr-defined]


def test_a_batch_of_pending_answers_is_stored_with_its_confidence(cast: Cast, survey: Survey) -> None:
    responses = [submit(survey, comment) for comment in POOL]  # queued, not analysed yet (as an import leaves them)
    assert services.analyse_pending_responses(batch_size=5) == len(POOL)
    for response, prediction in zip(responses, models_answer(responses), strict=True):
        stored = FeedbackResponse.objects.get(pk=response.pk)
        assert stored.analysed_at is not None
        assert stored.confidence == pytest.approx(prediction.confidence, abs=1e-4)  # type: ignore[attr-defined]
        assert stored.needs_review is prediction.needs_review  # type: ignore[attr-defined]


def test_the_list_marks_and_filters_exactly_the_answers_the_model_was_unsure_of(
    cast: Cast, survey: Survey, as_user
) -> None:
    responses = analysed_pool(survey)
    unsure = {r.pk for r, p in zip(responses, models_answer(responses), strict=True) if p.needs_review}  # type: ignore[attr-defined]
    client = as_user(cast.officer)

    everything = client.get(reverse("feedback:responses")).content.decode()
    rows = everything.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    for row in rows:
        pk = listed(row)[0]
        assert (MARK in row) is (pk in unsure), pk

    filtered = client.get(reverse("feedback:responses"), {"needs_review": "1"}).content.decode()
    assert sorted(listed(filtered)) == sorted(unsure)
    if not unsure:
        assert "No answers match." in filtered
    assert 'name="needs_review" value="1" checked' in filtered

    for response in responses:
        page = client.get(reverse("feedback:response", args=[response.pk])).content.decode()
        assert (MARK in page) is (response.pk in unsure), response.pk


def unsure_answer(survey: Survey) -> FeedbackResponse:
    """The pool's answer the model is least sure of. Should the shipped model be sure of all of them, it is
    marked as an unsure analysis leaves it, so the rest of the test still runs."""
    responses = analysed_pool(survey)
    least = min(responses, key=lambda r: FeedbackResponse.objects.get(pk=r.pk).confidence or 1.0)
    FeedbackResponse.objects.filter(pk=least.pk, needs_review=False).update(needs_review=True)
    return FeedbackResponse.objects.get(pk=least.pk)


def test_a_correction_clears_the_mark_and_keeps_the_confidence(cast: Cast, survey: Survey, as_user) -> None:
    response = unsure_answer(survey)
    client = as_user(cast.officer)
    detail = reverse("feedback:response", args=[response.pk])
    page = client.get(detail).content.decode()
    percent = round(100 * (response.confidence or 0))
    assert f"{MARK}:</strong> the model was unsure of this answer (confidence {percent}%)" in page
    waiting = FeedbackResponse.objects.filter(needs_review=True).count()
    dashboard = client.get(reverse("feedback:dashboard")).content.decode()
    assert f'<span class="stat-value">{waiting}</span>' in dashboard

    posted = client.post(detail, {"themes": ["Timeliness of care"], "sentiment": "4"})
    assert posted.status_code == 302

    stored = FeedbackResponse.objects.get(pk=response.pk)
    assert (stored.needs_review, stored.corrected_by, stored.themes) == (False, cast.officer, ["Timeliness of care"])
    assert stored.confidence == response.confidence  # what the model said is kept
    audit = AuditEvent.objects.filter(action="feedback.correct").latest("pk")
    assert audit.details["after"] == {"themes": ["Timeliness of care"], "sentiment": 4}
    assert MARK not in client.get(detail).content.decode()
    assert response.pk not in listed(client.get(reverse("feedback:responses"), {"needs_review": "1"}).content.decode())
    dashboard = client.get(reverse("feedback:dashboard")).content.decode()
    assert f'<span class="stat-value">{waiting - 1}</span>' in dashboard


def test_the_dashboard_counts_the_answers_to_check_and_links_officers_to_them(
    cast: Cast, survey: Survey, as_user
) -> None:
    unsure_answer(survey)
    waiting = FeedbackResponse.objects.filter(needs_review=True).count()
    link = f'<a href="{reverse("feedback:responses")}?needs_review=1">answers to check</a>'
    officer = as_user(cast.officer).get(reverse("feedback:dashboard")).content.decode()
    assert f'<span class="stat-value">{waiting}</span><span class="stat-label">{link}' in officer
    # Executives see the number, not the comments, so no link to the list.
    executive = as_user(cast.executive).get(reverse("feedback:dashboard")).content.decode()
    assert f'<span class="stat-value">{waiting}</span>' in executive and link not in executive
    # Another hospital's officer counts none of them.
    outsider = as_user(cast.outsider).get(reverse("feedback:responses"), {"needs_review": "1"}).content.decode()
    assert listed(outsider) == []


def test_the_filtered_list_costs_the_same_queries_whatever_its_length(cast: Cast, survey: Survey, as_user) -> None:
    client = as_user(cast.officer)
    url = reverse("feedback:responses")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"needs_review": "1"}).status_code == 200
        return len(captured)

    for comment in POOL[:3]:
        submit(survey, comment)
    FeedbackResponse.objects.update(needs_review=True)
    few = queries()
    for comment in POOL:
        submit(survey, comment)
    FeedbackResponse.objects.update(needs_review=True)
    assert queries() == few
    page = client.get(url, {"needs_review": "1"}).content.decode()
    assert page.count(MARK) == len(POOL) + 3
