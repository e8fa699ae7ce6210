"""Feedback sent by another system (the API), a batch at a time, through the same import as a file.

A batch becomes one import job of a source named after the sending system, so it is listed, counted, audited
and de-duplicated exactly as an uploaded file is: each answer's ``external_id`` is its key in that source, and
the same answer sent again (a retry after a timeout, a re-sent day) is counted as already there, not added.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from liaison.accounts.models import User
from liaison.feedback.imports import feedback_import_file, import_source_save
from liaison.feedback.models import ImportJob, ImportStatus
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site

MAX_BATCH = 1000
SOURCE_PREFIX = "API: "
# The columns of the batch's file, mapped onto themselves: the source's mapping never changes.
_COLUMNS = ("external_id", "received_on", "fft_score", "likelihood", "comment", "question", "department")


@dataclass(frozen=True)
class IngestAnswer:
    job: ImportJob
    rejected: list[tuple[int, str]]  # (index in the batch, why)


def feedback_ingest(*, acting_user: User, site: Site, system: str, answers: list[dict[str, Any]]) -> IngestAnswer:
    """Import a batch of answers from ``system`` at ``site``. Each answer is a dict of ``_COLUMNS``."""
    if not answers:
        raise ApplicationError("Send at least one answer.")
    if len(answers) > MAX_BATCH:
        raise ApplicationError(f"Send at most {MAX_BATCH} answers in one batch.", extra={"limit": MAX_BATCH})
    ids = [str(answer.get("external_id") or "") for answer in answers]
    if not all(ids):
        raise ApplicationError("Every answer needs an external_id: it is how a batch sent twice adds nothing.")
    if len(set(ids)) != len(ids):
        raise ApplicationError("The batch has the same external_id more than once.")
    name = " ".join(system.split())
    if not name:
        raise ApplicationError("Name the system sending the feedback.")
    source = import_source_save(
        acting_user=acting_user,
        site=site,
        name=f"{SOURCE_PREFIX}{name}"[:200],
        mapping={column: column for column in _COLUMNS},
    )
    with tempfile.TemporaryDirectory(prefix="liaison-ingest-") as folder:
        path = Path(folder) / "batch.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(_COLUMNS)
            for answer in answers:
                writer.writerow([_cell(answer.get(column)) for column in _COLUMNS])
        job = feedback_import_file(
            acting_user=acting_user, source=source, path=path, file_name=f"API batch of {len(answers)}"
        )
    if job.status != ImportStatus.DONE:
        raise ApplicationError(job.error or "The batch could not be imported.", extra={"job": job.pk})
    # The file's row 1 is its headings: row n is the batch's answer n - 2.
    rejected = [
        (row - 2, reason) for row, reason in job.rejections.order_by("row_number").values_list("row_number", "reason")
    ]
    return IngestAnswer(job=job, rejected=rejected)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
