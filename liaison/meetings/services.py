"""Arranging, changing, cancelling and recording meetings. Each writes the meeting, the case timeline and the
audit trail in one transaction; the calendar emails go out after it commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from icalendar import Calendar

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can, require
from liaison.audit.services import audit_record
from liaison.cases.models import Case, TimelineKind
from liaison.cases.services import Change, case_log_incoming, change_case
from liaison.correspondence.models import Letter, LetterKind
from liaison.correspondence.services import letter_draft
from liaison.improvement.models import ImprovementAction
from liaison.improvement.services import action_create
from liaison.lib.errors import ApplicationError
from liaison.meetings.calendar import Reply, build_ics, participants_with_email
from liaison.meetings.invitations import TEMPLATES, meeting_values, send_calendar
from liaison.meetings.models import Meeting, MeetingKind, MeetingStatus, Participant, ParticipantKind, Response
from liaison.org.models import StaffMember


@dataclass(frozen=True)
class ParticipantSpec:
    kind: str
    name: str = ""
    email: str = ""
    user: User | None = None
    staff_member: StaffMember | None = None
    language: str = ""


@dataclass(frozen=True)
class ActionSpec:
    what: str
    owner: User
    due_date: date


@dataclass
class Scheduled:
    meeting: Meeting
    warnings: list[str] = field(default_factory=list)  # staff already booked at that time


def _require(user: User, case: Case) -> None:
    require(user, Cap.MEETING_WORK, case.site_id, what="arrange meetings")


def _uid() -> str:
    host = urlsplit(settings.LIAISON_BASE_URL).hostname or "liaison.invalid"
    return f"{uuid.uuid4()}@{host}"


def _when(meeting: Meeting) -> str:
    zone = meeting.case.site.zone
    starts, ends = timezone.localtime(meeting.starts_at, zone), timezone.localtime(meeting.ends_at, zone)
    return f"{starts:%A} {starts.day} {starts:%B %Y}, {starts:%H:%M} to {ends:%H:%M}"


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ApplicationError("Give the meeting's times with their time zone.")
    if ends_at <= starts_at:
        raise ApplicationError("The meeting must end after it starts.")


def _participant(meeting: Meeting, spec: ParticipantSpec) -> Participant:
    if spec.kind not in ParticipantKind.values:
        raise ApplicationError("Choose who the participant is.")
    name, email = spec.name.strip(), spec.email.strip()
    if spec.kind == ParticipantKind.STAFF:
        if spec.user is not None:
            if not spec.user.is_active or meeting.case.site_id not in spec.user.site_ids:
                raise ApplicationError(f"{spec.user.full_name} is not an active member of staff at this site.")
            name, email = name or spec.user.full_name, email or spec.user.email
        elif spec.staff_member is not None:
            if spec.staff_member.site_id != meeting.case.site_id:
                raise ApplicationError("Choose a member of staff from this site's directory.")
            name = name or spec.staff_member.full_name
        else:
            raise ApplicationError("Choose the member of staff, from the users or from the staff directory.")
    elif spec.user is not None or spec.staff_member is not None:
        raise ApplicationError("Only a member of staff is chosen from the staff lists.")
    if not name:
        raise ApplicationError("Give each participant's name.")
    if spec.kind == ParticipantKind.INTERPRETER and not spec.language.strip():
        raise ApplicationError("Say which language the interpreter speaks.")
    return Participant.objects.create(
        meeting=meeting,
        kind=spec.kind,
        name=name[:200],
        email=email[:254],
        user=spec.user if spec.kind == ParticipantKind.STAFF else None,
        staff_member=spec.staff_member if spec.kind == ParticipantKind.STAFF else None,
        language=spec.language.strip()[:50],
    )


def double_bookings(meeting: Meeting) -> list[str]:
    """Warnings for each staff participant already in another scheduled meeting at an overlapping time. They
    name the other meeting's time only: its case may be one the reader should not learn about."""
    warnings = []
    for participant in meeting.participants.filter(kind=ParticipantKind.STAFF):
        warnings += _bookings_of(meeting, participant)
    return warnings


