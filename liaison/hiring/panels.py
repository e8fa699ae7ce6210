"""Interview kits and panels: the same questions for every candidate, scores given blind, then compared."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import mean

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.audit.services import audit_record
from liaison.hiring.data import Question, competency_names, load_questions
from liaison.hiring.models import Candidate, Decision, Interview, Score, Submission, Vacancy
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site

DISAGREEMENT = 2  # scores this far apart on one question are flagged for the panel to discuss


def _questions() -> dict[str, Question]:
    return {q.key: q for q in load_questions()}


def kit_suggest(*, time_budget: int) -> list[str]:
    """Questions that cover every competency once if possible, within the time budget, with one on motivation."""
    questions = list(load_questions())
    chosen: list[Question] = []
    covered: set[str] = set()
    minutes = 0
    motivation = next((q for q in questions if q.type == "motivation"), None)
    if motivation and motivation.minutes <= time_budget:
        chosen.append(motivation)
        covered |= set(motivation.competencies)
        minutes += motivation.minutes
    while True:
        best = max(
            (q for q in questions if q not in chosen and minutes + q.minutes <= time_budget),
            key=lambda q: (len(set(q.competencies) - covered), -q.minutes),
            default=None,
        )
        if best is None or not set(best.competencies) - covered:
            break
        chosen.append(best)
        covered |= set(best.competencies)
        minutes += best.minutes
    return [q.key for q in chosen]


# -- Access ------------------------------------------------------------------------------------------------


def vacancies_for_user(*, user: User) -> QuerySet[Vacancy]:
    return Vacancy.objects.filter(Q(hiring_manager=user) | Q(candidates__interviews__panel=user)).distinct()


def get_vacancy_for_user(*, user: User, pk: int) -> Vacancy:
    try:
        return vacancies_for_user(user=user).get(pk=pk)
    except Vacancy.DoesNotExist:
        raise Http404 from None


def get_interview_for_user(*, user: User, pk: int) -> Interview:
    try:
        return (
            Interview.objects.select_related("candidate", "candidate__vacancy")
            .filter(Q(panel=user) | Q(candidate__vacancy__hiring_manager=user))
            .distinct()
            .get(pk=pk)
        )
    except Interview.DoesNotExist:
        raise Http404 from None


def _require_manager(user: User, vacancy: Vacancy) -> None:
    if vacancy.hiring_manager_id != user.pk:
        raise ApplicationError("Only the vacancy's hiring manager can do this.")


# -- Services -------------------------------------------------------------------------------------------------


def vacancy_create(
    *, acting_user: User, site: Site, title: str, time_budget_minutes: int, retention_until: date
) -> Vacancy:
    if not can(acting_user, Cap.HIRING_MANAGE, site.pk):
        raise ApplicationError("Only a manager at this site can open a vacancy.")
    if retention_until <= timezone.localdate():
        raise ApplicationError("The retention date must be in the future.")
    with transaction.atomic():
        vacancy = Vacancy.objects.create(
            site=site,
            title=title.strip(),
            hiring_manager=acting_user,
            time_budget_minutes=time_budget_minutes,
            retention_until=retention_until,
            question_keys=kit_suggest(time_budget=time_budget_minutes),
        )
        audit_record(action="hiring.vacancy", actor=acting_user, obj=vacancy, site=site)
    return vacancy


def kit_set(*, acting_user: User, vacancy: Vacancy, question_keys: list[str]) -> Vacancy:
    _require_manager(acting_user, vacancy)
    if vacancy.kit_locked:
        raise ApplicationError(
            "Candidates have already been scored with this kit; every candidate must get the same questions."
        )
    known = _questions()
    if not question_keys or set(question_keys) - set(known):
        raise ApplicationError("Choose questions from the bank.")
    minutes = sum(known[k].minutes for k in question_keys)
    if minutes > vacancy.time_budget_minutes:
        raise ApplicationError(
            f"These questions take about {minutes} minutes; the budget is {vacancy.time_budget_minutes}."
        )
    with transaction.atomic():
        vacancy.question_keys = list(dict.fromkeys(question_keys))
        vacancy.save(update_fields=["question_keys"])
        audit_record(
            action="hiring.kit",
            actor=acting_user,
            obj=vacancy,
            site=vacancy.site,
            details={"questions": vacancy.question_keys},
        )
    return vacancy


def candidate_add(*, acting_user: User, vacancy: Vacancy, full_name: str, email: str = "") -> Candidate:
    _require_manager(acting_user, vacancy)
    with transaction.atomic():
        candidate = Candidate.objects.create(vacancy=vacancy, full_name=full_name.strip(), email=email.strip())
        audit_record(action="hiring.candidate", actor=acting_user, obj=candidate, site=vacancy.site)
    return candidate


def interview_schedule(*, acting_user: User, candidate: Candidate, when: datetime, panel: list[User]) -> Interview:
    _require_manager(acting_user, candidate.vacancy)
    if len(panel) < 2:
        raise ApplicationError("A panel needs at least two interviewers.")
    with transaction.atomic():
        interview = Interview.objects.create(candidate=candidate, scheduled_for=when)
        interview.panel.set(panel)
        audit_record(
            action="hiring.interview",
            actor=acting_user,
            obj=interview,
            site=candidate.vacancy.site,
            details={"panel": sorted(u.pk for u in panel)},
        )
    return interview


def _require_panel(user: User, interview: Interview) -> None:
    if not interview.panel.filter(pk=user.pk).exists():
        raise ApplicationError("Only the panel scores this interview.")


def has_submitted(user: User, interview: Interview) -> bool:
    return Submission.objects.filter(interview=interview, interviewer=user).exists()


def score_record(*, acting_user: User, interview: Interview, question_key: str, score: int, notes: str = "") -> Score:
    _require_panel(acting_user, interview)
    if has_submitted(acting_user, interview):
        raise ApplicationError("Your scores are submitted and can no longer change.")
    if question_key not in interview.candidate.vacancy.question_keys:
        raise ApplicationError("That question is not in this vacancy's kit.")
    if not 1 <= score <= 5:
        raise ApplicationError("Scores run from 1 to 5.")
    with transaction.atomic():
        row, _ = Score.objects.update_or_create(
            interview=interview,
            interviewer=acting_user,
            question_key=question_key,
            defaults={"score": score, "notes": notes.strip()},
        )
        audit_record(action="hiring.score", actor=acting_user, obj=interview, details={"question": question_key})
    return row


def scores_submit(*, acting_user: User, interview: Interview) -> None:
    _require_panel(acting_user, interview)
    kit = interview.candidate.vacancy.question_keys
    scored = set(
        Score.objects.filter(interview=interview, interviewer=acting_user).values_list("question_key", flat=True)
    )
    missing = [k for k in kit if k not in scored]
    if missing:
        raise ApplicationError(f"Score every question before submitting ({len(missing)} still to score).")
    with transaction.atomic():
        Submission.objects.get_or_create(interview=interview, interviewer=acting_user)
        audit_record(action="hiring.submit", actor=acting_user, obj=interview)


def candidate_decide(*, acting_user: User, candidate: Candidate, decision: str, reasons: str) -> Candidate:
    _require_manager(acting_user, candidate.vacancy)
    if decision not in Decision.values or not reasons.strip():
        raise ApplicationError("Record the decision and its reasons.")
    with transaction.atomic():
        candidate.decision, candidate.decision_reasons = decision, reasons.strip()
        candidate.decided_by, candidate.decided_at = acting_user, timezone.now()
        candidate.save()
        audit_record(
            action="hiring.decision",
            actor=acting_user,
            obj=candidate,
            site=candidate.vacancy.site,
            details={"decision": decision},
        )
    return candidate


# -- The score sheet ------------------------------------------------------------------------------------------


def visible_scores(*, user: User, interview: Interview) -> QuerySet[Score]:
    """Your own scores; the others' only once you have submitted yours (the hiring manager sees submitted ones)."""
    own = Q(interviewer=user)
    submitted = Submission.objects.filter(interview=interview).values("interviewer")
    on_panel = interview.panel.filter(pk=user.pk).exists()
    if on_panel and not has_submitted(user, interview):
        return Score.objects.filter(interview=interview).filter(own)
    return Score.objects.filter(interview=interview).filter(own | Q(interviewer__in=submitted))


