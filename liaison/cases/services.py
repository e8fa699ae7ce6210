"""Every change to a case. Each checks its preconditions, writes the timeline and the audit trail, and
recomputes the next deadline, in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can, require_site_worker
from liaison.audit.services import audit_record, model_changes
from liaison.cases import figures, hooks, rules
from liaison.cases.models import (
    OPEN_STATUSES,
    Attachment,
    Case,
    CaseLink,
    CaseSequence,
    CaseType,
    ExternalBody,
    ExternalReferral,
    Issue,
    PhsoStage,
    PromisedAction,
    Status,
    TimelineEvent,
    TimelineKind,
)
from liaison.lib.errors import ApplicationError
from liaison.lib.uploads import check_upload, safe_filename
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
    figures.refresh(case)


def _conflict(case_pk: int, current: int | None) -> EditConflict:
    last = TimelineEvent.objects.filter(case_id=case_pk).select_related("actor").order_by("-occurred_at", "-pk").first()
    who = f" by {last.actor} at {timezone.localtime(last.occurred_at):%H:%M}" if last and last.actor else ""
    return EditConflict(
        f"This case was changed{who} after you opened it, so your changes were not saved and theirs were kept. "
        "Reload the case to see the latest version, then make your change again.",
        extra={"current_version": current},
    )


_DERIVED = ("priority", "priority_rank", "case_type", "next_due_at", "next_due_name", *figures.FIGURE_FIELDS)


def _save(case: Case, *, expected_version: int | None = None, fields: Iterable[str] | None = None) -> None:
    """Save with optimistic locking: the row is written only if nobody saved it since ``expected_version``.

    ``fields`` may name fields (``owner``) or their columns (``owner_id``); the derived fields always follow.
    """
    _apply_derived(case)
    version = case.version if expected_version is None else expected_version
    concrete = [f for f in case._meta.concrete_fields if f.attname not in ("id", "version")]
    if fields is not None:
        wanted = {getattr(case._meta.get_field(name), "attname", name) for name in (*fields, *_DERIVED)}
        concrete = [f for f in concrete if f.attname in wanted]
    values = {f.attname: getattr(case, f.attname) for f in concrete}
    values["updated_at"] = timezone.now()
    updated = Case.objects.filter(pk=case.pk, version=version).update(**values, version=F("version") + 1)
    if not updated:
        raise _conflict(case.pk, Case.objects.filter(pk=case.pk).values_list("version", flat=True).first())
    case.version = version + 1
    case.updated_at = values["updated_at"]


def _lock(case: Case) -> Case:
    """The case's row, locked until the transaction ends, so concurrent changes queue instead of racing."""
    return Case.objects.select_for_update(of=("self",)).select_related("site").get(pk=case.pk)


@dataclass
class Change:
    """What one action did to a case, for its timeline entry and its audit row.

    ``summary`` empty: no timeline entry (the action wrote its own). ``also`` adds entries to other cases.
    """

    summary: str
    kind: str = TimelineKind.STATUS
    body: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    duration_minutes: int | None = None
    also: list[tuple[Case, str, str]] = field(default_factory=list)  # (case, kind, summary)
    event: TimelineEvent | None = None


def _snapshot(case: Case) -> dict[str, Any]:
    return {f.attname: getattr(case, f.attname) for f in case._meta.concrete_fields}


def change_case(
    case: Case,
    *,
    acting_user: User,
    action: str,
    apply: Callable[[Case], Change],
    expected_version: int | None = None,
) -> Change:
    """The one way to change a case: lock its row, check and apply, save with the version check, write the
    timeline entry and the audit row — all in one transaction, or nothing at all.

    ``apply`` receives the locked row, checks its preconditions on it (raising ApplicationError leaves
    everything as it was), changes it and says what it did. The caller's ``case`` is refreshed afterwards.
    """
    _require_worker(acting_user, case.site)
    with transaction.atomic():
        locked = _lock(case)
        if expected_version is not None and locked.version != expected_version:
            raise _conflict(locked.pk, locked.version)
        before = _snapshot(locked)
        change = apply(locked)
        after = _snapshot(locked)
        _save(locked, fields=[name for name, value in after.items() if before[name] != value])
        if change.summary:
            change.event = _timeline(
                locked,
                change.kind,
                change.summary,
                acting_user,
                body=change.body,
                data=change.data,
                duration_minutes=change.duration_minutes,
            )
        for other, kind, summary in change.also:
            _timeline(other, kind, summary, acting_user)
        audit_record(action=f"case.{action}", actor=acting_user, obj=locked, site=locked.site, details=change.details)
        # Webhooks: higher apps hear of every status change here, in this transaction (liaison/cases/hooks.py).
        if before["status"] != locked.status:
            hooks.case_event(
                hooks.CaseEvent(
                    kind="status_changed",
                    case=locked,
                    acting_user=acting_user,
                    from_status=before["status"],
                    to_status=locked.status,
                )
            )
    case.refresh_from_db()
    return change


