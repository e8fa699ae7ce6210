"""Forms of the meeting pages. Times are entered in the case's site time zone; every posted value becomes a clear
message, never a server error."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from liaison.accounts.models import User
from liaison.meetings.models import MeetingKind, Participant, ParticipantKind
from liaison.meetings.services import ActionSpec, ParticipantSpec
from liaison.org.models import StaffMember

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
# How far ahead a meeting may be arranged: far enough for any real meeting, near enough that no date overflows.
FURTHEST_AHEAD = timedelta(days=2 * 366)
PARTICIPANT_ROWS = 6
ACTION_ROWS = 3


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name)


class _StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name}, {obj.job_title}" if obj.job_title else str(obj.full_name)


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The aware moment for a wall-clock time in ``zone``; None when the clocks skip that time (spring forward)."""
    moment = datetime.combine(day, at, tzinfo=zone)
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None
    return moment


class MeetingForm(forms.Form):
    """When, where and what: for arranging a meeting and for changing it."""

    kind = forms.ChoiceField(label="Kind of meeting", choices=MeetingKind.choices)
    day = forms.DateField(label="Date", widget=DATE)
    start = forms.TimeField(label="Starts at", widget=TIME, help_text="In the hospital's local time.")
    end = forms.TimeField(label="Ends at", widget=TIME)
    place = forms.CharField(
        label="Where", max_length=300, required=False, help_text="The room and building, for a meeting in person."
    )
    video_link = forms.URLField(
        label="Video link", max_length=500, required=False, assume_scheme="https", help_text="For a meeting by video."
    )
    agenda = forms.CharField(label="Agenda", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    access_needs = forms.CharField(
        label="Access needs",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example step-free access, a hearing loop, or large print papers.",
    )

    def __init__(self, *args: Any, zone: ZoneInfo, now: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.now = now or timezone.now()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, start, end = data.get("day"), data.get("start"), data.get("end")
        where_given = "place" in self.errors or "video_link" in self.errors
        if not (where_given or data.get("place", "").strip() or data.get("video_link", "").strip()):
            self.add_error("place", "Say where the meeting is, or give the video link.")
        if day is None or start is None or end is None:
            return data
        today = timezone.localdate(self.now, self.zone)
        if day < today:
            self.add_error("day", "That date has passed: choose today or a later date.")
            return data
        if day > today + FURTHEST_AHEAD:
            self.add_error("day", "Choose a date within the next two years.")
            return data
        starts_at, ends_at = local_moment(day, start, self.zone), local_moment(day, end, self.zone)
        if starts_at is None:
            self.add_error("start", "The clocks go forward at that time on that day, so it does not exist.")
        if ends_at is None:
            self.add_error("end", "The clocks go forward at that time on that day, so it does not exist.")
        if starts_at is None or ends_at is None:
            return data
        if ends_at <= starts_at:
            self.add_error("end", "The meeting must end after it starts.")
        elif starts_at < self.now:
            self.add_error("start", "That time has passed: choose a time later today or another day.")
        data["starts_at"], data["ends_at"] = starts_at, ends_at
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "place": data["place"],
            "video_link": data["video_link"],
            "agenda": data["agenda"],
            "access_needs": data["access_needs"],
        }


class ParticipantForm(forms.Form):
    """One row of the participants table; a row left empty is ignored."""

    kind = forms.ChoiceField(
        label="Taking part as",
        choices=[("", "Nobody (leave this row empty)"), *ParticipantKind.choices],
        required=False,
    )
    user = _UserChoice(
        label="Member of staff with a Liaison account",
        queryset=User.objects.none(),
        required=False,
        empty_label="None",
    )
    staff_member = _StaffChoice(
        label="Or from the staff directory", queryset=StaffMember.objects.none(), required=False, empty_label="None"
    )
    name = forms.CharField(
        label="Name", max_length=200, required=False, help_text="Not needed for staff chosen from the lists."
    )
    email = forms.EmailField(label="Email", max_length=254, required=False, help_text="Invitations go to this address.")
    language = forms.CharField(label="Language (for an interpreter)", max_length=50, required=False)

    def __init__(self, *args: Any, users: QuerySet[User], staff: QuerySet[StaffMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users  # type: ignore[attr-defined]
        self.fields["staff_member"].queryset = staff  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        kind = data.get("kind", "")
        filled = any(data.get(name) for name in ("user", "staff_member", "name", "email", "language"))
        if not kind:
            if filled:
                self.add_error("kind", "Say who this participant is, or clear the row.")
            return data
        if kind == ParticipantKind.STAFF:
            if data.get("user") is None and data.get("staff_member") is None:
                self.add_error("user", "Choose the member of staff, from the users or from the staff directory.")
            elif data.get("user") is not None and data.get("staff_member") is not None:
                self.add_error("staff_member", "Choose the member of staff from one list only.")
        else:
            if data.get("user") is not None or data.get("staff_member") is not None:
                self.add_error("user", "Only a member of staff is chosen from the staff lists.")
            if not data.get("name", "").strip():
                self.add_error("name", "Give the participant's name.")
        if kind == ParticipantKind.INTERPRETER and not data.get("language", "").strip():
            self.add_error("language", "Say which language the interpreter speaks.")
        return data

    def spec(self) -> ParticipantSpec | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        return ParticipantSpec(
            kind=data["kind"],
            name=data.get("name", ""),
            email=data.get("email", ""),
            user=data.get("user"),
            staff_member=data.get("staff_member"),
            language=data.get("language", ""),
        )


def participant_forms(
    data: Any, *, users: QuerySet[User], staff: QuerySet[StaffMember], rows: int = PARTICIPANT_ROWS
) -> list[ParticipantForm]:
    return [ParticipantForm(data, prefix=f"p{i}", users=users, staff=staff) for i in range(rows)]


class AddParticipantForm(ParticipantForm):
    """Someone added to a meeting already arranged: the same fields as a row of the participants table, but the
    row may not be left empty."""

    kind = forms.ChoiceField(label="Taking part as", choices=ParticipantKind.choices)


class RemoveParticipantForm(forms.Form):
    reason = forms.CharField(
        label="Why are they no longer taking part?",
        max_length=300,
        help_text="Kept on the case timeline; it is not sent to them.",
    )

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data["reason"]).strip()
        if not reason:
            raise forms.ValidationError("Say why they are no longer taking part.")
        return reason


class OutcomeForm(forms.Form):
    attended = forms.TypedMultipleChoiceField(
        label="Who attended",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick everyone who took part.",
    )
    notes = forms.CharField(label="Notes of the meeting", max_length=8000, widget=forms.Textarea(attrs={"rows": 6}))
    points_agreed = forms.CharField(
        label="Points agreed", max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, participants: list[Participant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [  # type: ignore[attr-defined]
            (p.pk, f"{p.name} ({p.get_kind_display().lower()})") for p in participants
        ]


class ActionForm(forms.Form):
    """One action agreed at the meeting; it becomes an improvement action on the case. An empty row is ignored."""

    what = forms.CharField(label="Action", max_length=300, required=False)
    owner = _UserChoice(label="Owner", queryset=User.objects.none(), required=False, empty_label="Choose")
    due_date = forms.DateField(label="Due by", widget=DATE, required=False)

    def __init__(self, *args: Any, owners: QuerySet[User], earliest: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.earliest = earliest

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        what, owner, due = data.get("what", "").strip(), data.get("owner"), data.get("due_date")
        if not (what or owner or due):
            return data
        if not what:
            self.add_error("what", "Describe the action, or clear the row.")
        if owner is None:
            self.add_error("owner", "Choose who owns the action.")
        if due is None:
            self.add_error("due_date", "Give the date the action is due.")
        elif due < self.earliest:
            self.add_error("due_date", "The due date cannot be before the meeting.")
        elif due > self.earliest + timedelta(days=5 * 366):
            self.add_error("due_date", "Choose a due date within five years.")
        return data

    def spec(self) -> ActionSpec | None:
        data = self.cleaned_data
        if not data.get("what", "").strip():
            return None
        return ActionSpec(what=data["what"], owner=data["owner"], due_date=data["due_date"])


def action_forms(data: Any, *, owners: QuerySet[User], earliest: date) -> list[ActionForm]:
    return [ActionForm(data, prefix=f"a{i}", owners=owners, earliest=earliest) for i in range(ACTION_ROWS)]