@dataclass
class SheetRow:
    question: Question
    scores: list[tuple[str, int, str]] = field(default_factory=list)  # (interviewer, score, notes)
    flagged: bool = False


@dataclass
class Sheet:
    rows: list[SheetRow]
    competencies: list[tuple[str, float, int]]  # (name, average, number of scores)


def score_sheet(*, user: User, interview: Interview) -> Sheet:
    known = _questions()
    by_question: dict[str, list[Score]] = defaultdict(list)
    for score in visible_scores(user=user, interview=interview).select_related("interviewer"):
        by_question[score.question_key].append(score)
    rows = []
    per_competency: dict[str, list[int]] = defaultdict(list)
    for key in interview.candidate.vacancy.question_keys:
        question = known[key]
        scores = by_question.get(key, [])
        values = [s.score for s in scores]
        rows.append(
            SheetRow(
                question=question,
                scores=[(s.interviewer.full_name, s.score, s.notes) for s in scores],
                flagged=len(values) > 1 and max(values) - min(values) >= DISAGREEMENT,
            )
        )
        for competency in question.competencies:
            per_competency[competency].extend(values)
    names = competency_names()
    competencies = [(names.get(k, k), round(mean(v), 1), len(v)) for k, v in sorted(per_competency.items()) if v]
    return Sheet(rows=rows, competencies=competencies)


def candidates_purge(*, today: date | None = None) -> int:
    """Delete candidates (and their interviews and scores) whose vacancy's retention date has passed."""
    today = today or timezone.localdate()
    expired = Candidate.objects.filter(vacancy__retention_until__lt=today)
    count = 0
    for candidate in expired.select_related("vacancy"):
        with transaction.atomic():
            audit_record(
                action="hiring.purge",
                obj=candidate,
                site=candidate.vacancy.site,
                details={"vacancy": candidate.vacancy_id},
            )
            candidate.delete()
            count += 1
    return count
