"""Practice answers get observable feedback, with the sentences behind it, privately and without a score."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.hiring.data import load_questions
from liaison.hiring.models import PracticeAttempt

ANSWER = (
    "Last year a daughter phoned me, furious that nobody had told her about her mother's transfer. "
    "My job was to find out what happened and keep her informed. "
    "I listened, apologised, and called the ward manager that afternoon. "
    "We agreed a daily update call, and within two weeks she wrote to thank the team."
)


def test_an_answer_gets_star_parts_by_sentence_and_no_score(cast: Cast, as_user) -> None:
    question = next(q for q in load_questions() if q.type == "behavioural")
    client = as_user(cast.officer)
    response = client.post(reverse("hiring:question", args=[question.key]), {"answer": ANSWER, "seconds_taken": "95"})
    attempt = PracticeAttempt.objects.get()
    assert response["Location"] == reverse("hiring:attempt", args=[attempt.pk])
    page = client.get(response["Location"]).content.decode()
    for part, sentence in [
        ("Situation", "furious that nobody had told her"),
        ("Task", "My job was to find out"),
        ("Action", "I listened, apologised"),
        ("Result", "within two weeks"),
    ]:
        assert f'<span class="tag">{part}</span>' in page and sentence in page
    assert "two weeks" in page and "All four parts are there." in page
    assert "score" not in str(attempt.feedback).lower()
    assert attempt.seconds_taken == 95


def test_progress_is_shown_per_competency(cast: Cast, as_user) -> None:
    question = load_questions()[0]
    client = as_user(cast.officer)
    client.post(reverse("hiring:question", args=[question.key]), {"answer": ANSWER})
    page = client.get(reverse("hiring:practice")).content.decode()
    assert "Your progress" in page and "Empathy" in page


def test_a_practice_answer_is_private(cast: Cast, as_user) -> None:
    question = load_questions()[0]
    as_user(cast.officer).post(reverse("hiring:question", args=[question.key]), {"answer": ANSWER})
    attempt = PracticeAttempt.objects.get()
    assert as_user(cast.manager).get(reverse("hiring:attempt", args=[attempt.pk])).status_code == 404


def test_a_too_short_answer_is_explained(cast: Cast, as_user) -> None:
    question = load_questions()[0]
    page = (
        as_user(cast.officer)
        .post(reverse("hiring:question", args=[question.key]), {"answer": "I would help."})
        .content.decode()
    )
    assert "Write your answer in a few sentences first." in page
    assert not PracticeAttempt.objects.exists()


@pytest.mark.parametrize("seconds", ["-5", "12345678901234567890", "abc", "1e309"])
def test_it_explains_a_time_taken_that_is_not_a_number_of_seconds(cast: Cast, as_user, seconds: str) -> None:
    question = load_questions()[0]
    response = as_user(cast.officer).post(
        reverse("hiring:question", args=[question.key]), {"answer": ANSWER, "seconds_taken": seconds}
    )
    assert response.status_code == 200
    assert "The time taken must be a number of seconds" in response.content.decode()
    assert not PracticeAttempt.objects.exists()
