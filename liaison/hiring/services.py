"""Practice with feedback: store an answer with what can be observed in it. No score, ever."""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.db import transaction

from liaison.accounts.models import User
from liaison.audit.services import audit_record
from liaison.hiring.analysis import practice_feedback
from liaison.hiring.data import Question, load_questions
from liaison.hiring.models import PracticeAttempt
from liaison.lib.errors import ApplicationError


def question_by_key(key: str) -> Question:
    for question in load_questions():
        if question.key == key:
            return question
    raise ApplicationError("No such question.")


def practice_submit(
    *, acting_user: User, question_key: str, answer: str, seconds_taken: int | None = None
) -> PracticeAttempt:
    question_by_key(question_key)
    text = answer.strip()
    if len(text.split()) < 5:
        raise ApplicationError("Write your answer in a few sentences first.")
    feedback = practice_feedback(text)
    with transaction.atomic():
        attempt = PracticeAttempt.objects.create(
            user=acting_user,
            question_key=question_key,
            answer=text,
            seconds_taken=seconds_taken,
            feedback=feedback,
            competencies=sorted({c["key"] for c in feedback.get("competencies", [])}),
        )
        audit_record(action="practice.answer", actor=acting_user, obj=attempt, details={"question": question_key})
    return attempt


def progress_by_competency(*, user: User) -> list[tuple[str, list[tuple[date, int]]]]:
    """For each competency: per month, how many of the person's answers gave evidence of it."""
    months: dict[str, Counter[date]] = {}
    for attempt in PracticeAttempt.objects.filter(user=user).only("competencies", "created_at"):
        month = attempt.created_at.date().replace(day=1)
        for key in attempt.competencies:
            months.setdefault(key, Counter())[month] += 1
    return sorted((key, sorted(counts.items())) for key, counts in months.items())
