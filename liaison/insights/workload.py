"""The managers' workload view: a site's open cases per owner, by age and by due state, and bulk reassignment.

Counting happens in the database: one grouped query gives every owner's numbers, however many cases the site
holds. The age bands and due states are turned into time boundaries first (in the site's time zone and
working-day calendar), so each count is a plain range condition that an index can serve, and the list behind
a number uses exactly the same condition as the number.

Counts cover the cases the manager may see (``cases_for_user``): a restricted case the manager is not named on
is neither counted nor listed, so a number and the list behind it always agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, require, users_with
from liaison.cases.models import OPEN_STATUSES, Case
from liaison.cases.selectors import DueState, calendar_for, cases_for_user
from liaison.cases.services import case_assign
from liaison.lib.errors import ApplicationError
from liaison.lib.workdays import add_working_days
from liaison.org.models import Site

UNASSIGNED = "none"


@dataclass(frozen=True)
class AgeBand:
    key: str
    label: str
    min_days: int
    max_days: int | None  # None: no upper limit


AGE_BANDS = (
    AgeBand("0-7", "0–7 days", 0, 7),
    AgeBand("8-30", "8–30 days", 8, 30),
    AgeBand("31-90", "31–90 days", 31, 90),
    AgeBand("over-90", "Over 90 days", 91, None),
)
AGE_LABELS = {band.key: band.label for band in AGE_BANDS}

# The due states of liaison.cases.selectors.due_state, in the order the table shows them.
DUE_STATES = (DueState.OVERDUE, DueState.DUE_SOON, DueState.ON_TRACK, DueState.NONE)
DUE_LABELS = {state: DueState.LABELS[state] for state in DUE_STATES}


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


@dataclass(frozen=True)
class Boundaries:
    """The instants that split open cases into age bands and due states at one moment, for one site.

    Age is counted in the site's calendar days from the day received (received today: 0 days). Due states
    follow ``due_state``: overdue once the deadline has passed; due soon when it falls on or before the second
    working day from today; on track after that.
    """

    now: datetime
    age: dict[str, Q]
    due: dict[str, Q]

    @classmethod
    def at(cls, site: Site, now: datetime) -> Boundaries:
        zone = site.zone
        today = timezone.localdate(now, zone)
        age: dict[str, Q] = {}
        for band in AGE_BANDS:
            condition = Q()
            # Received on or after the first day of the band's oldest age...
            if band.max_days is not None:
                condition &= Q(received_at__gte=_midnight(today - timedelta(days=band.max_days), zone))
            # ...and before the first day of its youngest one.
            if band.min_days > 0:
                condition &= Q(received_at__lt=_midnight(today - timedelta(days=band.min_days - 1), zone))
            age[band.key] = condition
        soon = add_working_days(today, 2, calendar_for(site.policy_pack))
        after_soon = _midnight(soon + timedelta(days=1), zone)
        due = {
            DueState.OVERDUE: Q(next_due_at__lt=now),
            DueState.DUE_SOON: Q(next_due_at__gte=now, next_due_at__lt=after_soon),
            DueState.ON_TRACK: Q(next_due_at__gte=after_soon),
            DueState.NONE: Q(next_due_at__isnull=True),
        }
        return cls(now=now, age=age, due=due)


def open_cases_at(*, user: User, site: Site) -> QuerySet[Case]:
    """The site's open cases that ``user`` may see."""
    return cases_for_user(user=user).filter(site=site, status__in=OPEN_STATUSES)


@dataclass
class WorkloadRow:
    owner_key: str  # a user's id, or UNASSIGNED
    name: str
    can_own: bool  # False: someone who still holds open cases here but may no longer own them
    total: int = 0
    ages: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AGE_LABELS, 0))
    due: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DUE_LABELS, 0))


def _age_alias(key: str) -> str:
    return "age_" + key.replace("-", "_")


