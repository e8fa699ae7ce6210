"""The meeting pages: thin views over the selectors and services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can, users_with
from liaison.audit.services import audit_view
from liaison.cases.models import Case
from liaison.cases.selectors import get_case_for_user
from liaison.lib.errors import ApplicationError
from liaison.meetings import selectors, services
from liaison.meetings.calendar import build_ics
from liaison.meetings.forms import (
    AddParticipantForm,
    MeetingForm,
    OutcomeForm,
    RemoveParticipantForm,
    action_forms,
    participant_forms,
)
from liaison.meetings.models import Meeting, MeetingStatus, Participant
from liaison.org.models import StaffMember


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why is it cancelled?")


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(user=_user(request), pk=pk)
    audit_view(request=request, obj=meeting, site=meeting.case.site, what="meeting")
    zone = meeting.case.site.zone
    participants = [
        {
            "pk": p.pk,
            "name": p.name,
            "kind": p.get_kind_display(),
            "language": p.language,
            "email": p.email,
            "response": p.get_response_display(),
            "attended": p.attended,
        }
        for p in meeting.participants.all()
    ]
    return render(
        request,
        "meetings/detail.html",
        {
            "meeting": {
                "pk": meeting.pk,
                "kind": meeting.get_kind_display(),
                "status": meeting.get_status_display(),
                "is_scheduled": meeting.is_scheduled,
                "is_held": meeting.status == "held",
                "has_started": meeting.starts_at <= timezone.now(),
                "starts": timezone.localtime(meeting.starts_at, zone).replace(tzinfo=None),
                "ends": timezone.localtime(meeting.ends_at, zone).replace(tzinfo=None),
                "zone": meeting.case.site.time_zone,
                "place": meeting.place,
                "video_link": meeting.video_link,
                "agenda": meeting.agenda,
                "access_needs": meeting.access_needs,
                "organiser": meeting.organiser.full_name,
                "notes": meeting.notes,
                "points_agreed": meeting.points_agreed,
                "cancel_reason": meeting.cancel_reason,
                "reference": meeting.case.reference,
            },
            "participants": participants,
            "cancel_form": CancelForm(),
            "add_form": _add_form(None, meeting) if meeting.is_scheduled else None,
        },
    )


def ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(user=_user(request), pk=pk)
    method = "CANCEL" if meeting.status == "cancelled" else "REQUEST"
    response = HttpResponse(build_ics(meeting, method), content_type=f"text/calendar; method={method}; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="meeting.ics"'
    return response


@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(user=_user(request), pk=pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.meeting_cancel(acting_user=_user(request), meeting=meeting, reason=form.cleaned_data["reason"])
            messages.success(request, "The meeting is cancelled and everyone invited has been told.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "Say why the meeting is cancelled.")
    return redirect("meetings:detail", pk=meeting.pk)


@require_POST
def draft_letter(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(user=_user(request), pk=pk)
    try:
        letter = services.meeting_draft_outcome_letter(acting_user=_user(request), meeting=meeting)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("meetings:detail", pk=meeting.pk)
    return redirect("correspondence:detail", pk=letter.pk)


# -- Arranging, changing and recording a meeting ----------------------------------------------------------------


def _case_for_meetings(user: User, reference: str) -> Case:
    """The case, when the user may arrange meetings on it; otherwise, as for any object they may not touch, 404."""
    case = get_case_for_user(user=user, reference=reference)
    if not can(user, Cap.MEETING_WORK, case.site_id):
        raise Http404("No such case")
    return case


def _warn(request: HttpRequest, warnings: list[str]) -> None:
    for warning in warnings:
        messages.warning(request, f"Double booking: {warning}")


def _people(case: Case) -> tuple[QuerySet[User], QuerySet[StaffMember]]:
    """Who may be chosen as a member of staff: the site's active users and its staff directory."""
    users = User.objects.filter(is_active=True, sites=case.site).order_by("full_name", "pk")
    staff = StaffMember.objects.filter(site=case.site, is_active=True).order_by("full_name", "pk")
    return users, staff


