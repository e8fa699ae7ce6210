"""Feedback: surveys, answers, their analysis, officers' corrections, and the closed loop to a concern case."""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from liaison.accounts.models import User
from liaison.accounts.permissions import require_site_worker
from liaison.audit.services import audit_record
from liaison.cases.models import Case, CaseType
from liaison.cases.models import Channel as CaseChannel
from liaison.cases.services import case_open_by_system
from liaison.feedback import tallies
from liaison.feedback.models import Channel, FeedbackResponse, Question, QuestionKind, Sentiment, Survey
from liaison.lib.errors import ApplicationError
from liaison.org.models import Department, Site

# Marked for makemessages only (gettext_noop keeps the English): the public survey shows them translated.
FFT_CHOICES = [
    (1, gettext_noop("Very good")),
    (2, gettext_noop("Good")),
    (3, gettext_noop("Neither good nor poor")),
    (4, gettext_noop("Poor")),
    (5, gettext_noop("Very poor")),
    (6, gettext_noop("Don't know")),
]
LIKERT_CHOICES = [
    gettext_noop("Strongly agree"),
    gettext_noop("Agree"),
    gettext_noop("Neither agree nor disagree"),
    gettext_noop("Disagree"),
    gettext_noop("Strongly disagree"),
]


def _require_staff(user: User, site: Site) -> None:
    require_site_worker(user, site.pk, what="manage feedback")


def survey_create(
    *, acting_user: User, site: Site, title: str, intro: str = "", department: Department | None = None
) -> Survey:
    _require_staff(acting_user, site)
    if department is not None and department.site_id != site.pk:
        raise ApplicationError("Choose a department of the same site.")
    with transaction.atomic():
        survey = Survey.objects.create(
            site=site,
            department=department,
            title=title.strip(),
            intro=intro.strip(),
            public_key=secrets.token_urlsafe(12),
            created_by=acting_user,
        )
        audit_record(action="survey.create", actor=acting_user, obj=survey, site=site)
    return survey


def survey_add_question(
    *, acting_user: User, survey: Survey, kind: str, text: str, choices: Iterable[str] = (), required: bool = False
) -> Question:
    _require_staff(acting_user, survey.site)
    options = [c.strip() for c in choices if c.strip()]
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) and len(options) < 2:
        raise ApplicationError("Give at least two options, one per line.")
    if not text.strip():
        raise ApplicationError("Write the question.")
    with transaction.atomic():
        order = (survey.questions.order_by("-order").values_list("order", flat=True).first() or 0) + 1
        question = Question.objects.create(
            survey=survey, order=order, kind=kind, text=text.strip(), choices=options, required=required
        )
        audit_record(
            action="survey.question_add",
            actor=acting_user,
            obj=survey,
            site=survey.site,
            details={"question": question.pk, "kind": kind},
        )
    return question


def response_submit(
    *,
    survey: Survey,
    answers: dict[str, Any],
    consent: bool,
    name: str = "",
    email: str = "",
    phone: str = "",
    channel: str = Channel.WEB,
) -> FeedbackResponse:
    """Store one answer to a survey (anonymous unless the person agreed to be contacted) and queue its analysis."""
    if not survey.is_open:
        raise ApplicationError("This survey is closed.")
    fft = likelihood = None
    comments: list[tuple[str, str]] = []  # (prompt, answer)
    stored: dict[str, Any] = {}
    for question in survey.questions.all():
        value: Any = answers.get(str(question.pk))
        if value is None or value in ("", []):
            continue
        stored[str(question.pk)] = value
        if question.kind == QuestionKind.FFT and fft is None:
            fft = int(value)
        elif question.kind == QuestionKind.LIKELIHOOD and likelihood is None:
            likelihood = int(value)
        elif question.kind == QuestionKind.TEXT:
            comments.append((question.text, str(value)))
    with transaction.atomic():
        response = FeedbackResponse.objects.create(
            site=survey.site,
            department=survey.department,
            survey=survey,
            channel=channel,
            received_on=timezone.localdate(timezone.now(), survey.site.zone),
            fft_score=fft,
            likelihood=likelihood,
            answers=stored,
            comment="\n\n".join(answer for _, answer in comments),
            # One free-text answer: its question tells the text model how to read it ("Nothing." after
            # "What was good?" is a complaint). Several answers joined: no single question applies.
            comment_question=comments[0][0][:500] if len(comments) == 1 else "",
            contact_consent=consent,
            contact_name=name if consent else "",
            contact_email=email if consent else "",
            contact_phone=phone if consent else "",
        )
        tallies.add([tallies.facts(response)])
        audit_record(action="feedback.response", obj=response, site=survey.site, details={"survey": survey.pk})
        if response.comment:
            transaction.on_commit(lambda: _enqueue_analysis(response.pk))
    return response


