"""Reading cases with the user's scope applied. Views fetch cases only through these functions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.cases import hooks
from liaison.cases.models import OPEN_STATUSES, Case, Issue
from liaison.lib.workdays import ENGLAND_AND_WALES, SCOTLAND, US_FEDERAL, WorkingDayCalendar, add_working_days


def can_see_identity(user: User) -> bool:
    return can(user, Cap.CASE_IDENTITY)


def cases_for_user(*, user: User) -> QuerySet[Case]:
    """Cases of the user's sites; a restricted case only for the people it is restricted to."""
    if not can(user, Cap.CASE_READ):
        return Case.objects.none()
    named = Case.restricted_to.through.objects.filter(case_id=OuterRef("pk"), user_id=user.pk)
    return Case.objects.filter(site_id__in=user.site_ids).filter(Q(restricted=False) | Exists(named))


def get_case_for_user(*, user: User, reference: str) -> Case:
    try:
        return cases_for_user(user=user).select_related("site", "owner", "merged_into").get(reference=reference)
    except Case.DoesNotExist:
        raise Http404("No such case") from None


_PACK_CALENDARS = {"england_nhs": ENGLAND_AND_WALES, "wales_nhs": ENGLAND_AND_WALES, "scotland_nhs": SCOTLAND}


def calendar_for(policy_pack: str) -> WorkingDayCalendar:
    """The working days of the site's nation, for "due within 2 working days" on the worklist."""
    return _PACK_CALENDARS.get(policy_pack, US_FEDERAL)


class DueState:
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TRACK = "on_track"
    NONE = "none"

    LABELS = {OVERDUE: "Overdue", DUE_SOON: "Due soon", ON_TRACK: "On track", NONE: "No deadline"}


def due_state(case: Case, now: Any = None) -> str:
    """On track, due within 2 working days (in the site's calendar), or overdue."""
    if case.next_due_at is None or case.status not in OPEN_STATUSES:
        return DueState.NONE
    now = now or timezone.now()
    if case.next_due_at < now:
        return DueState.OVERDUE
    zone = case.site.zone
    soon = add_working_days(timezone.localdate(now, zone), 2, calendar_for(case.site.policy_pack))
    return DueState.DUE_SOON if timezone.localdate(case.next_due_at, zone) <= soon else DueState.ON_TRACK


@dataclass(frozen=True)
class WorklistFilters:
    view: str = "mine"  # mine | unassigned | site
    case_type: str = ""
    status: str = "open"  # "open", "" (any) or a status
    priority: str = ""
    department: int | None = None
    due: str = ""  # overdue | due_soon | on_track
    q: str = ""
    with_: str = ""  # a filter registered by another app (cases.hooks.register_worklist_filter)


def worklist(*, user: User, filters: WorklistFilters) -> QuerySet[Case]:
    cases = cases_for_user(user=user)
    if filters.view == "mine":
        cases = cases.filter(owner=user)
    elif filters.view == "unassigned":
        cases = cases.filter(owner__isnull=True)
    if filters.status == "open":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        cases = cases.filter(status=filters.status)
    if filters.case_type:
        cases = cases.filter(case_type=filters.case_type)
    if filters.priority:
        cases = cases.filter(priority=filters.priority)
    if filters.department:
        # Not a join (which repeats a case once per issue and needs DISTINCT): the department's cases are
        # found once, through the issues' department index, and each case in the page's order is looked up
        # in that set.
        coded = Issue.objects.filter(department_id=filters.department).values("case_id")
        cases = cases.filter(pk__in=coded)
    now = timezone.now()
    if filters.due == DueState.OVERDUE:
        cases = cases.filter(next_due_at__lt=now)
    elif filters.due == DueState.DUE_SOON:
        # Two working days is at most four calendar days (a weekend or a bank holiday in between).
        cases = cases.filter(next_due_at__gte=now, next_due_at__lte=now + timedelta(days=5))
    elif filters.due == DueState.ON_TRACK:
        cases = cases.filter(next_due_at__gte=now)
    extra = hooks.worklist_filter(filters.with_) if filters.with_ else None
    if extra is not None:
        cases = cases.filter(extra.condition(now))
    if filters.q:
        cases = search(cases, filters.q, identity=can_see_identity(user))
    # Within a priority: overdue and due cases first, cases without a deadline last, on both databases.
    return cases.select_related("site", "owner").order_by(
        "priority_rank", F("next_due_at").asc(nulls_last=True), "received_at", "pk"
    )


SEARCH_HITS_CAP = 10_000  # the worklist's count stops there too (liaison.lib.pagination.DEFAULT_CAP)
_REFERENCE_PIECE = re.compile(r"[A-Za-z]{0,4}-?\d[\d-]{2,}|[A-Za-z]{2,4}-\d{4}-?\d*")


def search(cases: QuerySet[Case], query: str, *, identity: bool) -> QuerySet[Case]:
    """By reference, patient name or MRN, and the case's text (PostgreSQL full-text; a LIKE search on SQLite).

    On PostgreSQL every condition has an index of its own (cases migration 0007), so the hits are found by a
    bitmap OR of index scans and only they are sorted, however many cases the site holds.
    """
    query = query.strip()
    # A reference or a piece of one ("00060", "RGH-2026-0006") matches anywhere in the reference.
    by_reference = Q(reference__icontains=query) if _REFERENCE_PIECE.fullmatch(query) else Q(reference__iexact=query)
    if not identity:
        return cases.filter(by_reference)
    if len(query) >= 3:
        by_person = Q(patient_name__icontains=query) | Q(complainant_name__icontains=query)
    else:  # too short for the trigram indexes to narrow anything: only a whole name matches
        by_person = Q(patient_name__iexact=query) | Q(complainant_name__iexact=query)
    by_person |= Q(patient_mrn__iexact=query)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector("account", "desired_outcome", config="english")
        matches = cases.annotate(_doc=vector).filter(
            by_reference | by_person | Q(_doc=SearchQuery(query, config="english", search_type="websearch"))
        )
        # The LIMIT keeps PostgreSQL from folding the search into the page query, where it would walk the
        # worklist's order index testing every case; found first through the search indexes, only the hits
        # are sorted. Past SEARCH_HITS_CAP the list says "more than" and asks for a narrower search.
        return cases.filter(pk__in=matches.order_by().values("pk")[: SEARCH_HITS_CAP + 1])
    words = [w for w in query.split() if len(w) > 1][:8]
    text = Q()
    for word in words:
        text &= Q(account__icontains=word) | Q(desired_outcome__icontains=word)
    return cases.filter(by_reference | by_person | (text if words else Q(pk__in=[])))


def possible_duplicates(
    *, user: User, site_id: int, patient_name: str, patient_mrn: str, exclude_pk: int | None = None
) -> QuerySet[Case]:
    """Cases for the same patient at the site in the last 30 days: an officer should look before logging another."""
    if not (patient_name.strip() or patient_mrn.strip()):
        return Case.objects.none()
    same = Q()
    if patient_mrn.strip():
        same |= Q(patient_mrn__iexact=patient_mrn.strip())
    if patient_name.strip():
        same |= Q(patient_name__iexact=" ".join(patient_name.split()))
    cases = (
        cases_for_user(user=user)
        .filter(site_id=site_id, received_at__gte=timezone.now() - timedelta(days=30))
        .filter(same)
    )
    if exclude_pk:
        cases = cases.exclude(pk=exclude_pk)
    return cases.order_by("-received_at")[:5]
