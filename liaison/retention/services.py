"""Changing retention: the site's periods, automatic purging, legal holds, and the purge itself.

The purge removes personal content and keeps the figures. A purged case keeps its row: its reference, codes,
dates, statuses and the figure columns the office's measures read (``cases.figures``), so last year's numbers
read the same after a purge as before it. What goes: who the patient and complainant are, what they said and
wanted, notes, letters' text and files, attachments, investigation answers, meeting notes, appeal papers,
emails as received, and the free text of feedback. The audit trail is never purged.

Each case is purged in its own transaction, with its row locked, so a legal hold placed at the same moment
either lands first (and the case is skipped) or finds the case already purged (and is refused).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.files.storage import Storage
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from liaison.accounts.permissions import Cap, require
from liaison.advocacy.models import Appeal, PayerContact
from liaison.advocacy.models import Document as AppealDocument
from liaison.audit.services import audit_record
from liaison.cases.models import Attachment, Case, ExternalReferral, Issue, PromisedAction, TimelineEvent, TimelineKind
from liaison.cases.services import Change, change_case
from liaison.correspondence.models import Letter
from liaison.feedback.models import FeedbackResponse, HandlingAnswer, ImportRejection, Question, QuestionKind
from liaison.inbound.models import InboundMessage
from liaison.investigations.models import Evidence, InvestigationRequest, RequestFinding
from liaison.lib.errors import ApplicationError
from liaison.meetings.models import Meeting, Participant, ParticipantKind
from liaison.org.models import Site
from liaison.retention import selectors
from liaison.retention.models import (
    COUNTING_POINTS,
    MAX_YEARS,
    CountedFrom,
    PurgeRun,
    PurgeTrigger,
    RecordType,
    RetentionRule,
    SitePurgeSetting,
)

if TYPE_CHECKING:
    from liaison.accounts.models import User
    from liaison.reminders.services import SweepReport

logger = logging.getLogger(__name__)

REMOVED = "content removed under the retention rules"

# At most this many records of each kind per site in one run of the worker's daily sweep: a first run over
# years of records does not hold the worker for hours; what is left goes on the following days.
SWEEP_LIMIT = 500
BATCH_SIZE = 100


# -- Periods and the automatic purge ------------------------------------------------------------------------------


def _require_manage(user: User, site: Site) -> None:
    require(user, Cap.RETENTION_MANAGE, site.pk, what="change the retention rules")


def rule_set(
    *,
    acting_user: User,
    site: Site,
    record_type: str,
    years: int,
    counted_from: str,
    source: str,
    verified: bool,
) -> RetentionRule:
    """The site's own period for one kind of record, replacing the pack's default; audited with before and after."""
    _require_manage(acting_user, site)
    if record_type not in RecordType.values:
        raise ApplicationError("There is no such kind of record.")
    if not 1 <= years <= MAX_YEARS:
        raise ApplicationError(f"The period must be between 1 and {MAX_YEARS} years.")
    allowed = COUNTING_POINTS[record_type]
    if counted_from not in allowed:
        names = " or ".join(CountedFrom(point).label for point in allowed)
        raise ApplicationError(f"{RecordType(record_type).label} are counted from {names}.")
    source = source.strip()
    if not source:
        raise ApplicationError(
            "Say where the period comes from (the code, regulation or decision), so it can be checked."
        )
    with transaction.atomic():
        before = selectors.rules_for(site)[record_type]
        row = RetentionRule.objects.select_for_update().filter(site=site, record_type=record_type).first()
        row = row or RetentionRule(site=site, record_type=record_type)
        row.years, row.counted_from, row.source, row.verified = years, counted_from, source[:2000], verified
        row.set_by = acting_user
        row.save()
        audit_record(
            action="retention.rule_set",
            actor=acting_user,
            obj=row,
            site=site,
            details={
                "record_type": record_type,
                "before": {
                    "years": before.years,
                    "counted_from": before.counted_from,
                    "verified": before.verified,
                    "own": before.own,
                },
                "after": {"years": years, "counted_from": counted_from, "verified": verified},
                "source_changed": before.source != row.source,
            },
        )
    return row


def rule_reset(*, acting_user: User, site: Site, record_type: str) -> None:
    """Back to the policy pack's default for one kind of record."""
    _require_manage(acting_user, site)
    if record_type not in RecordType.values:
        raise ApplicationError("There is no such kind of record.")
    with transaction.atomic():
        row = RetentionRule.objects.select_for_update().filter(site=site, record_type=record_type).first()
        if row is None:
            raise ApplicationError("This kind of record already uses the default period.")
        audit_record(
            action="retention.rule_reset",
            actor=acting_user,
            obj=row,
            site=site,
            details={
                "record_type": record_type,
                "before": {"years": row.years, "counted_from": row.counted_from, "verified": row.verified},
            },
        )
        row.delete()