def _bookings_of(meeting: Meeting, participant: Participant) -> list[str]:
    warnings: list[str] = []
    if participant.kind == ParticipantKind.STAFF and (
        participant.user_id is not None or participant.staff_member_id is not None
    ):
        same_person: dict[str, int | None] = (
            {"participants__user_id": participant.user_id}
            if participant.user_id is not None
            else {"participants__staff_member_id": participant.staff_member_id}
        )
        others = (
            Meeting.objects.filter(
                status=MeetingStatus.SCHEDULED,
                starts_at__lt=meeting.ends_at,
                ends_at__gt=meeting.starts_at,
                **same_person,
            )
            .exclude(pk=meeting.pk)
            .select_related("case__site")
            .distinct()
        )
        for other in others:
            warnings.append(f"{participant.name} is already booked into another meeting on {_when(other)}.")
    return warnings


def _timeline(meeting: Meeting, acting_user: User, action: str, summary: str, body: str = "") -> None:
    change_case(
        meeting.case,
        acting_user=acting_user,
        action=action,
        apply=lambda locked: Change(
            summary,
            kind=TimelineKind.NOTE,
            body=body,
            data={"meeting": meeting.pk},
            details={"meeting": meeting.pk},
        ),
    )


def _send_after_commit(meeting: Meeting, method: str) -> None:
    transaction.on_commit(lambda: send_calendar(meeting.pk, method))


def meeting_schedule(
    *,
    acting_user: User,
    case: Case,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    participants: list[ParticipantSpec],
    place: str = "",
    video_link: str = "",
    agenda: str = "",
    access_needs: str = "",
) -> Scheduled:
    _require(acting_user, case)
    if kind not in MeetingKind.values:
        raise ApplicationError("Choose the kind of meeting.")
    _check_times(starts_at, ends_at)
    if not (place.strip() or video_link.strip()):
        raise ApplicationError("Say where the meeting is, or give the video link.")
    if not participants:
        raise ApplicationError("Add at least one participant.")
    with transaction.atomic():
        meeting = Meeting.objects.create(
            case=case,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place.strip(),
            video_link=video_link.strip(),
            agenda=agenda.strip(),
            access_needs=access_needs.strip(),
            organiser=acting_user,
            uid=_uid(),
        )
        for spec in participants:
            _participant(meeting, spec)
        warnings = double_bookings(meeting)
        audit_record(
            action="meeting.schedule",
            actor=acting_user,
            obj=meeting,
            site=case.site,
            details={"case": case.reference, "kind": kind, "starts_at": starts_at, "participants": len(participants)},
        )
        _timeline(
            meeting, acting_user, "meeting_scheduled", f"{meeting.get_kind_display()} arranged for {_when(meeting)}"
        )
        _send_after_commit(meeting, "REQUEST")
    return Scheduled(meeting, warnings)


_CHANGEABLE = ("kind", "starts_at", "ends_at", "place", "video_link", "agenda", "access_needs")


def meeting_update(*, acting_user: User, meeting: Meeting, **fields: Any) -> Scheduled:
    """Change the time, place or agenda: every participant gets the updated invitation (same UID, next SEQUENCE)."""
    _require(acting_user, meeting.case)
    unknown = set(fields) - set(_CHANGEABLE)
    if unknown:
        raise ApplicationError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = Meeting.objects.select_for_update(of=("self",)).select_related("case__site").get(pk=meeting.pk)
        if locked.status != MeetingStatus.SCHEDULED:
            raise ApplicationError(f"A meeting that is {locked.get_status_display().lower()} cannot be changed.")
        before = {name: getattr(locked, name) for name in _CHANGEABLE}
        for name, value in fields.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        if fields.get("kind", locked.kind) not in MeetingKind.values:
            raise ApplicationError("Choose the kind of meeting.")
        _check_times(locked.starts_at, locked.ends_at)
        if not (locked.place or locked.video_link):
            raise ApplicationError("Say where the meeting is, or give the video link.")
        changed = {
            name: [before[name], getattr(locked, name)] for name in _CHANGEABLE if before[name] != getattr(locked, name)
        }
        if not changed:
            return Scheduled(locked, double_bookings(locked))
        locked.sequence += 1
        locked.save()
        audit_record(
            action="meeting.update",
            actor=acting_user,
            obj=locked,
            site=locked.case.site,
            details={"changed": sorted(changed), "sequence": locked.sequence},
        )
        moved = "starts_at" in changed or "ends_at" in changed
        _timeline(
            locked,
            acting_user,
            "meeting_changed",
            f"{locked.get_kind_display()} {'moved to' if moved else 'changed; it is on'} {_when(locked)}",
        )
        _send_after_commit(locked, "REQUEST")
        warnings = double_bookings(locked) if moved else []
    meeting.refresh_from_db()
    return Scheduled(meeting, warnings)