def _next_reference(site: Site, year: int) -> str:
    sequence, _ = CaseSequence.objects.get_or_create(site=site, year=year)
    sequence = CaseSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{site.code}-{year}-{sequence.last_number:05d}"


def _validate(case: Case) -> None:
    try:
        # The check constraints repeat the fields' own validators (risk 1-5, the choices), which full_clean runs
        # in Python; validating the constraints as well would cost a query each for nothing.
        case.full_clean(exclude=["reference", "site", "owner", "merged_into"], validate_constraints=False)
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
    case = Case(site=site, case_type=case_type, channel=channel, received_at=received_at, owner=owner, **fields)
    if not case.patient_known:
        case.patient_name = case.patient_mrn = ""
        case.patient_dob = None
    # Everything that needs no lock is worked out first: the site's reference counter and the audit chain are
    # held from here to the commit, and every other case being logged at the site waits for them.
    _validate(case)
    _apply_derived(case)
    issue_values = [_issue_values(spec, site) for spec in issues]
    with transaction.atomic():
        case.reference = _next_reference(site, timezone.localtime(received_at, site.zone).year)
        case.save()
        Issue.objects.bulk_create(Issue(case=case, **values) for values in issue_values)
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
        # Webhooks: higher apps hear of the new case in this transaction (liaison/cases/hooks.py).
        hooks.case_event(hooks.CaseEvent(kind="opened", case=case, acting_user=actor, to_status=case.status))
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

    def apply(locked: Case) -> Change:
        old_type = locked.case_type
        before = {name: _plain(getattr(locked, name)) for name in fields}
        for name, value in fields.items():
            setattr(locked, name, value)
        _validate(locked)
        _apply_derived(locked)
        changes = model_changes(before, {k: _plain(getattr(locked, k)) for k in fields})
        also: list[tuple[Case, str, str]] = []
        if locked.case_type != old_type:
            also.append((locked, TimelineKind.STATUS, "Classified as a grievance by the site's rules"))
        # Field names only: the trail must not copy patient details into a second place.
        return Change(
            f"Details edited: {', '.join(sorted(changes))}" if changes else "",
            kind=TimelineKind.EDIT,
            details={"fields": sorted(changes)},
            also=also,
        )

    change_case(case, acting_user=acting_user, action="update", apply=apply, expected_version=expected_version)
    return case


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _status_label(case: Case) -> str:
    return case.get_status_display().lower()


def _transition(
    case: Case,
    *,
    acting_user: User,
    to: str,
    allowed_from: Iterable[str],
    summary: str,
    extra_fields: dict[str, Any] | None = None,
    body: str = "",
    check: Callable[[Case], None] | None = None,
) -> Case:
    allowed = set(allowed_from)

    def apply(locked: Case) -> Change:
        if locked.status not in allowed:
            raise ApplicationError(
                f"A case that is {_status_label(locked)} cannot be moved to {Status(to).label.lower()}."
            )
        if check is not None:
            check(locked)
        before = locked.status
        locked.status = to
        for name, value in (extra_fields or {}).items():
            setattr(locked, name, value)
        return Change(summary, body=body, data={"from": before, "to": to}, details={"status": [before, to]})

    change_case(case, acting_user=acting_user, action=to, apply=apply)
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
    return _transition(
        case,
        acting_user=acting_user,
        to=Status.UNDER_INVESTIGATION,
        allowed_from=[Status.NEW, Status.ACKNOWLEDGED],
        summary="Investigation started",
        check=_require_time_limit_decision,
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

    def check(locked: Case) -> None:
        if locked.case_type == CaseType.GRIEVANCE and not written_notice:
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
        check=check,
    )


