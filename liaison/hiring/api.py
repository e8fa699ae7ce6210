"""Panel scores over the API obey the same rule as the page: others' scores only after you submit yours."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from liaison.accounts.api_auth import answers
from liaison.hiring import panels

router = Router(tags=["hiring"])


class ScoreOut(Schema):
    interviewer: str
    question_key: str
    score: int
    notes: str


@router.get("/interviews/{interview_id}/scores", response=answers(list[ScoreOut]))  # closed to tokens: the default
def interview_scores(request: HttpRequest, interview_id: int) -> list[dict[str, object]]:
    interview = panels.get_interview_for_user(user=request.user, pk=interview_id)  # type: ignore[arg-type]
    return [
        {"interviewer": s.interviewer.full_name, "question_key": s.question_key, "score": s.score, "notes": s.notes}
        for s in panels.visible_scores(user=request.user, interview=interview).select_related("interviewer")  # type: ignore[arg-type]
    ]
