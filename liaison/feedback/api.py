"""Feedback over the API: another system (a survey platform, a kiosk, the FFT text service) sends answers in
batches. Sending the same batch again adds nothing: answers are known by their ``external_id``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from liaison.accounts.api_auth import answers, caller, scoped
from liaison.accounts.models import ApiScope
from liaison.feedback.ingest import MAX_BATCH, feedback_ingest
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site

router = Router(tags=["feedback"])


class AnswerIn(Schema):
    external_id: str = Field(..., min_length=1, max_length=200, description="The sending system's id for it")
    received_on: date
    fft_score: int | None = Field(None, ge=1, le=6, description="1 very good … 5 very poor, 6 don't know")
    likelihood: int | None = Field(None, ge=0, le=10)
    comment: str = Field("", max_length=20000)
    question: str = Field("", max_length=500, description="The question the comment answers, as asked")
    department: str = Field("", max_length=200, description="A department's code or name at the site")


class BatchIn(Schema):
    site: str = Field(..., max_length=20, description="The site's code")
    system: str = Field(..., min_length=1, max_length=100, description="The sending system's name")
    answers: list[AnswerIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class RejectedOut(Schema):
    index: int  # the answer's place in the batch, from 0
    reason: str


class BatchOut(Schema):
    import_job: int  # listed with the site's imports
    received: int
    added: int
    already_there: int  # sent before (the same external_id): not added again
    rejected: list[RejectedOut]


@router.post("/responses", auth=scoped(ApiScope.INGEST_FEEDBACK), response=answers(BatchOut, 201))
def ingest(request: HttpRequest, data: BatchIn) -> Status:
    """Add a batch of answers (up to 1,000). Their themes and sentiment follow in the background."""
    user = caller(request)
    site = Site.objects.filter(code=data.site, pk__in=user.site_ids).first()
    if site is None:
        raise ApplicationError(f"There is no site “{data.site}” among your sites.", extra={"field": "site"})
    result = feedback_ingest(
        acting_user=user, site=site, system=data.system, answers=[answer.dict() for answer in data.answers]
    )
    job = result.job
    body: dict[str, Any] = {
        "import_job": job.pk,
        "received": len(data.answers),
        "added": job.rows_added,
        "already_there": job.rows_already_there,
        "rejected": [{"index": index, "reason": reason} for index, reason in result.rejected],
    }
    return Status(201, body)
