"""Feedback sent over the API is imported like a file: kept once per external id, rejected rows named."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from conftest import Cast
from liaison.accounts.models import ApiScope, User
from liaison.accounts.tokens import token_create
from liaison.audit.models import AuditEvent
from liaison.feedback.models import FeedbackResponse, ImportJob, ImportStatus


def _client(user: User) -> Client:
    made = token_create(acting_user=user, user=user, name="kiosk", scopes=[ApiScope.INGEST_FEEDBACK])
    return Client(HTTP_AUTHORIZATION=f"Bearer {made.secret}")


def _send(client: Client, answers: list[dict[str, Any]], site: str = "RGH") -> Any:
    body = {"site": site, "system": "Ward kiosk", "answers": answers}
    return client.post("/api/v1/feedback/responses", data=json.dumps(body), content_type="application/json")


BATCH = [
    {
        "external_id": "w7-1",
        "received_on": "2026-11-28",
        "fft_score": 1,
        "comment": "Lovely night staff.",
        "department": "ED",
    },
    {"external_id": "w7-2", "received_on": "2026-11-29", "fft_score": 5, "comment": "Cold food again."},
    {"external_id": "w7-3", "received_on": "2026-11-29", "comment": "Fine", "department": "Radiology"},
]


def test_a_batch_is_added_once_and_its_bad_answer_is_named_by_its_place(cast: Cast) -> None:
    client = _client(cast.officer)
    first = _send(client, BATCH)
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["received"], body["added"], body["already_there"]) == (3, 2, 0)
    assert [r["index"] for r in body["rejected"]] == [2] and "Radiology" in body["rejected"][0]["reason"]
    kept = FeedbackResponse.objects.filter(source__name="API: Ward kiosk", site=cast.rgh).order_by("row_key")
    assert [(r.row_key, r.fft_score, r.comment) for r in kept] == [
        ("w7-1", 1, "Lovely night staff."),
        ("w7-2", 5, "Cold food again."),
    ]
    assert kept[0].department == cast.ed
    job = ImportJob.objects.get(pk=body["import_job"])
    assert job.status == ImportStatus.DONE and job.started_by == cast.officer and job.rows_rejected == 1
    assert AuditEvent.objects.filter(action="feedback.import.finish", object_id=str(job.pk)).exists()

    again = _send(client, BATCH[:2]).json()
    assert (again["added"], again["already_there"]) == (0, 2)
    assert FeedbackResponse.objects.filter(source__name="API: Ward kiosk").count() == 2


def test_a_batch_for_a_site_not_ones_own_or_with_repeated_ids_adds_nothing(cast: Cast) -> None:
    client = _client(cast.officer)
    elsewhere = _send(client, BATCH, site="HPM")
    assert elsewhere.status_code == 400 and elsewhere.json()["extra"] == {"field": "site"}
    twice = _send(client, [BATCH[0], BATCH[0]])
    assert twice.status_code == 400 and "more than once" in twice.json()["message"]
    too_many = _send(client, [{**BATCH[1], "external_id": f"x{n}"} for n in range(1001)])
    assert too_many.status_code == 422
    assert not FeedbackResponse.objects.exists()
