"""Every change to a case. Each checks its preconditions, writes the timeline and the audit trail, and
recomputes the next deadline, in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from liaison.accounts.models import Role, User
from liaison.accounts.permissions import require_site_worker
from liaison.audit.services import audit_record, model_changes
from liaison.cases import rules
from liaison.cases.models import (
    OPEN_STATUSES,
    Attachment,
    Case,
    CaseLink,
    CaseSequence,
    CaseType,
    ExternalReferral,
    Issue,
    PhsoStage,
    PromisedAction,
    Status,
    TimelineEvent,
    TimelineKind,
)
from liaison.lib.errors import ApplicationError
from liaison.lib.uploads import check_upload
from liaison.org.models import Department, Site, StaffMember


class EditConflict(ApplicationError):
    """Someone else saved the case after this edit began; nothing was saved."""


# Fields an officer may edit on the case form; received_at, reference and site never change.
EDITABLE_FIELDS = (
    "channel",
    "event_date",
    "awareness_date",
    "patient_known",
    "patient_name",
    "patient_mrn",
    "patient_dob",
    "patient_phone",
    "patient_email",
    "patient_address",
    "complainant_is_patient",
    "complainant_name",
    "complainant_relationship",
    "complainant_phone",
    "complainant_email",
    "complainant_address",
    "consent_method",
    "consent_date",
    "preferred_language",
    "interpreter_needed",
    "accessibility_needs",
    "desired_outcome",
    "account",
    "topics",
    "resolved_at_time_by_staff_present",
    "postponed",
    "referred",
    "requires_investigation",
    "requires_further_action",
    "requested_formal_or_response",
    "medicare_beneficiary",
    "risk_consequence",
    "risk_likelihood",
    "red_flags",
    "agreed_response_date",
)

_WRITTEN_ISSUE_FIELDS = (
    "category",
    "severity",
    "stage_of_care",
    "department",
    "staff_group",
    "staff_member",
    "summary",
)


def _require_worker(user: User, site: Site) -> None:
    require_site_worker(user, site.pk)


def _timeline(case: Case, kind: str, summary: str, actor: User | None, **extra: Any) -> TimelineEvent:
    return TimelineEvent.objects.create(
        case=case,
        kind=kind,
        summary=summary[:300],
        actor=actor,
        occurred_at=extra.pop("occurred_at", timezone.now()),
        **extra,
    )


def _apply_derived(case: Case) -> None:
    """Priority, the US grievance rule and the next deadline follow from the recorded facts."""
    result = rules.rate_priority(case.risk_consequence, case.risk_likelihood, case.red_flags or [])
    case.priority, case.priority_rank = result.priority, result.rank
    if case.case_type in (CaseType.CONCERN, CaseType.COMPLAINT) and rules.classification(case).is_grievance:
        # RULES.md US-2..US-8: when the rules say grievance, the case is one; there is no override.
        case.case_type = CaseType.GRIEVANCE
    case.next_due_at, case.next_due_name = rules.next_due(case)


def _save(
    case: Case, *, acting_user: User, expected_version: int | None = None, fields: list[str] | None = None
) -> None:
    """Save with optimistic locking: the row is written only if nobody saved it since ``expected_version``."""
    _apply_derived(case)
    version = case.version if expected_version is None else expected_version
    values = {
        f.attname: getattr(case, f.attname) for f in case._meta.concrete_fields if f.attname not in ("id", "version")
    }
    if fields is not None:
        derived = ["priority", "priority_rank", "case_type", "next_due_at", "next_due_name", "updated_at"]
        values = {k: v for k, v in values.items() if k in {*fields, *derived}}
    values["updated_at"] = timezone.now()
    updated = Case.objects.filter(pk=case.pk, version=version).update(**values, version=F("version") + 1)
    if not updated:
        current = Case.objects.filter(pk=case.pk).values_list("version", flat=True).first()
        last = (
            TimelineEvent.objects.filter(case_id=case.pk)
            .select_related("actor")
            .order_by("-occurred_at", "-pk")
            .first()
        )
        who = f" by {last.actor} at {timezone.localtime(last.occurred_at):%H:%M}" if last and last.actor else ""
        raise EditConflict(
            f"This case was changed{who} after you opened it, so your changes were not saved and theirs were kept. "
            "Reload the case to see the latest version, then make your change again.",
            extra={"current_version": current},
        )
    case.version = version + 1


def _lock(case: Case) -> Case:
    """The case's row, locked until the transaction ends, so concurrent changes queue instead of racing."""
    return Case.objects.select_for_update().select_related("site").get(pk=case.pk)