def meeting_cancel(*, acting_user: User, meeting: Meeting, reason: str) -> Meeting:
    _require(acting_user, meeting.case)
    if not reason.strip():
        raise ApplicationError("Say why the meeting is cancelled.")
    with transaction.atomic():
        locked = Meeting.objects.select_for_update(of=("self",)).select_related("case__site").get(pk=meeting.pk)
        if locked.status != MeetingStatus.SCHEDULED:
            raise ApplicationError(f"A meeting that is {locked.get_status_display().lower()} cannot be cancelled.")
        locked.status, locked.cancel_reason = MeetingStatus.CANCELLED, reason.strip()[:300]
        locked.sequence += 1
        locked.save(update_fields=["status", "cancel_reason", "sequence"])
        audit_record(
            action="meeting.cancel",
            actor=acting_user,
            obj=locked,
            site=locked.case.site,
            details={"sequence": locked.sequence},
        )
        _timeline(
            locked, acting_user, "meeting_cancelled", f"{locked.get_kind_display()} cancelled", body=reason.strip()
        )
        _send_after_commit(locked, "CANCEL")
    meeting.refresh_from_db()
    return meeting


# -- Adding and removing participants of a scheduled meeting --------------------------------------------------


def _same_person(meeting: Meeting, spec: ParticipantSpec) -> bool:
    others = meeting.participants.all()
    if spec.kind == ParticipantKind.STAFF and spec.user is not None:
        return others.filter(user=spec.user).exists()
    if spec.kind == ParticipantKind.STAFF and spec.staff_member is not None:
        return others.filter(staff_member=spec.staff_member).exists()
    email = spec.email.strip()
    return bool(email) and others.filter(email__iexact=email).exists()


def _who(participant: Participant) -> str:
    # Staff are named on the case timeline; the others are described, since the timeline is read more widely.
    kind = participant.get_kind_display()
    return f"{participant.name} ({kind.lower()})" if participant.kind == ParticipantKind.STAFF else kind


def _send(
    meeting: Meeting, participant_values: dict[str, object], to: str, template: str, ics: bytes, method: str
) -> int:
    subject = " ".join(render_to_string(f"{template}_subject.txt", participant_values).split())
    message = EmailMultiAlternatives(
        subject,
        render_to_string(f"{template}_body.txt", participant_values),
        to=[to],
        reply_to=[meeting.organiser.email] if meeting.organiser.email else None,
    )
    message.attach_alternative(render_to_string(f"{template}_body.html", participant_values), "text/html")
    message.attach_alternative(ics.decode("utf-8"), f"text/calendar; method={method}")
    message.attach("meeting.ics" if method == "REQUEST" else "cancelled.ics", ics, "application/ics")
    return message.send()


def send_participants_update(meeting_pk: int, newcomer_pk: int | None = None) -> int:
    """The meeting as it now stands (METHOD:REQUEST, same UID, current SEQUENCE) to every participant with an
    address: a first invitation for the newcomer, the changed invitation for everyone else."""
    meeting = Meeting.objects.select_related("case__site", "organiser").get(pk=meeting_pk)
    ics = build_ics(meeting, "REQUEST")
    sent = 0
    for participant in participants_with_email(meeting):
        values = meeting_values(meeting, participant)
        if participant.pk == newcomer_pk:
            values["updated"] = False
        sent += _send(meeting, values, participant.email, f"email/{TEMPLATES['REQUEST']}", ics, "REQUEST")
    return sent