def automatic_purge_set(*, acting_user: User, site: Site, automatic: bool) -> SitePurgeSetting:
    """Let the worker purge this site's due records once a day, or stop it. Off until a manager turns it on."""
    _require_manage(acting_user, site)
    with transaction.atomic():
        setting = SitePurgeSetting.objects.select_for_update().filter(site=site).first()
        before = bool(setting and setting.automatic)
        setting = setting or SitePurgeSetting(site=site)
        setting.automatic, setting.changed_by = automatic, acting_user
        setting.save()
        audit_record(
            action="retention.automatic_purge_set",
            actor=acting_user,
            obj=setting,
            site=site,
            details={"automatic": [before, automatic]},
        )
    return setting


# -- Legal holds --------------------------------------------------------------------------------------------------


def legal_hold_place(*, acting_user: User, case: Case, reason: str) -> Case:
    """Keep ``case`` whole past its retention period (a claim, an inquiry, an ombudsman review) until released."""
    require(acting_user, Cap.RETENTION_HOLD, case.site_id, what="place a legal hold")
    reason = " ".join(reason.split())
    if not reason:
        raise ApplicationError("Say why the case must be kept (for example, the claim or inquiry it is needed for).")
    if len(reason) > 300:
        raise ApplicationError("Keep the reason to 300 characters; the details belong in the case's notes.")

    def apply(locked: Case) -> Change:
        if locked.purged_at is not None:
            raise ApplicationError(
                "This case's personal content was already removed under the retention rules: there is nothing "
                "left to hold."
            )
        if locked.legal_hold:
            raise ApplicationError("This case is already on legal hold.")
        locked.legal_hold, locked.legal_hold_reason = True, reason
        locked.legal_hold_by, locked.legal_hold_at = acting_user, timezone.now()
        return Change(
            "Legal hold placed: kept past its retention period until released",
            kind=TimelineKind.EDIT,
            body=reason,
            data={"retention": "hold_placed"},
            details={"reference": locked.reference, "reason": reason},
        )

    change_case(case, acting_user=acting_user, action="legal_hold_placed", apply=apply)
    return case


def legal_hold_release(*, acting_user: User, case: Case) -> Case:
    """End the hold: from now on the case's retention period applies to it like any other."""
    require(acting_user, Cap.RETENTION_HOLD, case.site_id, what="release a legal hold")

    def apply(locked: Case) -> Change:
        if not locked.legal_hold:
            raise ApplicationError("This case is not on legal hold.")
        reason, since = locked.legal_hold_reason, locked.legal_hold_at
        locked.legal_hold, locked.legal_hold_reason = False, ""
        locked.legal_hold_by, locked.legal_hold_at = None, None
        return Change(
            "Legal hold released: the retention period applies again",
            kind=TimelineKind.EDIT,
            data={"retention": "hold_released"},
            details={
                "reference": locked.reference,
                "reason_was": reason,
                "held_since": since.isoformat() if since else None,
            },
        )

    change_case(case, acting_user=acting_user, action="legal_hold_released", apply=apply)
    return case