def _next_reference(site: Site, year: int) -> str:
    sequence, _ = CaseSequence.objects.get_or_create(site=site, year=year)
    sequence = CaseSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{site.code}-{year}-{sequence.last_number:05d}"


def _validate(case: Case) -> None:
    try:
        case.full_clean(exclude=["reference", "site", "owner", "merged_into"])
    except ValidationError as exc:
        raise ApplicationError("; ".join(exc.messages), extra={"fields": exc.message_dict}) from exc


def _issue_values(spec: dict[str, Any], site: Site) -> dict[str, Any]:
    values = {k: spec.get(k) for k in _WRITTEN_ISSUE_FIELDS if k in spec}
    department = values.get("department")
    if isinstance(department, Department) and department.site_id != site.pk:
        raise ApplicationError("An issue's department must belong to the case's site.")
    staff = values.get("staff_member")
    if isinstance(staff, StaffMember) and staff.site_id != site.pk:
        raise ApplicationError("A named member of staff must work at the case's site.")
    if not (values.get("summary") or "").strip():
        raise ApplicationError("Each issue needs a short summary.")
    values["staff_group"] = values.get("staff_group") or ""
    return values


def case_open(
    *,
    acting_user: User,
    site: Site,
    case_type: str,
    channel: str,
    received_at: datetime | None = None,
    owner: User | None = None,
    issues: Iterable[dict[str, Any]] = (),
    **fields: Any,
) -> Case:
    """Log a new case. ``received_at`` defaults to now and never changes afterwards."""
    _require_worker(acting_user, site)
    return _open_case(
        actor=acting_user,
        site=site,
        case_type=case_type,
        channel=channel,
        received_at=received_at,
        owner=owner,
        issues=issues,
        **fields,
    )


def case_open_by_system(
    *, site: Site, case_type: str, channel: str, received_at: datetime, source: str, **fields: Any
) -> Case:
    """A case that arrived without an officer (an email, a web form): unassigned, in the site's triage queue."""
    case = _open_case(
        actor=None,
        site=site,
        case_type=case_type,
        channel=channel,
        received_at=received_at,
        owner=None,
        issues=(),
        **fields,
    )
    TimelineEvent.objects.filter(case=case, kind=TimelineKind.STATUS).update(data={"source": source})
    return case


def _open_case(
    *,
    actor: User | None,
    site: Site,
    case_type: str,
    channel: str,
    received_at: datetime | None,
    owner: User | None,
    issues: Iterable[dict[str, Any]],
    **fields: Any,
) -> Case:
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"informal_outcome", "flagged_for_review", "reported_department"}
    if unknown:
        raise ApplicationError(f"Unknown case field(s): {', '.join(sorted(unknown))}.")
    department = fields.get("reported_department")
    if department is not None and department.site_id != site.pk:
        raise ApplicationError("The department must belong to the case's site.")
    received_at = received_at or timezone.now()
    if received_at > timezone.now() + timedelta(minutes=5):
        raise ApplicationError("The received date and time cannot be in the future.")
    with transaction.atomic():
        case = Case(site=site, case_type=case_type, channel=channel, received_at=received_at, owner=owner, **fields)
        if not case.patient_known:
            case.patient_name = case.patient_mrn = ""
            case.patient_dob = None
        case.reference = _next_reference(site, timezone.localtime(received_at, site.zone).year)
        _validate(case)
        _apply_derived(case)
        case.save()
        for spec in issues:
            Issue.objects.create(case=case, **_issue_values(spec, site))
        _timeline(
            case,
            TimelineKind.STATUS,
            f"Logged as a new {case.get_case_type_display().lower()} ({case.get_channel_display().lower()})",
            actor,
        )
        if case.case_type != case_type:
            reasons = " ".join(rules.classification(case).reasons)
            _timeline(case, TimelineKind.STATUS, "Classified as a grievance by the site's rules", actor, body=reasons)
        if owner is not None:
            _timeline(case, TimelineKind.ASSIGNMENT, f"Assigned to {owner}", actor)
        audit_record(
            action="case.create",
            actor=actor,
            obj=case,
            site=site,
            details={"reference": case.reference, "type": case.case_type},
        )
    return case