def send_removal(meeting_pk: int, *, name: str, email: str) -> int:
    """A METHOD:CANCEL for the meeting's UID naming only the person taken off it, so that their calendar drops
    the meeting while everyone else's keeps it."""
    meeting = Meeting.objects.select_related("case__site", "organiser").get(pk=meeting_pk)
    calendar = Calendar.from_ical(build_ics(meeting, "CANCEL"))
    event = calendar.walk("VEVENT")[0]
    event.pop("ATTENDEE", None)
    event.add("attendee", f"mailto:{email}", parameters={"CN": name, "ROLE": "REQ-PARTICIPANT"})
    values = {**meeting_values(meeting), "name": name}
    return _send(meeting, values, email, "meetings/email/participant_removed", calendar.to_ical(), "CANCEL")


def _locked_scheduled(meeting: Meeting, doing: str) -> Meeting:
    locked = Meeting.objects.select_for_update(of=("self",)).select_related("case__site").get(pk=meeting.pk)
    if locked.status != MeetingStatus.SCHEDULED:
        raise ApplicationError(f"A meeting that is {locked.get_status_display().lower()} cannot {doing}.")
    return locked


def participant_add(*, acting_user: User, meeting: Meeting, spec: ParticipantSpec) -> Scheduled:
    """Add someone to a scheduled meeting. They are sent the invitation and everyone else the updated one, with
    the same UID and the next SEQUENCE; the warnings say whether a member of staff added is booked elsewhere."""
    _require(acting_user, meeting.case)
    with transaction.atomic():
        locked = _locked_scheduled(meeting, "have people added")
        if _same_person(locked, spec):
            raise ApplicationError("That person is already taking part in this meeting.")
        participant = _participant(locked, spec)
        locked.sequence += 1
        locked.save(update_fields=["sequence"])
        audit_record(
            action="meeting.participant_add",
            actor=acting_user,
            obj=locked,
            site=locked.case.site,
            details={"participant": participant.pk, "kind": participant.kind, "sequence": locked.sequence},
        )
        _timeline(
            locked,
            acting_user,
            "meeting_participant_added",
            f"{_who(participant)} added to the {locked.get_kind_display().lower()} on {_when(locked)}",
        )
        warnings = _bookings_of(locked, participant)
        transaction.on_commit(lambda: send_participants_update(locked.pk, newcomer_pk=participant.pk))
    meeting.refresh_from_db()
    return Scheduled(meeting, warnings)


def participant_remove(*, acting_user: User, meeting: Meeting, participant: Participant, reason: str) -> Meeting:
    """Take someone off a scheduled meeting. They are sent a cancellation for it; everyone else the updated
    invitation without them, with the same UID and the next SEQUENCE."""
    _require(acting_user, meeting.case)
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why they are no longer taking part.")
    with transaction.atomic():
        locked = _locked_scheduled(meeting, "have people removed")
        gone = locked.participants.filter(pk=participant.pk).first()
        if gone is None:
            raise ApplicationError("That person is not taking part in this meeting.")
        if not locked.participants.exclude(pk=gone.pk).exists():
            raise ApplicationError("A meeting needs at least one participant: cancel the meeting instead.")
        who, name, email, kind, gone_pk = _who(gone), gone.name, gone.email, gone.kind, gone.pk
        gone.delete()
        locked.sequence += 1
        locked.save(update_fields=["sequence"])
        audit_record(
            action="meeting.participant_remove",
            actor=acting_user,
            obj=locked,
            site=locked.case.site,
            details={"participant": gone_pk, "kind": kind, "reason": reason[:300], "sequence": locked.sequence},
        )
        _timeline(
            locked,
            acting_user,
            "meeting_participant_removed",
            f"{who} no longer taking part in the {locked.get_kind_display().lower()} on {_when(locked)}",
            body=reason[:300],
        )
        transaction.on_commit(lambda: send_participants_update(locked.pk))
        if email:
            transaction.on_commit(lambda: send_removal(locked.pk, name=name, email=email))
    meeting.refresh_from_db()
    return meeting