# -- Removing content --------------------------------------------------------------------------------------------

# Who the patient and complainant are, and everything they or the office wrote about them, on the case row.
CASE_CONTENT: dict[str, Any] = {
    "patient_name": "",
    "patient_mrn": "",
    "patient_dob": None,
    "patient_phone": "",
    "patient_email": "",
    "patient_address": "",
    "complainant_name": "",
    "complainant_relationship": "",
    "complainant_phone": "",
    "complainant_email": "",
    "complainant_address": "",
    "accessibility_needs": "",
    "desired_outcome": "",
    "account": "",
    "extension_agreement": "",
    "time_limit_decision_notes": "",
    "how_considered": "",
    "learning": "",
    "legal_hold_reason": "",
}

# Timeline entries whose summaries Liaison writes itself from codes ("Closed", "Reopened", "Assigned to …"):
# they keep their summary and data (the figures' history reads them); every other entry keeps only its kind,
# time and author.
_GENERATED_KINDS = (TimelineKind.STATUS, TimelineKind.CLOCK, TimelineKind.ASSIGNMENT)


class _Files:
    """Stored files to delete once the transaction that dropped their rows has committed.

    Deleting first would lose the file if the transaction then rolled back; deleting after can at worst leave
    an orphan file behind (logged, without its name: names can carry a patient's name).
    """

    def __init__(self) -> None:
        self.items: list[tuple[Storage, str]] = []

    def add(self, model: type[models.Model], field_name: str, names: Iterable[str]) -> int:
        storage = model._meta.get_field(field_name).storage  # type: ignore[union-attr]
        before = len(self.items)
        self.items.extend((storage, name) for name in names if name)
        return len(self.items) - before

    def delete_after_commit(self) -> None:
        items = list(self.items)
        if not items:
            return

        def delete() -> None:
            failed = 0
            for storage, name in items:
                try:
                    storage.delete(name)
                except OSError:
                    failed += 1
            if failed:
                logger.warning("retention purge: %s stored file(s) could not be deleted", failed)

        transaction.on_commit(delete)


def _timeline_label(kind: str) -> str:
    return f"{TimelineKind(kind).label}: {REMOVED}"


def _clear_meetings(meeting_ids: list[int], *, whole_case: bool) -> int:
    Meeting.objects.filter(pk__in=meeting_ids).update(
        place="", video_link="", agenda="", access_needs="", notes="", points_agreed="", cancel_reason=""
    )
    # Staff keep their names: they are the hospital's people, on the record in their role.
    Participant.objects.filter(meeting_id__in=meeting_ids).exclude(kind=ParticipantKind.STAFF).update(name="", email="")
    if not whole_case:  # the case purge clears the whole timeline itself
        for kind in TimelineKind.values:
            TimelineEvent.objects.filter(kind=kind, data__meeting__in=meeting_ids).update(
                summary=_timeline_label(kind), body=""
            )
    return len(meeting_ids)


def _clear_appeals(appeal_ids: list[int], files: _Files) -> int:
    Appeal.objects.filter(pk__in=appeal_ids).update(service="", reason_given="", extension_reason="")
    PayerContact.objects.filter(appeal_id__in=appeal_ids).update(person="", reference_number="", said="")
    documents = AppealDocument.objects.filter(appeal_id__in=appeal_ids)
    files.add(AppealDocument, "file", documents.values_list("file", flat=True))
    documents.delete()
    return len(appeal_ids)