def case_log_incoming(
    *,
    case: Case,
    kind: str,
    summary: str,
    body: str = "",
    occurred_at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    """Something that arrived by itself (an email reply, a letter scanned in) goes on the timeline."""
    with transaction.atomic():
        event = _timeline(
            case, kind, summary, None, body=body, occurred_at=occurred_at or timezone.now(), data=data or {}
        )
        Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
        audit_record(action=f"case.{kind}_received", obj=case, site=case.site, details={"timeline_event": event.pk})
    return event


def case_update(*, acting_user: User, case: Case, expected_version: int, **fields: Any) -> Case:
    """Edit the case's details. Refused, with nothing saved, when someone saved it since ``expected_version``."""
    _require_worker(acting_user, case.site)
    bad = set(fields) - set(EDITABLE_FIELDS)
    if bad:
        raise ApplicationError(f"These fields cannot be edited here: {', '.join(sorted(bad))}.")
    with transaction.atomic():
        before = {name: getattr(case, name) for name in fields}
        for name, value in fields.items():
            setattr(case, name, value)
        _validate(case)
        old_type = case.case_type
        _save(case, acting_user=acting_user, expected_version=expected_version, fields=list(fields))
        changes = model_changes(
            {k: _plain(v) for k, v in before.items()}, {k: _plain(getattr(case, k)) for k in fields}
        )
        if changes:
            _timeline(case, TimelineKind.EDIT, f"Details edited: {', '.join(sorted(changes))}", acting_user)
            # Field names only: the trail must not copy patient details into a second place.
            audit_record(
                action="case.update", actor=acting_user, obj=case, site=case.site, details={"fields": sorted(changes)}
            )
        if case.case_type != old_type:
            _timeline(case, TimelineKind.STATUS, "Classified as a grievance by the site's rules", acting_user)
    return case


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _transition(
    case: Case,
    *,
    acting_user: User,
    to: str,
    allowed_from: Iterable[str],
    summary: str,
    extra_fields: dict[str, Any] | None = None,
    body: str = "",
) -> Case:
    _require_worker(acting_user, case.site)
    allowed = set(allowed_from)
    with transaction.atomic():
        locked = _lock(case)
        if locked.status not in allowed:
            raise ApplicationError(
                f"A case that is {locked.get_status_display().lower()} cannot be moved to {Status(to).label.lower()}."
            )
        before = locked.status
        locked.status = to
        for name, value in (extra_fields or {}).items():
            setattr(locked, name, value)
        _save(locked, acting_user=acting_user)
        _timeline(locked, TimelineKind.STATUS, summary, acting_user, body=body, data={"from": before, "to": to})
        audit_record(
            action=f"case.{to}", actor=acting_user, obj=locked, site=locked.site, details={"status": [before, to]}
        )
    case.refresh_from_db()
    return case


def _require_time_limit_decision(case: Case) -> None:
    if rules.needs_time_limit_decision(case):
        check = rules.time_limit(case)
        raise ApplicationError(
            f"This complaint was made after the time limit ({check.limit_date:%d %B %Y}). Record a decision on the "
            "time limit (good reason for the delay, and whether a fair investigation is still possible) first."
        )


def case_acknowledge(*, acting_user: User, case: Case, when: datetime | None = None, how: str = "") -> Case:
    _require_worker(acting_user, case.site)
    when = when or timezone.now()
    if when < case.received_at:
        raise ApplicationError("A case cannot be acknowledged before it was received.")
    summary = f"Acknowledged{f' by {how}' if how else ''}"
    return _transition(
        case,
        acting_user=acting_user,
        to=Status.ACKNOWLEDGED,
        allowed_from=[Status.NEW],
        summary=summary,
        extra_fields={"acknowledged_at": when},
    )


def case_start_investigation(*, acting_user: User, case: Case) -> Case:
    _require_worker(acting_user, case.site)
    _require_time_limit_decision(case)
    return _transition(
        case,
        acting_user=acting_user,
        to=Status.UNDER_INVESTIGATION,
        allowed_from=[Status.NEW, Status.ACKNOWLEDGED],
        summary="Investigation started",
    )


def case_mark_response_drafted(*, acting_user: User, case: Case) -> Case:
    _require_worker(acting_user, case.site)
    return _transition(
        case,
        acting_user=acting_user,
        to=Status.RESPONSE_DRAFTED,
        allowed_from=[Status.UNDER_INVESTIGATION],
        summary="Response drafted",
    )


def case_record_response(
    *, acting_user: User, case: Case, sent_at: datetime | None = None, written_notice: bool = False
) -> Case:
    """The written response was sent. For a grievance it is the written notice of decision (US-15)."""
    _require_worker(acting_user, case.site)
    sent_at = sent_at or timezone.now()
    if case.case_type == CaseType.GRIEVANCE and not written_notice:
        raise ApplicationError(
            "A grievance is answered by a written notice of the decision (US-15): record that it was sent."
        )
    extra: dict[str, Any] = {"responded_at": sent_at}
    if written_notice:
        extra["written_notice_sent_at"] = sent_at
    return _transition(
        case,
        acting_user=acting_user,
        to=Status.RESPONDED,
        allowed_from=[Status.ACKNOWLEDGED, Status.UNDER_INVESTIGATION, Status.RESPONSE_DRAFTED],
        summary="Written notice of the decision sent" if written_notice else "Response sent",
        extra_fields=extra,
    )


def case_close(*, acting_user: User, case: Case, note: str = "") -> Case:
    _require_worker(acting_user, case.site)
    formal = case.case_type in (CaseType.COMPLAINT, CaseType.GRIEVANCE)
    if case.case_type == CaseType.GRIEVANCE and case.written_notice_sent_at is None:
        raise ApplicationError(
            "A grievance cannot close until the written notice of the decision is recorded as sent (US-15)."
        )
    if formal and case.responded_at is None:
        raise ApplicationError("A complaint cannot close before its written response is recorded as sent.")
    _require_time_limit_decision(case)
    return _transition(
        case,
        acting_user=acting_user,
        to=Status.CLOSED,
        allowed_from=OPEN_STATUSES,
        summary="Closed",
        body=note,
        extra_fields={"closed_at": timezone.now()},
    )


def case_reopen(*, acting_user: User, case: Case, reason: str) -> Case:
    _require_worker(acting_user, case.site)
    if not reason.strip():
        raise ApplicationError("Say why the case is reopened.")
    return _transition(
        case,
        acting_user=acting_user,
        to=Status.UNDER_INVESTIGATION,
        allowed_from=[Status.CLOSED, Status.RESPONDED, Status.WITHDRAWN],
        summary="Reopened",
        body=reason,
        extra_fields={"closed_at": None, "responded_at": None},
    )


def case_withdraw(*, acting_user: User, case: Case, reason: str) -> Case:
    _require_worker(acting_user, case.site)
    if not reason.strip():
        raise ApplicationError("Record why the complainant withdrew.")
    return _transition(
        case,
        acting_user=acting_user,
        to=Status.WITHDRAWN,
        allowed_from=OPEN_STATUSES,
        summary="Withdrawn by the complainant",
        body=reason,
        extra_fields={"closed_at": timezone.now()},
    )


def case_refer_externally(
    *, acting_user: User, case: Case, body: str, referred_on: date, reference: str = "", notes: str = ""
) -> Case:
    _require_worker(acting_user, case.site)
    with transaction.atomic():
        ExternalReferral.objects.create(
            case=case, body=body, referred_on=referred_on, reference=reference, notes=notes, created_by=acting_user
        )
        label = dict(ExternalReferral._meta.get_field("body").choices or [])[body]
        return _transition(
            case,
            acting_user=acting_user,
            to=Status.REFERRED,
            allowed_from=[*OPEN_STATUSES, Status.CLOSED],
            summary=f"Referred to {label} on {referred_on:%d %b %Y}" + (f" (ref. {reference})" if reference else ""),
            body=notes,
        )


def case_assign(*, acting_user: User, case: Case, owner: User | None) -> Case:
    _require_worker(acting_user, case.site)
    if owner is not None and not (owner.has_role(Role.OFFICER, Role.MANAGER) and case.site_id in owner.site_ids):
        raise ApplicationError(f"{owner} does not work on cases at {case.site}.")
    with transaction.atomic():
        locked = _lock(case)
        before = locked.owner
        locked.owner = owner
        _save(locked, acting_user=acting_user, fields=["owner"])
        _timeline(locked, TimelineKind.ASSIGNMENT, f"Assigned to {owner}" if owner else "Unassigned", acting_user)
        audit_record(
            action="case.assign",
            actor=acting_user,
            obj=locked,
            site=locked.site,
            details={"owner": [before.pk if before else None, owner.pk if owner else None]},
        )
    case.refresh_from_db()
    return case


def case_convert(*, acting_user: User, case: Case, new_type: str) -> Case:
    """Change the type (e.g. a concern becomes a complaint). The received date stays as it was."""
    _require_worker(acting_user, case.site)
    if new_type not in CaseType.values:
        raise ApplicationError("Unknown case type.")
    with transaction.atomic():
        locked = _lock(case)
        before = locked.case_type
        locked.case_type = new_type
        _save(locked, acting_user=acting_user, fields=["case_type"])
        _timeline(
            locked,
            TimelineKind.STATUS,
            f"Converted from {CaseType(before).label.lower()} to {locked.get_case_type_display().lower()}; "
            "received date kept",
            acting_user,
        )
        audit_record(
            action="case.convert",
            actor=acting_user,
            obj=locked,
            site=locked.site,
            details={"type": [before, locked.case_type]},
        )
    case.refresh_from_db()
    return case


def case_record_time_limit_decision(
    *, acting_user: User, case: Case, good_reason: bool, fair_investigation_possible: bool, notes: str
) -> Case:
    """England's 12-month rule (UK-2): both tests must be met for an out-of-time complaint to proceed."""
    _require_worker(acting_user, case.site)
    if not notes.strip():
        raise ApplicationError("Record the reasons for the decision.")
    with transaction.atomic():
        locked = _lock(case)
        locked.time_limit_good_reason = good_reason
        locked.time_limit_fair_investigation_possible = fair_investigation_possible
        locked.time_limit_decision_notes = notes
        locked.time_limit_decided_at = timezone.now()
        proceeds = good_reason and fair_investigation_possible
        _save(locked, acting_user=acting_user)
        _timeline(
            locked,
            TimelineKind.CLOCK,
            "Time limit waived: the complaint proceeds"
            if proceeds
            else "Time limit applied: not investigated under the complaint rules",
            acting_user,
            body=notes,
        )
        audit_record(
            action="case.time_limit_decision",
            actor=acting_user,
            obj=locked,
            site=locked.site,
            details={"good_reason": good_reason, "fair_investigation_possible": fair_investigation_possible},
        )
    case.refresh_from_db()
    return case


def case_record_extension(*, acting_user: User, case: Case, until: date, agreement: str) -> Case:
    """A longer response period, only with the complainant's recorded agreement (UK-8)."""
    _require_worker(acting_user, case.site)
    if not agreement.strip():
        raise ApplicationError("An extension needs the complainant's agreement recorded: say how and when they agreed.")
    if until <= timezone.localdate(case.received_at, case.site.zone):
        raise ApplicationError("The extended date must be after the date the case was received.")
    with transaction.atomic():
        locked = _lock(case)
        before = locked.next_due_at
        # The agreed date is both the new response date and the new statutory limit (UK-8).
        locked.extension_agreed_until, locked.extension_agreement, locked.agreed_response_date = until, agreement, until
        _save(locked, acting_user=acting_user)
        _timeline(
            locked,
            TimelineKind.CLOCK,
            f"Response date extended to {until:%d %b %Y} by agreement",
            acting_user,
            body=agreement,
        )
        audit_record(
            action="case.extension",
            actor=acting_user,
            obj=locked,
            site=locked.site,
            details={"until": until.isoformat(), "next_due": [_plain(before), _plain(locked.next_due_at)]},
        )
    case.refresh_from_db()
    return case


def case_record_interim_notice(*, acting_user: User, case: Case, sent_at: datetime, followup_within_days: int) -> Case:
    """US-14: the patient is told the grievance is still being worked on, with a follow-up date."""
    _require_worker(acting_user, case.site)
    if followup_within_days < 1:
        raise ApplicationError("State within how many days the written response will follow.")
    with transaction.atomic():
        locked = _lock(case)
        locked.interim_notice_sent_at, locked.followup_within_days = sent_at, followup_within_days
        _save(locked, acting_user=acting_user)
        _timeline(
            locked,
            TimelineKind.CLOCK,
            f"Interim notice sent; written response promised within {followup_within_days} days",
            acting_user,
        )
        audit_record(action="case.interim_notice", actor=acting_user, obj=locked, site=locked.site)
    case.refresh_from_db()
    return case


def case_set_phso_stage(*, acting_user: User, case: Case, stage: str) -> Case:
    """England: early resolution for straightforward matters, a detailed look for complex or serious ones (UK-12)."""
    _require_worker(acting_user, case.site)
    if stage not in PhsoStage.values:
        raise ApplicationError("Choose early resolution or detailed investigation.")
    with transaction.atomic():
        locked = _lock(case)
        before = locked.phso_stage
        locked.phso_stage = stage
        _save(locked, acting_user=acting_user, fields=["phso_stage"])
        _timeline(locked, TimelineKind.STATUS, f"Handling: {PhsoStage(stage).label.lower()}", acting_user)
        audit_record(
            action="case.phso_stage",
            actor=acting_user,
            obj=locked,
            site=locked.site,
            details={"stage": [before, stage]},
        )
    case.refresh_from_db()
    return case


def case_resolve_informally(
    *, acting_user: User, case: Case, outcome: str, note: str, flag_for_review: bool = False
) -> Case:
    """An informal concern resolved at first contact, or one where the patient declined a formal complaint."""
    _require_worker(acting_user, case.site)
    if case.case_type != CaseType.CONCERN:
        raise ApplicationError("Only a concern can be resolved informally; convert it first if needed.")
    if not note.strip():
        raise ApplicationError("Record what was done or agreed.")
    with transaction.atomic():
        locked = _lock(case)
        locked.informal_outcome, locked.flagged_for_review = outcome, flag_for_review
        _save(locked, acting_user=acting_user, fields=["informal_outcome", "flagged_for_review"])
    return case_close(acting_user=acting_user, case=Case.objects.get(pk=case.pk), note=note)


def case_add_note(
    *, acting_user: User, case: Case, kind: str, summary: str, body: str = "", duration_minutes: int | None = None
) -> TimelineEvent:
    """A note, phone call (with its length), or an email or letter logged by hand."""
    _require_worker(acting_user, case.site)
    if kind not in (TimelineKind.NOTE, TimelineKind.CALL, TimelineKind.EMAIL, TimelineKind.LETTER):
        raise ApplicationError("Choose a note, call, email or letter.")
    if not summary.strip():
        raise ApplicationError("Give the entry a short summary.")
    if kind == TimelineKind.CALL and not duration_minutes:
        raise ApplicationError("Record how long the call lasted.")
    with transaction.atomic():
        event = _timeline(case, kind, summary, acting_user, body=body, duration_minutes=duration_minutes)
        Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
        audit_record(
            action=f"case.{kind}", actor=acting_user, obj=case, site=case.site, details={"timeline_event": event.pk}
        )
    return event


def case_add_attachment(*, acting_user: User | None, case: Case, upload: UploadedFile) -> Attachment:
    """Attach a checked file. ``acting_user=None`` only for files that arrived by themselves (inbound email)."""
    if acting_user is not None:
        _require_worker(acting_user, case.site)
    content_type = check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with transaction.atomic():
        attachment = Attachment(
            case=case,
            original_name=(upload.name or "file")[:255],
            content_type=content_type,
            size=upload.size or 0,
            sha256=digest.hexdigest(),
            uploaded_by=acting_user,
        )
        attachment.file.save(f"{case.reference}-{digest.hexdigest()[:12]}", upload, save=False)
        attachment.save()
        _timeline(
            case,
            TimelineKind.ATTACHMENT,
            f"Attached {attachment.original_name}",
            acting_user,
            data={"attachment": attachment.pk},
        )
        audit_record(
            action="case.attachment",
            actor=acting_user,
            obj=case,
            site=case.site,
            details={"attachment": attachment.pk, "sha256": attachment.sha256},
        )
    return attachment


def case_link(*, acting_user: User, case: Case, other: Case, kind: str = CaseLink.Kind.RELATED) -> CaseLink:
    _require_worker(acting_user, case.site)
    _require_worker(acting_user, other.site)
    if case.pk == other.pk:
        raise ApplicationError("A case cannot be linked to itself.")
    with transaction.atomic():
        link, created = CaseLink.objects.get_or_create(
            from_case=case, to_case=other, defaults={"kind": kind, "created_by": acting_user}
        )
        if created:
            _timeline(case, TimelineKind.LINK, f"Linked to {other.reference}", acting_user)
            _timeline(other, TimelineKind.LINK, f"Linked from {case.reference}", acting_user)
            audit_record(
                action="case.link",
                actor=acting_user,
                obj=case,
                site=case.site,
                details={"to": other.reference, "kind": kind},
            )
    return link


def case_merge(*, acting_user: User, duplicate: Case, into: Case) -> Case:
    """Close a duplicate into the case that carries on. Both keep their full histories."""
    if duplicate.pk == into.pk:
        raise ApplicationError("A case cannot be merged into itself.")
    if into.merged_into_id:
        raise ApplicationError(f"{into.reference} was itself merged into another case; merge into that one.")
    with transaction.atomic():
        case_link(acting_user=acting_user, case=duplicate, other=into, kind=CaseLink.Kind.DUPLICATE)
        locked = Case.objects.select_for_update().select_related("site").get(pk=duplicate.pk)
        locked.merged_into = into
        locked.status = Status.CLOSED
        locked.closed_at = timezone.now()
        _save(locked, acting_user=acting_user)
        _timeline(locked, TimelineKind.STATUS, f"Merged into {into.reference} as a duplicate", acting_user)
        _timeline(into, TimelineKind.LINK, f"{duplicate.reference} merged into this case as a duplicate", acting_user)
        audit_record(
            action="case.merge", actor=acting_user, obj=locked, site=locked.site, details={"into": into.reference}
        )
    duplicate.refresh_from_db()
    return duplicate


def case_set_restriction(
    *, acting_user: User, case: Case, restricted: bool, reason: str, users: Iterable[User]
) -> Case:
    """Limit a case to named people (staff as patient, public figure, safeguarding)."""
    _require_worker(acting_user, case.site)
    people = set(users) | {acting_user}
    if restricted and not reason:
        raise ApplicationError("Give the reason for restricting the case.")
    with transaction.atomic():
        locked = _lock(case)
        locked.restricted, locked.restricted_reason = restricted, reason if restricted else ""
        _save(locked, acting_user=acting_user, fields=["restricted", "restricted_reason"])
        locked.restricted_to.set(people if restricted else [])
        _timeline(
            locked, TimelineKind.EDIT, "Restricted to named people" if restricted else "Restriction lifted", acting_user
        )
        audit_record(
            action="case.restrict",
            actor=acting_user,
            obj=locked,
            site=locked.site,
            details={
                "restricted": restricted,
                "reason": reason,
                "users": sorted(u.pk for u in people) if restricted else [],
            },
        )
    case.refresh_from_db()
    return case


def issue_add(*, acting_user: User, case: Case, **spec: Any) -> Issue:
    _require_worker(acting_user, case.site)
    with transaction.atomic():
        issue = Issue.objects.create(case=case, **_issue_values(spec, case.site))
        _timeline(case, TimelineKind.EDIT, f"Issue added: {issue.get_category_display()}", acting_user)
        audit_record(
            action="case.issue_add",
            actor=acting_user,
            obj=case,
            site=case.site,
            details={"issue": issue.pk, "category": issue.category},
        )
    return issue


def issue_remove(*, acting_user: User, issue: Issue) -> None:
    case = issue.case
    _require_worker(acting_user, case.site)
    with transaction.atomic():
        details = {"issue": issue.pk, "category": issue.category}
        issue.delete()
        _timeline(case, TimelineKind.EDIT, "Issue removed", acting_user)
        audit_record(action="case.issue_remove", actor=acting_user, obj=case, site=case.site, details=details)


def case_record_findings(
    *,
    acting_user: User,
    case: Case,
    issue_findings: dict[int, tuple[str, str]],
    outcome: str,
    how_considered: str,
    learning: str = "",
    completed_on: date | None = None,
) -> Case:
    """What the investigation found: a finding and outcome per issue, the overall outcome, the learning."""
    _require_worker(acting_user, case.site)
    issues = {issue.pk: issue for issue in case.issues.all()}
    if set(issue_findings) - set(issues):
        raise ApplicationError("A finding refers to an issue that is not on this case.")
    with transaction.atomic():
        for issue_id, (finding, issue_outcome) in issue_findings.items():
            issue = issues[issue_id]
            issue.finding, issue.outcome = finding.strip(), issue_outcome
            issue.save(update_fields=["finding", "outcome"])
        locked = _lock(case)
        locked.outcome, locked.how_considered, locked.learning = outcome, how_considered.strip(), learning.strip()
        locked.investigation_completed_on = completed_on or timezone.localdate(timezone.now(), locked.site.zone)
        _save(
            locked,
            acting_user=acting_user,
            fields=["outcome", "how_considered", "learning", "investigation_completed_on"],
        )
        _timeline(locked, TimelineKind.EDIT, "Findings and outcome recorded", acting_user)
        audit_record(
            action="case.findings",
            actor=acting_user,
            obj=locked,
            site=locked.site,
            details={"outcome": outcome, "issues": {str(k): v[1] for k, v in issue_findings.items()}},
        )
    case.refresh_from_db()
    return case


def case_add_promised_action(
    *, acting_user: User, case: Case, description: str, owner: str, due_date: date
) -> PromisedAction:
    _require_worker(acting_user, case.site)
    if not description.strip() or not owner.strip():
        raise ApplicationError("Say what will be done and who will do it.")
    with transaction.atomic():
        action = PromisedAction.objects.create(
            case=case, description=description.strip(), owner=owner.strip(), due_date=due_date
        )
        _timeline(case, TimelineKind.EDIT, f"Action promised: {action.description}", acting_user)
        audit_record(
            action="case.promised_action", actor=acting_user, obj=case, site=case.site, details={"action": action.pk}
        )
    return action