def _check_closable(case: Case) -> None:
    if case.case_type == CaseType.GRIEVANCE and case.written_notice_sent_at is None:
        raise ApplicationError(
            "A grievance cannot close until the written notice of the decision is recorded as sent (US-15)."
        )
    if case.case_type in (CaseType.COMPLAINT, CaseType.GRIEVANCE) and case.responded_at is None:
        raise ApplicationError("A complaint cannot close before its written response is recorded as sent.")
    _require_time_limit_decision(case)


def case_close(*, acting_user: User, case: Case, note: str = "") -> Case:
    _require_worker(acting_user, case.site)
    return _transition(
        case,
        acting_user=acting_user,
        to=Status.CLOSED,
        allowed_from=OPEN_STATUSES,
        summary="Closed",
        body=note,
        extra_fields={"closed_at": timezone.now()},
        check=_check_closable,
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
        extra_fields={"closed_at": None, "responded_at": None, "reopened": True},
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
    allowed_bodies = rules.referral_bodies(case)
    if body not in allowed_bodies:
        raise ApplicationError("Choose a body that this site's rules refer complaints to.")
    label = ExternalBody(body).label
    summary = f"Referred to {label} on {referred_on:%d %b %Y}" + (f" (ref. {reference})" if reference else "")

    def create_referral(locked: Case) -> None:
        ExternalReferral.objects.create(
            case=locked, body=body, referred_on=referred_on, reference=reference, notes=notes, created_by=acting_user
        )

    return _transition(
        case,
        acting_user=acting_user,
        to=Status.REFERRED,
        allowed_from=[*OPEN_STATUSES, Status.CLOSED],
        summary=summary,
        body=notes,
        check=create_referral,
    )


def case_assign(*, acting_user: User, case: Case, owner: User | None) -> Case:
    _require_worker(acting_user, case.site)
    if owner is not None and not can(owner, Cap.CASE_OWN, case.site_id):
        raise ApplicationError(f"{owner} does not work on cases at {case.site}.")

    def apply(locked: Case) -> Change:
        before = locked.owner_id
        locked.owner = owner
        return Change(
            f"Assigned to {owner}" if owner else "Unassigned",
            kind=TimelineKind.ASSIGNMENT,
            details={"owner": [before, owner.pk if owner else None]},
        )

    change_case(case, acting_user=acting_user, action="assign", apply=apply)
    return case


def case_convert(*, acting_user: User, case: Case, new_type: str) -> Case:
    """Change the type (e.g. a concern becomes a complaint). The received date stays as it was."""
    _require_worker(acting_user, case.site)
    if new_type not in CaseType.values:
        raise ApplicationError("Unknown case type.")

    def apply(locked: Case) -> Change:
        if not locked.is_open:
            raise ApplicationError("Reopen the case before changing its type.")
        before = locked.case_type
        if before == new_type:
            raise ApplicationError(f"The case is already a {CaseType(new_type).label.lower()}.")
        locked.case_type = new_type
        _apply_derived(locked)
        return Change(
            f"Converted from {CaseType(before).label.lower()} to {locked.get_case_type_display().lower()}; "
            "received date kept",
            details={"type": [before, locked.case_type]},
        )

    change_case(case, acting_user=acting_user, action="convert", apply=apply)
    return case


def case_record_time_limit_decision(
    *, acting_user: User, case: Case, good_reason: bool, fair_investigation_possible: bool, notes: str
) -> Case:
    """England's 12-month rule (UK-2): both tests must be met for an out-of-time complaint to proceed."""
    _require_worker(acting_user, case.site)
    if not notes.strip():
        raise ApplicationError("Record the reasons for the decision.")

    def apply(locked: Case) -> Change:
        if not rules.time_limit(locked).out_of_time:
            raise ApplicationError("This case was raised within the time limit; there is nothing to decide.")
        locked.time_limit_good_reason = good_reason
        locked.time_limit_fair_investigation_possible = fair_investigation_possible
        locked.time_limit_decision_notes = notes
        locked.time_limit_decided_at = timezone.now()
        proceeds = good_reason and fair_investigation_possible
        return Change(
            "Time limit waived: the complaint proceeds"
            if proceeds
            else "Time limit applied: not investigated under the complaint rules",
            kind=TimelineKind.CLOCK,
            body=notes,
            details={"good_reason": good_reason, "fair_investigation_possible": fair_investigation_possible},
        )

    change_case(case, acting_user=acting_user, action="time_limit_decision", apply=apply)
    return case


def case_record_extension(*, acting_user: User, case: Case, until: date, agreement: str) -> Case:
    """A longer response period, only with the complainant's recorded agreement (UK-8)."""
    _require_worker(acting_user, case.site)
    if not agreement.strip():
        raise ApplicationError("An extension needs the complainant's agreement recorded: say how and when they agreed.")
    if until <= timezone.localdate(case.received_at, case.site.zone):
        raise ApplicationError("The extended date must be after the date the case was received.")

    def apply(locked: Case) -> Change:
        if not rules.extension_applies(locked):
            raise ApplicationError(
                "An extension applies only to an open complaint that has not been answered yet, at a site whose "
                "rules allow one."
            )
        before = locked.next_due_at
        # The agreed date is both the new response date and the new statutory limit (UK-8).
        locked.extension_agreed_until, locked.extension_agreement, locked.agreed_response_date = until, agreement, until
        _apply_derived(locked)
        return Change(
            f"Response date extended to {until:%d %b %Y} by agreement",
            kind=TimelineKind.CLOCK,
            body=agreement,
            details={"until": until.isoformat(), "next_due": [_plain(before), _plain(locked.next_due_at)]},
        )

    change_case(case, acting_user=acting_user, action="extension", apply=apply)
    return case


def case_record_interim_notice(*, acting_user: User, case: Case, sent_at: datetime, followup_within_days: int) -> Case:
    """US-14: the patient is told the grievance is still being worked on, with a follow-up date."""
    _require_worker(acting_user, case.site)
    if followup_within_days < 1:
        raise ApplicationError("State within how many days the written response will follow.")

    def apply(locked: Case) -> Change:
        if not rules.interim_notice_applies(locked):
            raise ApplicationError(
                "An interim notice is for an open grievance whose interim notice has not been recorded yet."
            )
        locked.interim_notice_sent_at, locked.followup_within_days = sent_at, followup_within_days
        return Change(
            f"Interim notice sent; written response promised within {followup_within_days} days",
            kind=TimelineKind.CLOCK,
            details={"followup_within_days": followup_within_days},
        )

    change_case(case, acting_user=acting_user, action="interim_notice", apply=apply)
    return case


def case_set_phso_stage(*, acting_user: User, case: Case, stage: str) -> Case:
    """England: early resolution for straightforward matters, a detailed look for complex or serious ones (UK-12)."""
    _require_worker(acting_user, case.site)
    if stage not in PhsoStage.values:
        raise ApplicationError("Choose early resolution or detailed investigation.")

    def apply(locked: Case) -> Change:
        before = locked.phso_stage
        locked.phso_stage = stage
        return Change(f"Handling: {PhsoStage(stage).label.lower()}", details={"stage": [before, stage]})

    change_case(case, acting_user=acting_user, action="phso_stage", apply=apply)
    return case


def case_resolve_informally(
    *, acting_user: User, case: Case, outcome: str, note: str, flag_for_review: bool = False
) -> Case:
    """An informal concern resolved at first contact, or one where the patient declined a formal complaint."""
    _require_worker(acting_user, case.site)
    if not note.strip():
        raise ApplicationError("Record what was done or agreed.")

    def apply(locked: Case) -> Change:
        if locked.case_type != CaseType.CONCERN:
            raise ApplicationError("Only a concern can be resolved informally; convert it first if needed.")
        if not locked.is_open:
            raise ApplicationError(f"A case that is {_status_label(locked)} cannot be resolved informally.")
        _require_time_limit_decision(locked)
        before = locked.status
        locked.informal_outcome, locked.flagged_for_review = outcome, flag_for_review
        locked.status, locked.closed_at = Status.CLOSED, timezone.now()
        return Change(
            "Resolved informally and closed",
            body=note,
            data={"from": before, "to": Status.CLOSED},
            details={"status": [before, Status.CLOSED], "informal_outcome": outcome, "flagged": flag_for_review},
        )

    change_case(case, acting_user=acting_user, action="resolve_informally", apply=apply)
    return case


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
    change = change_case(
        case,
        acting_user=acting_user,
        action=kind,
        apply=lambda locked: Change(summary, kind=kind, body=body, duration_minutes=duration_minutes),
    )
    assert change.event is not None
    return change.event


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
            original_name=safe_filename(upload.name or "", content_type, default="file"),
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
        Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
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
    links: list[CaseLink] = []

    def apply(locked: Case) -> Change:
        link, created = CaseLink.objects.get_or_create(
            from_case=locked, to_case=other, defaults={"kind": kind, "created_by": acting_user}
        )
        links.append(link)
        if not created:
            raise ApplicationError(f"This case is already linked to {other.reference}.")
        return Change(
            f"Linked to {other.reference}",
            kind=TimelineKind.LINK,
            details={"to": other.reference, "kind": kind},
            also=[(other, TimelineKind.LINK, f"Linked from {locked.reference}")],
        )

    change_case(case, acting_user=acting_user, action="link", apply=apply)
    return links[0]


def case_merge(*, acting_user: User, duplicate: Case, into: Case) -> Case:
    """Close a duplicate into the case that carries on. Both keep their full histories."""
    _require_worker(acting_user, duplicate.site)
    _require_worker(acting_user, into.site)
    if duplicate.pk == into.pk:
        raise ApplicationError("A case cannot be merged into itself.")
    if into.merged_into_id:
        raise ApplicationError(f"{into.reference} was itself merged into another case; merge into that one.")

    def apply(locked: Case) -> Change:
        if locked.merged_into_id:
            raise ApplicationError("This case has already been merged into another case.")
        CaseLink.objects.get_or_create(
            from_case=locked, to_case=into, defaults={"kind": CaseLink.Kind.DUPLICATE, "created_by": acting_user}
        )
        before = locked.status
        locked.merged_into = into
        locked.status = Status.CLOSED
        locked.closed_at = timezone.now()
        return Change(
            f"Merged into {into.reference} as a duplicate",
            data={"from": before, "to": Status.CLOSED},
            details={"into": into.reference},
            also=[(into, TimelineKind.LINK, f"{locked.reference} merged into this case as a duplicate")],
        )

    change_case(duplicate, acting_user=acting_user, action="merge", apply=apply)
    return duplicate


def case_set_restriction(
    *, acting_user: User, case: Case, restricted: bool, reason: str, users: Iterable[User]
) -> Case:
    """Limit a case to named people (staff as patient, public figure, safeguarding)."""
    _require_worker(acting_user, case.site)
    people = set(users) | {acting_user}
    if restricted and not reason:
        raise ApplicationError("Give the reason for restricting the case.")
    outsiders = [u for u in people if not can(u, Cap.CASE_READ, case.site_id)]
    if restricted and outsiders:
        raise ApplicationError(f"{outsiders[0]} does not work on cases at {case.site}.")

    def apply(locked: Case) -> Change:
        locked.restricted, locked.restricted_reason = restricted, reason if restricted else ""
        locked.restricted_to.set(people if restricted else [])
        return Change(
            "Restricted to named people" if restricted else "Restriction lifted",
            kind=TimelineKind.EDIT,
            details={
                "restricted": restricted,
                "reason": reason,
                "users": sorted(u.pk for u in people) if restricted else [],
            },
        )

    change_case(case, acting_user=acting_user, action="restrict", apply=apply)
    return case


def _issue_label(issue: Issue) -> str:
    return issue.get_category_display() if issue.category else "Not coded yet"


def issue_add(*, acting_user: User, case: Case, **spec: Any) -> Issue:
    _require_worker(acting_user, case.site)
    values = _issue_values(spec, case.site)
    created: list[Issue] = []

    def apply(locked: Case) -> Change:
        issue = Issue.objects.create(case=locked, **values)
        created.append(issue)
        return Change(
            f"Issue added: {_issue_label(issue)}",
            kind=TimelineKind.EDIT,
            details={"issue": issue.pk, "category": issue.category},
        )

    change_case(case, acting_user=acting_user, action="issue_add", apply=apply)
    return created[0]


def issue_update(*, acting_user: User, issue: Issue, **spec: Any) -> Issue:
    """Recode or reword an issue; its finding and outcome stay."""
    _require_worker(acting_user, issue.case.site)
    case = issue.case
    values = _issue_values(spec, case.site)

    def apply(locked: Case) -> Change:
        current = Issue.objects.select_for_update().get(pk=issue.pk, case=locked)
        before = {k: _plain_issue(getattr(current, k)) for k in values}
        for name, value in values.items():
            setattr(current, name, value)
        current.save()
        changed = sorted(k for k in values if before[k] != _plain_issue(getattr(current, k)))
        return Change(
            f"Issue edited: {_issue_label(current)}" if changed else "",
            kind=TimelineKind.EDIT,
            details={"issue": current.pk, "fields": changed},
        )

    change_case(case, acting_user=acting_user, action="issue_update", apply=apply)
    issue.refresh_from_db()
    return issue


def _plain_issue(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


def issue_remove(*, acting_user: User, issue: Issue) -> None:
    _require_worker(acting_user, issue.case.site)

    def apply(locked: Case) -> Change:
        details = {"issue": issue.pk, "category": issue.category}
        Issue.objects.filter(pk=issue.pk, case=locked).delete()
        return Change("Issue removed", kind=TimelineKind.EDIT, details=details)

    change_case(issue.case, acting_user=acting_user, action="issue_remove", apply=apply)


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

    def apply(locked: Case) -> Change:
        issues = {issue.pk: issue for issue in locked.issues.all()}
        if set(issue_findings) - set(issues):
            raise ApplicationError("A finding refers to an issue that is not on this case.")
        for issue_id, (finding, issue_outcome) in issue_findings.items():
            issue = issues[issue_id]
            issue.finding, issue.outcome = finding.strip(), issue_outcome
            issue.save(update_fields=["finding", "outcome"])
        locked.outcome, locked.how_considered, locked.learning = outcome, how_considered.strip(), learning.strip()
        locked.investigation_completed_on = completed_on or timezone.localdate(timezone.now(), locked.site.zone)
        return Change(
            "Findings and outcome recorded",
            kind=TimelineKind.EDIT,
            details={"outcome": outcome, "issues": {str(k): v[1] for k, v in issue_findings.items()}},
        )

    change_case(case, acting_user=acting_user, action="findings", apply=apply)
    return case


def case_add_promised_action(
    *,
    acting_user: User,
    case: Case,
    description: str,
    owner: str,
    due_date: date,
    action_owner: User | None = None,
    department: Department | None = None,
) -> PromisedAction:
    """An action the response promises. ``owner`` is who does it in the letter's words (a person or a team);
    ``action_owner`` is the member of staff who sees it through — the case owner, else the acting user, when
    not given. The registered hooks (the improvement app) follow it up in the same transaction.
    """
    _require_worker(acting_user, case.site)
    if not description.strip() or not owner.strip():
        raise ApplicationError("Say what will be done and who will do it.")
    if department is not None and department.site_id != case.site_id:
        raise ApplicationError("The department must belong to the case's site.")
    created: list[PromisedAction] = []

    def apply(locked: Case) -> Change:
        action = PromisedAction.objects.create(
            case=locked, description=description.strip(), owner=owner.strip(), due_date=due_date
        )
        created.append(action)
        hooks.action_promised(
            hooks.ActionPromised(
                promised=action,
                case=locked,
                acting_user=acting_user,
                owner=action_owner or locked.owner or acting_user,
                department=department,
            )
        )
        return Change(f"Action promised: {action.description}", kind=TimelineKind.EDIT, details={"action": action.pk})

    change_case(case, acting_user=acting_user, action="promised_action", apply=apply)
    return created[0]
