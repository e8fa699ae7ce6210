"""Panels score blind: no one sees the others' scores before submitting their own; outsiders see nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from liaison.hiring import panels
from liaison.hiring.data import load_questions
from liaison.lib.errors import ApplicationError


@pytest.fixture
def interview(cast: Cast):  # type: ignore[no-untyped-def]
    vacancy = panels.vacancy_create(
        acting_user=cast.manager,
        site=cast.rgh,
        title="Patient relations officer",
        time_budget_minutes=45,
        retention_until=timezone.localdate() + timedelta(days=180),
    )
    candidate = panels.candidate_add(acting_user=cast.manager, vacancy=vacancy, full_name="Casey Candidate")
    return panels.interview_schedule(
        acting_user=cast.manager, candidate=candidate, when=timezone.now(), panel=[cast.officer, cast.investigator]
    )


def score_all(user, interview, value: int) -> None:  # type: ignore[no-untyped-def]
    for key in interview.candidate.vacancy.question_keys:
        panels.score_record(acting_user=user, interview=interview, question_key=key, score=value)


def test_the_suggested_kit_fits_the_budget_and_covers_competencies(db: None) -> None:
    keys = panels.kit_suggest(time_budget=45)
    questions = {q.key: q for q in load_questions()}
    assert sum(questions[k].minutes for k in keys) <= 45
    assert any(questions[k].type == "motivation" for k in keys)
    assert len({c for k in keys for c in questions[k].competencies}) >= 8


def test_an_interviewer_cannot_see_others_scores_before_submitting(cast: Cast, interview, as_user) -> None:
    score_all(cast.officer, interview, 2)
    score_all(cast.investigator, interview, 5)
    panels.scores_submit(acting_user=cast.investigator, interview=interview)
    client = as_user(cast.officer)
    api = json.loads(client.get(f"/api/v1/hiring/interviews/{interview.pk}/scores").content)
    assert {row["interviewer"] for row in api} == {cast.officer.full_name}
    page = client.get(reverse("hiring:interview", args=[interview.pk])).content.decode()
    assert "Score sheet" not in page and cast.investigator.full_name + ": <strong>" not in page
    panels.scores_submit(acting_user=cast.officer, interview=interview)
    api = json.loads(client.get(f"/api/v1/hiring/interviews/{interview.pk}/scores").content)
    assert {row["interviewer"] for row in api} == {cast.officer.full_name, cast.investigator.full_name}
    page = client.get(reverse("hiring:interview", args=[interview.pk])).content.decode()
    assert "Scores differ by 2 or more: discuss" in page


def test_submitted_scores_are_final_and_the_kit_is_locked(cast: Cast, interview) -> None:
    score_all(cast.officer, interview, 3)
    panels.scores_submit(acting_user=cast.officer, interview=interview)
    with pytest.raises(ApplicationError, match="submitted"):
        panels.score_record(
            acting_user=cast.officer,
            interview=interview,
            question_key=interview.candidate.vacancy.question_keys[0],
            score=4,
        )
    with pytest.raises(ApplicationError, match="same questions"):
        panels.kit_set(
            acting_user=cast.manager, vacancy=interview.candidate.vacancy, question_keys=[load_questions()[0].key]
        )


def test_submitting_needs_every_question_scored(cast: Cast, interview) -> None:
    panels.score_record(
        acting_user=cast.officer,
        interview=interview,
        question_key=interview.candidate.vacancy.question_keys[0],
        score=3,
    )
    with pytest.raises(ApplicationError, match="Score every question"):
        panels.scores_submit(acting_user=cast.officer, interview=interview)


@pytest.mark.parametrize("role", ["outsider", "auditor", "executive", "admin"])
def test_outsiders_cannot_see_the_candidate_at_all(cast: Cast, interview, as_user, role: str) -> None:
    client = as_user(getattr(cast, role))
    vacancy = interview.candidate.vacancy
    assert client.get(reverse("hiring:vacancy", args=[vacancy.pk])).status_code == 404
    assert client.get(reverse("hiring:interview", args=[interview.pk])).status_code == 404
    assert client.get(f"/api/v1/hiring/interviews/{interview.pk}/scores").status_code == 404
    assert "Casey Candidate" not in client.get(reverse("hiring:vacancies")).content.decode()


def test_the_hiring_manager_records_the_decision_with_reasons(cast: Cast, interview) -> None:
    with pytest.raises(ApplicationError):
        panels.candidate_decide(
            acting_user=cast.officer, candidate=interview.candidate, decision="offer", reasons="Strong"
        )
    candidate = panels.candidate_decide(
        acting_user=cast.manager,
        candidate=interview.candidate,
        decision="offer",
        reasons="Strongest evidence on empathy and investigation",
    )
    assert candidate.decision == "offer" and candidate.decided_by == cast.manager


def test_candidates_are_deleted_after_the_retention_date(cast: Cast, interview) -> None:
    from liaison.hiring.models import Candidate

    vacancy = interview.candidate.vacancy
    assert panels.candidates_purge(today=vacancy.retention_until) == 0
    assert panels.candidates_purge(today=vacancy.retention_until + timedelta(days=1)) == 1
    assert not Candidate.objects.exists()


def test_the_kit_and_the_score_sheet_print(cast: Cast, interview, as_user) -> None:
    import io

    from pypdf import PdfReader

    from liaison.lib.pdf import pdf_available

    if not pdf_available():
        pytest.skip("WeasyPrint needs Pango")
    kit = as_user(cast.manager).get(reverse("hiring:kit-pdf", args=[interview.candidate.vacancy.pk]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(kit.content)).pages)
    first = load_questions()
    assert "interview kit" in text and "Probes" in text and "Score: 1" in text
    assert any(q.text[:30] in " ".join(text.split()) for q in first)
    assert (
        as_user(cast.officer).get(reverse("hiring:sheet-pdf", args=[interview.pk])).status_code == 404
    )  # not yet submitted
    score_all(cast.officer, interview, 4)
    panels.scores_submit(acting_user=cast.officer, interview=interview)
    sheet = as_user(cast.officer).get(reverse("hiring:sheet-pdf", args=[interview.pk]))
    assert sheet["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("value", ["abc", "-1", "0", "6", "99999999999999999999", "1e309", "3\x00"])
def test_it_explains_a_score_that_is_not_one_to_five_and_saves_nothing(
    cast: Cast, interview, as_user, value: str
) -> None:
    from liaison.hiring.models import Score

    first, second = interview.candidate.vacancy.question_keys[:2]
    client = as_user(cast.officer)
    response = client.post(
        reverse("hiring:interview", args=[interview.pk]),
        {f"score_{first}": "4", f"score_{second}": value, f"notes_{second}": "Clear"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Scores run from 1 to 5." in page
    # A sheet with one bad score is refused whole, so no score is half-saved.
    assert not Score.objects.filter(interview=interview).exists()


def test_the_scores_api_takes_the_same_queries_for_one_scorer_or_two(
    cast: Cast, interview, as_user, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """The list's one query joins the interviewer; a query per score would grow with the panel."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(cast.manager)
    url = f"/api/v1/hiring/interviews/{interview.pk}/scores"
    score_all(cast.officer, interview, 2)
    panels.scores_submit(acting_user=cast.officer, interview=interview)
    with CaptureQueriesContext(connection) as one:
        assert len(json.loads(client.get(url).content)) == len(interview.candidate.vacancy.question_keys)
    score_all(cast.investigator, interview, 4)
    panels.scores_submit(acting_user=cast.investigator, interview=interview)
    with django_assert_max_num_queries(len(one)):
        assert len(json.loads(client.get(url).content)) == 2 * len(interview.candidate.vacancy.question_keys)