def meeting_record_outcome(
    *,
    acting_user: User,
    meeting: Meeting,
    attended: list[int],
    notes: str,
    points_agreed: str,
    actions: list[ActionSpec],
) -> list[ImprovementAction]:
    """After the meeting: who came, what was said and agreed, and the actions (improvement actions on the case,
    so that they reach their owner's My work and reminders). The meeting becomes held."""
    _require(acting_user, meeting.case)
    if not notes.strip():
        raise ApplicationError("Record notes of the meeting.")
    case = meeting.case
    created = []
    with transaction.atomic():
        locked = Meeting.objects.select_for_update(of=("self",)).select_related("case__site").get(pk=meeting.pk)
        if locked.status != MeetingStatus.SCHEDULED:
            raise ApplicationError(f"A meeting that is {locked.get_status_display().lower()} cannot be recorded again.")
        if locked.starts_at > timezone.now():
            raise ApplicationError("The meeting has not started yet; record it once it has taken place.")
        known = set(locked.participants.values_list("pk", flat=True))
        if not set(attended) <= known:
            raise ApplicationError("Choose who attended from the meeting's participants.")
        for participant in locked.participants.all():
            participant.attended = participant.pk in attended
            participant.save(update_fields=["attended"])
        locked.notes, locked.points_agreed = notes.strip(), points_agreed.strip()
        locked.status, locked.held_at = MeetingStatus.HELD, timezone.now()
        locked.save(update_fields=["notes", "points_agreed", "status", "held_at"])
        local_day = timezone.localdate(locked.starts_at, case.site.zone)
        for spec in actions:
            if not spec.what.strip():
                raise ApplicationError("Describe each action.")
            if not can(spec.owner, Cap.IMPROVEMENT_OWN, case.site_id):
                raise ApplicationError(f"{spec.owner.full_name} cannot own actions at {case.site.name}.")
            created.append(
                action_create(
                    acting_user=acting_user,
                    site=case.site,
                    what=spec.what.strip()[:300],
                    why=f"Agreed at the {locked.get_kind_display().lower()} of {local_day:%d %B %Y} "
                    f"on case {case.reference}.",
                    owner=spec.owner,
                    due_date=spec.due_date,
                    case=case,
                )
            )
        audit_record(
            action="meeting.record_outcome",
            actor=acting_user,
            obj=locked,
            site=case.site,
            details={"attended": sorted(attended), "actions": [a.pk for a in created]},
        )
        _timeline(
            locked,
            acting_user,
            "meeting_held",
            f"{locked.get_kind_display()} held: {len(attended)} attended, {len(created)} action(s) agreed",
            body=locked.points_agreed,
        )
    meeting.refresh_from_db()
    return created


def meeting_draft_outcome_letter(*, acting_user: User, meeting: Meeting, language: str | None = None) -> Letter:
    """The outcome letter, drafted from the meeting-outcome template through the letters flow (sign-off, PDF)."""
    _require(acting_user, meeting.case)
    if meeting.status != MeetingStatus.HELD:
        raise ApplicationError("Record the meeting's outcome before drafting the letter.")
    return letter_draft(acting_user=acting_user, case=meeting.case, kind=LetterKind.MEETING_OUTCOME, language=language)


_ANSWERED: dict[str, str] = {
    Response.ACCEPTED: "accepted",
    Response.DECLINED: "declined",
    Response.TENTATIVE: "tentatively accepted",
}


def participant_reply(*, reply: Reply, from_address: str) -> Participant | None:
    """An attendee's calendar answer, received by email. Only the attendee's own address may answer for them;
    a reply for an unknown meeting or attendee changes nothing."""
    if reply.email != from_address.strip().lower():
        return None
    participant = (
        Participant.objects.select_related("meeting__case__site")
        .filter(meeting__uid=reply.uid, email__iexact=reply.email, meeting__status=MeetingStatus.SCHEDULED)
        .first()
    )
    if participant is None or participant.response == reply.response:
        return participant
    before = participant.response
    with transaction.atomic():
        participant.response, participant.responded_at = reply.response, timezone.now()
        participant.save(update_fields=["response", "responded_at"])
        meeting = participant.meeting
        audit_record(
            action="meeting.reply",
            obj=participant,
            site=meeting.case.site,
            details={"meeting": meeting.pk, "response": [before, reply.response]},
        )
        case_log_incoming(
            case=meeting.case,
            kind=TimelineKind.EMAIL,
            summary=f"{participant.name} {_ANSWERED[reply.response]} the {meeting.get_kind_display().lower()}",
            data={"meeting": meeting.pk, "participant": participant.pk},
        )
    return participant