def _clear_feedback(response_ids: list[int]) -> int:
    """Free text and contact details go; scores, themes and sentiment (what the dashboards count) stay."""
    responses = FeedbackResponse.objects.filter(pk__in=response_ids)
    text_questions = {
        str(pk)
        for pk in Question.objects.filter(
            kind=QuestionKind.TEXT, survey_id__in=responses.exclude(survey=None).values("survey_id")
        ).values_list("pk", flat=True)
    }
    for pk, answers in responses.values_list("pk", "answers"):
        kept = {key: value for key, value in (answers or {}).items() if key not in text_questions}
        FeedbackResponse.objects.filter(pk=pk).update(
            comment="", contact_name="", contact_email="", contact_phone="", answers=kept
        )
    return len(response_ids)


@dataclass
class CasePurged:
    reference: str
    removed: dict[str, int]


def _case_removals(case: Case, files: _Files) -> dict[str, int]:
    """Everything personal attached to ``case`` (its row is updated by the caller)."""
    removed: dict[str, int] = {}
    issues = Issue.objects.filter(case=case)
    removed["issue_texts"] = issues.update(summary="", finding="", staff_member=None)
    removed["promised_actions"] = PromisedAction.objects.filter(case=case).update(description="", owner="")
    ExternalReferral.objects.filter(case=case).update(reference="", notes="")

    attachments = Attachment.objects.filter(case=case)
    removed["attachments"] = files.add(Attachment, "file", attachments.values_list("file", flat=True))
    attachments.delete()

    requests = InvestigationRequest.objects.filter(case=case)
    removed["investigation_answers"] = requests.update(questions="", statement="", extension_reason="")
    RequestFinding.objects.filter(request__case=case).update(finding="")
    evidence = Evidence.objects.filter(request__case=case)
    removed["evidence_files"] = files.add(Evidence, "file", evidence.values_list("file", flat=True))
    evidence.delete()

    letters = Letter.objects.filter(case=case)
    files.add(Letter, "pdf", letters.values_list("pdf", flat=True))
    removed["letters"] = letters.update(subject="", body_html="", pdf="", sent_to="", confirmed_elements={})

    messages = InboundMessage.objects.filter(case=case)
    files.add(InboundMessage, "raw_file", messages.values_list("raw_file", flat=True))
    removed["inbound_emails"] = messages.update(
        message_id="", from_address="", to_addresses=[], subject="", reason="", raw_file=""
    )

    meeting_ids = list(Meeting.objects.filter(case=case).values_list("pk", flat=True))
    removed["meetings"] = _clear_meetings(meeting_ids, whole_case=True)
    removed["appeals"] = _clear_appeals(list(Appeal.objects.filter(case=case).values_list("pk", flat=True)), files)
    removed["feedback_answers"] = _clear_feedback(
        list(FeedbackResponse.objects.filter(case=case).values_list("pk", flat=True))
    )
    removed["handling_answers"] = (
        HandlingAnswer.objects.filter(invitation__case=case).exclude(comment="").update(comment="")
    )

    # The complainant's link to follow progress: nothing is left to show, so it stops working. (The public app
    # is a sibling layer, so it is reached through the app registry rather than imported.)
    apps.get_model("public", "PublicAccess").objects.filter(case=case).delete()

    events = TimelineEvent.objects.filter(case=case)
    ours = Q(data__has_key="retention")
    events.filter(Q(kind__in=_GENERATED_KINDS) | ours).update(body="")
    for kind in set(TimelineKind.values) - set(_GENERATED_KINDS):
        events.filter(kind=kind).exclude(ours).update(summary=_timeline_label(kind), body="", data={})
    return removed