def workload(*, user: User, site: Site, now: datetime | None = None) -> list[WorkloadRow]:
    """One row per person who may own cases at the site, then anyone else still holding open cases there, then
    the unassigned cases. Two queries (three when someone who can no longer own cases still holds some)."""
    bounds = Boundaries.at(site, now or timezone.now())
    annotations = {_age_alias(key): Count("pk", filter=q) for key, q in bounds.age.items()}
    annotations |= {f"due_{state}": Count("pk", filter=q) for state, q in bounds.due.items()}
    counts = {
        row["owner_id"]: row
        for row in open_cases_at(user=user, site=site)
        .values("owner_id")
        .annotate(total=Count("pk"), **annotations)
        .order_by()
    }
    officers = list(users_with(Cap.CASE_OWN, site).order_by("full_name", "pk").only("pk", "full_name", "email"))
    rows = [WorkloadRow(str(officer.pk), str(officer), True) for officer in officers]
    known = {officer.pk for officer in officers}
    others = [pk for pk in counts if pk is not None and pk not in known]
    if others:
        for person in User.objects.filter(pk__in=others).order_by("full_name", "pk").only("pk", "full_name", "email"):
            rows.append(WorkloadRow(str(person.pk), str(person), False))
    rows.append(WorkloadRow(UNASSIGNED, "Unassigned", False))
    for row in rows:
        found = counts.get(None if row.owner_key == UNASSIGNED else int(row.owner_key))
        if found:
            row.total = found["total"]
            row.ages = {key: found[_age_alias(key)] for key in AGE_LABELS}
            row.due = {state: found[f"due_{state}"] for state in DUE_LABELS}
    return rows


def workload_cases(
    *,
    user: User,
    site: Site,
    owner: str = "",
    age: str = "",
    due: str = "",
    now: datetime | None = None,
) -> QuerySet[Case]:
    """The cases behind one number of the workload table: the same conditions, so the same cases.

    ``owner`` is a user's id, UNASSIGNED, or empty for anyone; ``age`` an AGE_BANDS key; ``due`` a due state.
    """
    bounds = Boundaries.at(site, now or timezone.now())
    cases = open_cases_at(user=user, site=site)
    if owner == UNASSIGNED:
        cases = cases.filter(owner__isnull=True)
    elif owner:
        cases = cases.filter(owner_id=int(owner))
    if age:
        cases = cases.filter(bounds.age[age])
    if due:
        cases = cases.filter(bounds.due[due])
    return cases.select_related("site", "owner").order_by(
        "priority_rank", F("next_due_at").asc(nulls_last=True), "received_at", "pk"
    )


# -- Bulk reassignment ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pick:
    """A ticked case, and the owner it had on the page the manager ticked it on (None: unassigned)."""

    case_id: int
    seen_owner_id: int | None


@dataclass
class Reassignment:
    moved: list[str] = field(default_factory=list)  # case references
    refused: list[tuple[str, str]] = field(default_factory=list)  # (case reference, why)


NOT_FOUND = "(a case not found)"


def cases_reassign(*, acting_user: User, site: Site, picks: Iterable[Pick], owner: User | None) -> Reassignment:
    """Give each picked case to ``owner`` (None: unassign it) through ``case_assign``, one case at a time.

    Each case moves in its own transaction, with its timeline entry and audit row, or not at all. A case is
    refused, with the reason, when ``case_assign`` refuses it, when it has closed, or when its owner is no longer
    the one the manager saw (someone else reassigned it meanwhile): the manager decides again on fresh facts.
    """
    require(acting_user, Cap.OVERSEE, site.pk, what="reassign cases")
    wanted = {pick.case_id: pick.seen_owner_id for pick in picks}
    result = Reassignment()
    visible = cases_for_user(user=acting_user).filter(site=site, pk__in=list(wanted)).order_by("reference")
    for case in visible.only("pk", "reference"):
        try:
            with transaction.atomic():
                locked = Case.objects.select_for_update(of=("self",)).select_related("site").get(pk=case.pk)
                if locked.status not in OPEN_STATUSES:
                    raise ApplicationError("It was closed after the list was shown.")
                if locked.owner_id != wanted[case.pk]:
                    raise ApplicationError("Someone changed its owner after the list was shown; look at it again.")
                if locked.owner_id == (owner.pk if owner else None):
                    raise ApplicationError(f"It is already {'with ' + str(owner) if owner else 'unassigned'}.")
                case_assign(acting_user=acting_user, case=locked, owner=owner)
        except ApplicationError as exc:
            result.refused.append((case.reference, exc.message))
        else:
            result.moved.append(case.reference)
    missing = len(wanted) - len(result.moved) - len(result.refused)
    result.refused.extend([(NOT_FOUND, "It is not a case at this site that you may see.")] * missing)
    return result