def shipped_model() -> Any:
    """The model in use, loaded once per process: the one shipped in the package, or the one retrained with
    officers' corrections where ``LIAISON_FEEDBACK_MODEL_DIR`` names its folder."""
    return _model_at(getattr(settings, "LIAISON_FEEDBACK_MODEL_DIR", None) or None)


@functools.cache
def _model_at(directory: str | None) -> Any:
    from liaison.feedback.analysis.model import FeedbackModel

    return FeedbackModel.load(directory)


def corrections_report() -> dict[str, Any] | None:
    """The before/after figures on officers' corrections kept in the info of the model in use (written by
    ``liaison feedback train --with-corrections``), or None when it has none.

    Read from the model's JSON file alone: a dashboard page need not load the weights into a web process, and a
    missing or unreadable model leaves the page working, without the figures.
    """
    from liaison.feedback.analysis.model import WEIGHTS_DIR

    directory = Path(getattr(settings, "LIAISON_FEEDBACK_MODEL_DIR", None) or WEIGHTS_DIR)
    try:
        info = json.loads((directory / "model.json").read_text(encoding="utf-8")).get("info", {})
    except (OSError, ValueError, AttributeError):
        return None
    report = info.get("corrections_before_after") if isinstance(info, dict) else None
    return report if isinstance(report, dict) and "before" in report and "after" in report else None


def _enqueue_analysis(pk: int) -> None:
    from liaison.feedback.tasks import analyse

    analyse.enqueue(pk)


def response_analyse(*, response: FeedbackResponse) -> FeedbackResponse:
    """Themes and sentiment from the shipped model; a very negative answer with consent opens a concern."""
    if response.corrected_at is None and response.comment.strip():
        prediction = shipped_model().predict([response.comment], [response.analysis_context])[0]
        with transaction.atomic():
            before = tallies.facts(response)
            _apply_prediction(response, prediction, timezone.now())
            response.save(update_fields=["themes", "sentiment", "analysed_at", *_CONFIDENCE_FIELDS])
            tallies.change([before], [tallies.facts(response)])
    close_the_loop(response=response)
    return response


# Stored with each analysis, so the officers' list can show and filter the answers the model was unsure of.
_CONFIDENCE_FIELDS = ("confidence", "needs_review")


def _apply_prediction(response: FeedbackResponse, prediction: Any, at: Any) -> None:
    """Copy the model's answer onto the response (not saved): themes, sentiment, and how sure it was."""
    response.themes, response.sentiment = list(prediction.themes), int(prediction.sentiment)
    response.confidence = round(float(prediction.confidence), 4)
    # The model's own judgement, kept as it was: a later change of threshold does not re-flag old answers.
    response.needs_review = bool(prediction.needs_review)
    response.analysed_at = at


def analyse_pending_responses(*, batch_size: int = 2000) -> int:
    """Themes and sentiment for every comment not analysed yet (imports), a batch at a time.

    Batches follow the primary key (each starts after the last one's highest id), so a million pending
    answers are read once rather than rescanned from the start for every batch; each batch is written with
    one statement and its tallies in the same transaction.
    """
    model = shipped_model()
    done = 0
    after = 0
    while True:
        batch = list(
            FeedbackResponse.objects.filter(pk__gt=after, analysed_at__isnull=True, corrected_at__isnull=True)
            .exclude(comment="")
            .only("id", *_ANALYSIS_FIELDS)
            .order_by("pk")[:batch_size]
        )
        if not batch:
            return done
        after = batch[-1].pk
        now = timezone.now()
        predictions = model.predict([r.comment for r in batch], [r.analysis_context for r in batch])
        before = [tallies.facts(r) for r in batch]
        for response, prediction in zip(batch, predictions, strict=True):
            _apply_prediction(response, prediction, now)
        with transaction.atomic():
            # Only answers still unanalysed and uncorrected are written: an officer's correction made while
            # the model was reading stands.
            written = _write_analysis(batch)
            kept = [r for r in batch if r.pk in written]
            tallies.change([b for b, r in zip(before, batch, strict=True) if r.pk in written], map(tallies.facts, kept))
        for response in kept:
            if response.sentiment == Sentiment.VERY_NEGATIVE and response.contact_consent:
                close_the_loop(response=response)
        done += len(batch)