def schedule(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    case = _case_for_meetings(user, reference)
    zone = case.site.zone
    users, staff = _people(case)
    data = request.POST if request.method == "POST" else None
    form = MeetingForm(data, zone=zone)
    rows = participant_forms(data, users=users, staff=staff)
    if data is not None:
        valid = form.is_valid() & all([row.is_valid() for row in rows])
        specs = [spec for row in rows if valid and (spec := row.spec()) is not None]
        if valid and not specs:
            form.add_error(None, "Add at least one participant.")
        elif valid:
            try:
                done = services.meeting_schedule(
                    acting_user=user, case=case, participants=specs, **form.service_fields()
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "The meeting is arranged and the invitations are on their way.")
                _warn(request, done.warnings)
                return redirect("meetings:detail", pk=done.meeting.pk)
    return render(
        request,
        "meetings/schedule.html",
        {"reference": case.reference, "zone": case.site.time_zone, "form": form, "rows": rows},
        status=400 if data is not None else 200,
    )


def _scheduled_meeting(request: HttpRequest, pk: int) -> Meeting | None:
    meeting = selectors.get_meeting_for_user(user=_user(request), pk=pk)
    if meeting.status != MeetingStatus.SCHEDULED:
        messages.error(request, f"This meeting is {meeting.get_status_display().lower()}: it can no longer change.")
        return None
    return meeting


def _local_initial(meeting: Meeting) -> dict[str, Any]:
    zone = meeting.case.site.zone
    starts, ends = timezone.localtime(meeting.starts_at, zone), timezone.localtime(meeting.ends_at, zone)
    return {
        "kind": meeting.kind,
        "day": starts.date(),
        "start": starts.time().replace(second=0, microsecond=0),
        "end": ends.time().replace(second=0, microsecond=0),
        "place": meeting.place,
        "video_link": meeting.video_link,
        "agenda": meeting.agenda,
        "access_needs": meeting.access_needs,
    }


def edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _scheduled_meeting(request, pk)
    if meeting is None:
        return redirect("meetings:detail", pk=pk)
    user = _user(request)
    data = request.POST if request.method == "POST" else None
    form = MeetingForm(data, zone=meeting.case.site.zone, initial=_local_initial(meeting))
    if data is None:
        audit_view(request=request, obj=meeting, site=meeting.case.site, what="meeting-edit")
    elif form.is_valid():
        try:
            done = services.meeting_update(acting_user=user, meeting=meeting, **form.service_fields())
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if done.meeting.sequence > meeting.sequence:
                messages.success(request, "The meeting is changed and everyone invited has been sent the update.")
            else:
                messages.info(request, "Nothing was changed.")
            _warn(request, done.warnings)
            return redirect("meetings:detail", pk=meeting.pk)
    return render(
        request,
        "meetings/edit.html",
        {"pk": meeting.pk, "reference": meeting.case.reference, "zone": meeting.case.site.time_zone, "form": form},
        status=400 if data is not None else 200,
    )


def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _scheduled_meeting(request, pk)
    if meeting is None:
        return redirect("meetings:detail", pk=pk)
    user = _user(request)
    site = meeting.case.site
    participants = list(meeting.participants.all())
    owners = users_with(Cap.IMPROVEMENT_OWN, site).order_by("full_name", "pk")
    earliest = timezone.localdate(meeting.starts_at, site.zone)
    data = request.POST if request.method == "POST" else None
    form = OutcomeForm(data, participants=participants)
    actions = action_forms(data, owners=owners, earliest=earliest)
    if data is None:
        audit_view(request=request, obj=meeting, site=site, what="meeting-outcome")
    elif form.is_valid() & all([a.is_valid() for a in actions]):
        specs = [spec for a in actions if (spec := a.spec()) is not None]
        try:
            created = services.meeting_record_outcome(
                acting_user=user,
                meeting=meeting,
                attended=form.cleaned_data["attended"],
                notes=form.cleaned_data["notes"],
                points_agreed=form.cleaned_data["points_agreed"],
                actions=specs,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"The outcome is recorded, with {len(created)} improvement action{'s' if len(created) != 1 else ''}. "
                "You can now draft the outcome letter.",
            )
            return redirect("meetings:detail", pk=meeting.pk)
    return render(
        request,
        "meetings/outcome.html",
        {
            "pk": meeting.pk,
            "kind": meeting.get_kind_display(),
            "reference": meeting.case.reference,
            "has_started": meeting.starts_at <= timezone.now(),
            "form": form,
            "actions": actions,
        },
        status=400 if data is not None else 200,
    )


# -- Adding and removing participants --------------------------------------------------------------------------


def _add_form(data: Any, meeting: Meeting) -> AddParticipantForm:
    users, staff = _people(meeting.case)
    return AddParticipantForm(data, prefix="add", users=users, staff=staff)


def participant_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _scheduled_meeting(request, pk)
    if meeting is None:
        return redirect("meetings:detail", pk=pk)
    data = request.POST if request.method == "POST" else None
    form = _add_form(data, meeting)
    if data is None:
        audit_view(request=request, obj=meeting, site=meeting.case.site, what="meeting-participant-add")
    elif form.is_valid() and (spec := form.spec()) is not None:
        try:
            done = services.participant_add(acting_user=_user(request), meeting=meeting, spec=spec)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "They are added: they have the invitation and everyone else the update.")
            _warn(request, done.warnings)
            return redirect("meetings:detail", pk=meeting.pk)
    return render(
        request,
        "meetings/participant_add.html",
        {"pk": meeting.pk, "kind": meeting.get_kind_display(), "reference": meeting.case.reference, "form": form},
        status=400 if data is not None else 200,
    )


def participant_remove(request: HttpRequest, pk: int, participant: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(user=_user(request), pk=pk)
    gone = get_object_or_404(Participant, meeting=meeting, pk=participant)
    if meeting.status != MeetingStatus.SCHEDULED:
        messages.error(request, f"This meeting is {meeting.get_status_display().lower()}: it can no longer change.")
        return redirect("meetings:detail", pk=pk)
    data = request.POST if request.method == "POST" else None
    form = RemoveParticipantForm(data)
    if data is None:
        audit_view(request=request, obj=meeting, site=meeting.case.site, what="meeting-participant-remove")
    elif form.is_valid():
        try:
            services.participant_remove(
                acting_user=_user(request), meeting=meeting, participant=gone, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "They are removed: they have been told, and everyone else sent the update.")
            return redirect("meetings:detail", pk=meeting.pk)
    return render(
        request,
        "meetings/participant_remove.html",
        {
            "pk": meeting.pk,
            "kind": meeting.get_kind_display(),
            "reference": meeting.case.reference,
            "name": gone.name,
            "taking_part_as": gone.get_kind_display(),
            "has_email": bool(gone.email),
            "form": form,
        },
        status=400 if data is not None else 200,
    )