def case_purge(
    *, case_id: int, site: Site, rules: dict[str, selectors.EffectiveRule], today: date
) -> CasePurged | None:
    """Remove one due case's personal content in its own transaction; ``None`` if it is no longer due (held,
    reopened or purged since it was listed)."""
    rule = rules[RecordType.CASE_FILE]
    files = _Files()
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None or not selectors.cases_due(site, rule, today).filter(pk=case_id).exists():
            return None
        now = timezone.now()
        removed = _case_removals(case, files)
        Case.objects.filter(pk=case.pk).update(**CASE_CONTENT, purged_at=now, updated_at=now, version=F("version") + 1)
        TimelineEvent.objects.create(
            case=case,
            kind=TimelineKind.EDIT,
            occurred_at=now,
            actor=None,
            summary=f"Personal content removed under the retention rules ({rule.years} years from "
            f"{rule.counted_from_label})",
            data={"retention": "purged"},
        )
        audit_record(
            action="retention.case_purged",
            obj=case,
            site=site,
            details={
                "reference": case.reference,
                "record_type": RecordType.CASE_FILE,
                "years": rule.years,
                "counted_from": rule.counted_from,
                "removed": removed,
            },
        )
        files.delete_after_commit()
    return CasePurged(reference=case.reference, removed=removed)


def _purge_case_part(
    *,
    obj_id: int,
    model: type[Meeting] | type[Appeal],
    due: Callable[[], models.QuerySet[Any]],
    record_type: str,
    clear: Callable[[list[int], _Files], int],
    site: Site,
) -> str | None:
    """One meeting or appeal record, with its case row locked (against a hold placed at the same moment)."""
    files = _Files()
    with transaction.atomic():
        case_id = model.objects.filter(pk=obj_id).values_list("case_id", flat=True).first()
        case = Case.objects.select_for_update().filter(pk=case_id).first() if case_id else None
        if case is None or not due().filter(pk=obj_id).exists():
            return None
        clear([obj_id], files)
        audit_record(
            action=f"retention.{record_type}_purged",
            object_type=model._meta.label_lower,
            object_id=obj_id,
            site=site,
            details={"reference": case.reference, "record_type": record_type},
        )
        files.delete_after_commit()
    return case.reference


def _purge_feedback_batch(*, site: Site, rules: dict[str, selectors.EffectiveRule], today: date, size: int) -> int:
    """One batch of feedback in one transaction, with one audit row naming the records by number."""
    with transaction.atomic():
        due = selectors.feedback_due(site, rules, today)
        responses = list(due.responses.values_list("pk", flat=True)[:size])
        handling = list(due.handling_answers.values_list("pk", flat=True)[: max(size - len(responses), 0)])
        rows = list(due.import_rows.values_list("pk", flat=True)[: max(size - len(responses) - len(handling), 0)])
        if not (responses or handling or rows):
            return 0
        _clear_feedback(responses)
        HandlingAnswer.objects.filter(pk__in=handling).update(comment="")
        ImportRejection.objects.filter(pk__in=rows).update(raw="")
        audit_record(
            action="retention.feedback_purged",
            site=site,
            details={
                "record_type": RecordType.FEEDBACK_TEXT,
                "feedback_answers": responses,
                "handling_answers": handling,
                "import_rows": rows,
            },
        )
    return len(responses) + len(handling) + len(rows)


# -- The purge of a site -------------------------------------------------------------------------------------------


@dataclass
class PurgeResult:
    site: Site
    day: date
    counts: dict[str, int] = field(default_factory=lambda: {key: 0 for key in RecordType.values})
    references: list[str] = field(default_factory=list)
    stopped_at_limit: bool = False


def _each_due(queryset: Callable[[], models.QuerySet[Any]], *, limit: int | None, batch_size: int) -> Iterable[int]:
    """The ids of due records, fetched a batch at a time, moving on by id so a skipped record is not met twice."""
    last = 0
    given = 0
    while limit is None or given < limit:
        size = batch_size if limit is None else min(batch_size, limit - given)
        ids = list(queryset().filter(pk__gt=last).values_list("pk", flat=True)[:size])
        if not ids:
            return
        for pk in ids:
            yield pk
            given += 1
        last = ids[-1]