_ANALYSIS_FIELDS = (
    "site_id",
    "department_id",
    "received_on",
    "fft_score",
    "likelihood",
    "sentiment",
    "themes",
    "comment",
    "comment_question",
    "contact_consent",
)


def _write_analysis(batch: list[FeedbackResponse]) -> set[int]:
    """Store a batch's themes, sentiment and confidence with one UPDATE; returns the ids actually written."""
    if not batch:
        return set()
    table = connection.ops.quote_name(FeedbackResponse._meta.db_table)
    themes_field = FeedbackResponse._meta.get_field("themes")
    at = connection.ops.adapt_datetimefield_value(batch[0].analysed_at)
    rows = [
        (r.pk, themes_field.get_db_prep_save(r.themes, connection), r.sentiment, r.confidence, r.needs_review)
        for r in batch
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s, %s::jsonb, %s, %s::double precision, %s::boolean)"] * len(rows))
            # Our own table and column names; every value is a parameter.
            cursor.execute(
                f"UPDATE {table} AS r SET themes = v.themes, sentiment = v.sentiment, analysed_at = %s, "  # noqa: S608
                "confidence = v.confidence, needs_review = v.needs_review "
                f"FROM (VALUES {values}) AS v(id, themes, sentiment, confidence, needs_review) "
                "WHERE r.id = v.id AND r.analysed_at IS NULL AND r.corrected_at IS NULL RETURNING r.id",
                [at, *(value for row in rows for value in row)],
            )
            return {row[0] for row in cursor.fetchall()}
        # SQLite: one prepared statement run for the batch, inside the caller's transaction.
        ids = [r.pk for r in batch]
        placeholders = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"SELECT id FROM {table} WHERE id IN ({placeholders}) "  # noqa: S608
            "AND analysed_at IS NULL AND corrected_at IS NULL",
            ids,
        )
        written = {row[0] for row in cursor.fetchall()}
        cursor.executemany(
            f"UPDATE {table} SET themes = %s, sentiment = %s, analysed_at = %s, "  # noqa: S608
            "confidence = %s, needs_review = %s WHERE id = %s",
            [
                (themes, sentiment, at, confidence, needs_review, pk)
                for pk, themes, sentiment, confidence, needs_review in rows
                if pk in written
            ],
        )
        return written


def close_the_loop(*, response: FeedbackResponse) -> Case | None:
    """A very negative answer whose author agreed to be contacted becomes a concern in triage — once."""
    if response.sentiment != Sentiment.VERY_NEGATIVE or not response.contact_consent:
        return None
    with transaction.atomic():
        locked = FeedbackResponse.objects.select_for_update().get(pk=response.pk)
        if locked.case_id is not None:
            return None
        case = case_open_by_system(
            site=locked.site,
            case_type=CaseType.CONCERN,
            channel=CaseChannel.SURVEY,
            received_at=timezone.now(),
            source="survey",
            patient_known=False,
            complainant_is_patient=False,
            complainant_name=locked.contact_name or "Survey respondent",
            complainant_email=locked.contact_email,
            complainant_phone=locked.contact_phone,
            account=locked.comment,
            reported_department=locked.department,
        )
        locked.case = case
        locked.save(update_fields=["case"])
        audit_record(action="feedback.closed_loop", obj=locked, site=locked.site, details={"case": case.reference})
    response.case = case
    return case


def response_correct(
    *, acting_user: User, response: FeedbackResponse, themes: list[str], sentiment: int
) -> FeedbackResponse:
    """An officer's correction; kept, and used by the next training run."""
    _require_staff(acting_user, response.site)
    with transaction.atomic():
        before = {"themes": response.themes, "sentiment": response.sentiment}
        counted_before = tallies.facts(response)
        response.themes, response.sentiment = sorted(themes), sentiment
        response.corrected_by, response.corrected_at = acting_user, timezone.now()
        # An officer has checked it: it no longer waits in the "needs review" list (its confidence stays).
        response.needs_review = False
        response.save(update_fields=["themes", "sentiment", "corrected_by", "corrected_at", "needs_review"])
        tallies.change([counted_before], [tallies.facts(response)])
        audit_record(
            action="feedback.correct",
            actor=acting_user,
            obj=response,
            site=response.site,
            details={"before": before, "after": {"themes": response.themes, "sentiment": sentiment}},
        )
    close_the_loop(response=response)
    return response
