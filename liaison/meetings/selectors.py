"""Reads about meetings that apply permissions or cross relations: My work, the measures, the meeting pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.http import Http404

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.cases.models import Case
from liaison.cases.selectors import cases_for_user
from liaison.meetings.models import Meeting, MeetingStatus


def meetings_for_user(*, user: User) -> QuerySet[Meeting]:
    """Meetings on the cases the user may see, at the sites where they may work on meetings."""
    if not can(user, Cap.MEETING_WORK):
        return Meeting.objects.none()
    return Meeting.objects.filter(case__in=cases_for_user(user=user), case__site_id__in=user.site_ids)


def get_meeting_for_user(*, user: User, pk: int) -> Meeting:
    try:
        return meetings_for_user(user=user).select_related("case__site", "organiser").get(pk=pk)
    except Meeting.DoesNotExist:
        raise Http404("No such meeting") from None


def upcoming_for_user(user: User, now: datetime, limit: int = 10) -> list[Meeting]:
    """Scheduled meetings in the next 14 days that the user organises or takes part in as staff."""
    return list(
        Meeting.objects.filter(
            Q(organiser=user) | Q(participants__user=user),
            status=MeetingStatus.SCHEDULED,
            starts_at__gte=now,
            starts_at__lt=now + timedelta(days=14),
        )
        .select_related("case__site")
        .distinct()
        .order_by("starts_at", "pk")[:limit]
    )


def meetings_held(cases_qs: QuerySet[Case], start: datetime, end: datetime) -> QuerySet[Meeting]:
    """Meetings held on these cases that started in [start, end)."""
    return Meeting.objects.filter(case__in=cases_qs, status=MeetingStatus.HELD, starts_at__gte=start, starts_at__lt=end)


def cases_resolved_by_meeting(cases_qs: QuerySet[Case], start: datetime, end: datetime) -> QuerySet[Case]:
    """Cases closed in [start, end) that had a meeting held before they closed."""
    held = Meeting.objects.filter(status=MeetingStatus.HELD).values("case_id")
    return cases_qs.filter(closed_at__gte=start, closed_at__lt=end, pk__in=held).distinct()