def purge_site(
    *,
    site: Site,
    trigger: str,
    now: datetime | None = None,
    run: PurgeRun | None = None,
    limit: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> PurgeResult:
    """Purge every due record of ``site`` (at most ``limit`` of each kind), case files first.

    Writes an audit row per case (its reference only), per meeting and appeal record, per batch of feedback, and
    one summary row for the run.
    """
    now = now or timezone.now()
    today = selectors.site_today(site, now)
    rules = selectors.rules_for(site)
    run = run or PurgeRun.objects.create(site=site, day=today, trigger=trigger, started_at=now)
    result = PurgeResult(site=site, day=today)

    case_rule = rules[RecordType.CASE_FILE]
    for case_id in _each_due(lambda: selectors.cases_due(site, case_rule, today), limit=limit, batch_size=batch_size):
        purged = case_purge(case_id=case_id, site=site, rules=rules, today=today)
        if purged is not None:
            result.counts[RecordType.CASE_FILE] += 1
            result.references.append(purged.reference)

    parts: list[tuple[str, type[Meeting] | type[Appeal], Callable[[], models.QuerySet[Any]], Any]] = [
        (
            RecordType.MEETING,
            Meeting,
            lambda: selectors.meetings_due(site, rules, today),
            lambda ids, files: _clear_meetings(ids, whole_case=False),
        ),
        (RecordType.APPEAL, Appeal, lambda: selectors.appeals_due(site, rules, today), _clear_appeals),
    ]
    singular: dict[str, str] = {RecordType.MEETING: "meeting", RecordType.APPEAL: "appeal"}
    for record_type, model, due, clear in parts:
        for obj_id in _each_due(due, limit=limit, batch_size=batch_size):
            reference = _purge_case_part(
                obj_id=obj_id, model=model, due=due, record_type=record_type, clear=clear, site=site
            )
            if reference is not None:
                result.counts[record_type] += 1
                result.references.append(f"{reference} {singular[record_type]} {obj_id}")

    while limit is None or result.counts[RecordType.FEEDBACK_TEXT] < limit:
        size = batch_size if limit is None else min(batch_size, limit - result.counts[RecordType.FEEDBACK_TEXT])
        done = _purge_feedback_batch(site=site, rules=rules, today=today, size=size)
        if not done:
            break
        result.counts[RecordType.FEEDBACK_TEXT] += done

    if limit is not None:
        plan = selectors.site_plan(site, today=today, label_limit=0)
        result.stopped_at_limit = plan.total > 0

    with transaction.atomic():
        PurgeRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), counts=result.counts)
        audit_record(
            action="retention.purge",
            obj=run,
            site=site,
            details={
                "trigger": trigger,
                "day": today.isoformat(),
                "counts": result.counts,
                "rules": {key: [rule.years, rule.counted_from, rule.verified] for key, rule in rules.items()},
                "more_left": result.stopped_at_limit,
            },
        )
    return result


def purge_sweep(now: datetime, report: SweepReport) -> None:
    """The worker's daily step: each site that turned automatic purging on is purged at most once a day.

    The day is claimed by inserting the site's scheduled run for it; a second sweep that day (or a second worker)
    finds the claim and leaves the site alone. A run that fails part way keeps its claim: the rest waits until
    the next day, and the page shows the run as unfinished.
    """
    settings = SitePurgeSetting.objects.filter(automatic=True, site__is_active=True).select_related("site")
    for setting in settings.order_by("site__pk"):
        site = setting.site
        day = selectors.site_today(site, now)
        if PurgeRun.objects.filter(site=site, day=day, trigger=PurgeTrigger.SCHEDULE).exists():
            continue  # the usual case: every sweep after the day's first
        try:
            with transaction.atomic():
                run = PurgeRun.objects.create(site=site, day=day, trigger=PurgeTrigger.SCHEDULE, started_at=now)
        except IntegrityError:
            continue  # already purged today
        try:
            purge_site(site=site, trigger=PurgeTrigger.SCHEDULE, now=now, run=run, limit=SWEEP_LIMIT)
        except Exception as exc:  # one site's failure must not stop the other sites or the other sweep steps
            logger.error("retention purge stopped part way site=%s error=%s", site.code, type(exc).__name__)
