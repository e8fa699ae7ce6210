"""Demo meetings: some coming up, one held with its outcome, one cancelled, on the demo's open Riverside cases,
through the real services. Deterministic: the same cases, days and times, relative to today at the site.

The invitations go out through whatever email backend the demo runs with (the console or file backend), to
invented addresses at example.net. Loaded once: when a demo user has organised any meeting, nothing is added.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, users_with
from liaison.cases.models import OPEN_STATUSES, Case, CaseType
from liaison.meetings import services
from liaison.meetings.models import Meeting, MeetingKind, ParticipantKind
from liaison.meetings.services import ActionSpec, ParticipantSpec
from liaison.org.models import StaffMember

DEMO_DOMAIN = "@demo.liaison.example"


def demo_load_meetings() -> int:
    """Arrange the demo meetings on the first open Riverside complaints; returns how many were added."""
    if Meeting.objects.filter(organiser__email__endswith=DEMO_DOMAIN).exists():
        return 0
    cases = list(
        Case.objects.filter(site__code="RGH", case_type=CaseType.COMPLAINT, status__in=OPEN_STATUSES, restricted=False)
        .select_related("site")
        .order_by("reference")[:4]
    )
    if not cases:
        return 0
    site = cases[0].site
    officer = User.objects.filter(email=f"officer{DEMO_DOMAIN}").first() or (
        users_with(Cap.MEETING_WORK, site).order_by("email").first()
    )
    manager = User.objects.filter(email=f"manager{DEMO_DOMAIN}").first() or officer
    if officer is None or manager is None:
        return 0
    directory = StaffMember.objects.filter(site=site, is_active=True).order_by("full_name", "pk").first()
    today = timezone.localdate(timezone.now(), site.zone)

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=site.zone)

    def case(index: int) -> Case:
        return cases[index % len(cases)]

    staff = [ParticipantSpec(kind=ParticipantKind.STAFF, user=manager)]
    if directory is not None:
        staff.append(ParticipantSpec(kind=ParticipantKind.STAFF, staff_member=directory))
    made = 0

    # Coming up in two days: a local resolution meeting in person, with the family.
    services.meeting_schedule(
        acting_user=officer,
        case=case(0),
        kind=MeetingKind.LOCAL_RESOLUTION,
        starts_at=at(today + timedelta(days=2), 10),
        ends_at=at(today + timedelta(days=2), 11),
        place="Patient relations office, Main Building, ground floor",
        agenda="Hear the family's account\nGo through the ward's records together\nAgree what happens next",
        access_needs="Step-free access; the daughter uses a wheelchair.",
        participants=[
            *staff,
            ParticipantSpec(kind=ParticipantKind.FAMILY, name="Grace Holloway", email="grace.holloway@example.net"),
            ParticipantSpec(kind=ParticipantKind.ADVOCATE, name="Sam Rivers (independent advocate)"),
        ],
    )
    made += 1

    # Coming up in five days: a mediation by video, with an interpreter.
    services.meeting_schedule(
        acting_user=officer,
        case=case(1),
        kind=MeetingKind.MEDIATION,
        starts_at=at(today + timedelta(days=5), 14),
        ends_at=at(today + timedelta(days=5), 15, 30),
        video_link="https://video.riverside.example.org/room/patient-relations",
        agenda="Each side says what matters most to them\nLook for an outcome both can accept",
        participants=[
            ParticipantSpec(kind=ParticipantKind.STAFF, user=manager),
            ParticipantSpec(kind=ParticipantKind.REPRESENTATIVE, name="Tomasz Nowak", email="tomasz.nowak@example.net"),
            ParticipantSpec(kind=ParticipantKind.INTERPRETER, name="Agnieszka Wrona", language="Polish"),
        ],
    )
    made += 1

    # Held four days ago, with who came, what was agreed and an action for the manager.
    held = services.meeting_schedule(
        acting_user=officer,
        case=case(2),
        kind=MeetingKind.FAMILY_MEETING,
        starts_at=at(today - timedelta(days=4), 15),
        ends_at=at(today - timedelta(days=4), 16),
        place="Family room, Ward 7",
        agenda="Explain the discharge plan and answer the family's questions",
        participants=[
            *staff,
            ParticipantSpec(kind=ParticipantKind.FAMILY, name="Peter Lang", email="peter.lang@example.net"),
            ParticipantSpec(kind=ParticipantKind.FAMILY, name="Helen Lang"),
        ],
    ).meeting
    came = [p.pk for p in held.participants.all() if p.name != "Helen Lang"]
    services.meeting_record_outcome(
        acting_user=officer,
        meeting=held,
        attended=came,
        notes="The family described the delays on the day of discharge. The ward explained the pharmacy wait.",
        points_agreed="The ward will call the family the day before any future discharge.\n"
        "A written summary of the meeting will be sent within ten working days.",
        actions=[
            ActionSpec(
                what="Add a call to the family the day before discharge to the ward's checklist",
                owner=manager,
                due_date=today + timedelta(days=28),
            )
        ],
    )
    made += 1

    # Arranged, then called off.
    called_off = services.meeting_schedule(
        acting_user=officer,
        case=case(3),
        kind=MeetingKind.LOCAL_RESOLUTION,
        starts_at=at(today + timedelta(days=8), 11),
        ends_at=at(today + timedelta(days=8), 12),
        place="Meeting room 2, Outpatients",
        participants=[
            ParticipantSpec(kind=ParticipantKind.STAFF, user=manager),
            ParticipantSpec(kind=ParticipantKind.PATIENT, name="Joan Avery", email="joan.avery@example.net"),
        ],
    ).meeting
    services.meeting_cancel(
        acting_user=officer, meeting=called_off, reason="The patient asked for a written response instead."
    )
    made += 1
    return made
