"""Reads of appeals that apply permissions or cross relations: deadlines, upcoming work, outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.advocacy import rules
from liaison.advocacy.models import (
    OPEN_APPEAL_STATUSES,
    Appeal,
    AppealOutcome,
    AppealStatus,
    DeadlineRule,
    Document,
)
from liaison.cases.models import Case, CaseType
from liaison.cases.selectors import get_case_for_user


def get_advocacy_case_for_user(*, user: User, reference: str) -> Case:
    """An advocacy case the user may work on; anything else is a 404, as if it did not exist."""
    case = get_case_for_user(user=user, reference=reference)
    if case.case_type != CaseType.ADVOCACY or not can(user, Cap.ADVOCACY_WORK, case.site_id):
        raise Http404("No such case")
    return case


def overrides_for(site_id: int) -> dict[str, rules.Override]:
    return {
        row.key: rules.Override(amount=row.amount, unit=row.unit, set_by=row.set_by.full_name)
        for row in DeadlineRule.objects.filter(site_id=site_id).select_related("set_by")
    }


def deadlines_for(appeal: Appeal, overrides: dict[str, rules.Override] | None = None) -> list[rules.Deadline]:
    if overrides is None:
        overrides = overrides_for(appeal.case.site_id)
    return rules.appeal_deadlines(
        plan=appeal.plan_type,
        level=appeal.level,
        urgency=appeal.urgency,
        timing=appeal.timing,
        decision_received_on=appeal.decision_received_on,
        filed_on=appeal.filed_on,
        overrides=overrides,
        expedited_refused_on=appeal.expedited_refused_on,
        extension_days=appeal.extension_days,
        extension_notified_on=appeal.extension_notified_on,
    )


def running_deadlines(appeal: Appeal, overrides: dict[str, rules.Override] | None = None) -> list[rules.Deadline]:
    """The deadline that still matters: filing while the appeal is prepared, the decision once filed."""
    wanted = {AppealStatus.PREPARING: "file", AppealStatus.FILED: "decide"}.get(AppealStatus(appeal.status))
    return [d for d in deadlines_for(appeal, overrides) if d.key == wanted and d.due is not None]


@dataclass(frozen=True)
class UpcomingDeadline:
    case_reference: str
    appeal_id: int
    organisation: str
    name: str  # "Last day to file"
    due: date
    rule_id: str
    rule: str
    source: str
    unverified: bool
    url: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.rule_id}{', unverified' if self.unverified else ''})"


def open_appeals_for_user(user: User) -> QuerySet[Appeal]:
    """Open appeals on advocacy cases the user owns, or at their sites when they work on appeals."""
    appeals = Appeal.objects.filter(status__in=OPEN_APPEAL_STATUSES, case__case_type=CaseType.ADVOCACY)
    mine = Q(case__owner=user)
    if can(user, Cap.ADVOCACY_WORK):
        mine |= Q(case__site_id__in=user.site_ids)
    return appeals.filter(mine, case__site_id__in=user.site_ids).select_related("case", "case__site")


def deadlines_for_user(user: User, now: datetime | None = None, limit: int = 10) -> list[UpcomingDeadline]:
    """The next deadlines of the open appeals the user owns or works on, soonest (or most overdue) first."""
    now = now or timezone.now()
    found: list[UpcomingDeadline] = []
    overrides: dict[int, dict[str, rules.Override]] = {}
    for appeal in open_appeals_for_user(user):
        site_id = appeal.case.site_id
        if site_id not in overrides:
            overrides[site_id] = overrides_for(site_id)
        for deadline in running_deadlines(appeal, overrides[site_id]):
            assert deadline.due is not None
            found.append(
                UpcomingDeadline(
                    case_reference=appeal.case.reference,
                    appeal_id=appeal.pk,
                    organisation=appeal.org_name,
                    name=deadline.name,
                    due=deadline.due,
                    rule_id=deadline.rule_id,
                    rule=deadline.rule,
                    source=deadline.source,
                    unverified=deadline.unverified,
                    url=reverse("advocacy:appeal", args=[appeal.case.reference]),
                )
            )
    found.sort(key=lambda d: (d.due, d.case_reference, d.appeal_id))
    return found[:limit]


DUE_SOON_DAYS = 7


def case_ids_with_appeal_due_soon(now: datetime, days: int = DUE_SOON_DAYS) -> list[int]:
    """Cases with an open appeal whose running deadline is within ``days`` of ``now`` (in the site's time
    zone) or has passed. Worked out in Python with the deadline rules and each site's own numbers: one query
    for the open appeals, one per site for its overrides."""
    overrides: dict[int, dict[str, rules.Override]] = {}
    ids: set[int] = set()
    appeals = Appeal.objects.filter(status__in=OPEN_APPEAL_STATUSES, case__case_type=CaseType.ADVOCACY)
    for appeal in appeals.select_related("case__site"):
        site = appeal.case.site
        if site.pk not in overrides:
            overrides[site.pk] = overrides_for(site.pk)
        limit = timezone.localdate(now, site.zone) + timedelta(days=days)
        if any(d.due is not None and d.due <= limit for d in running_deadlines(appeal, overrides[site.pk])):
            ids.add(appeal.case_id)
    return sorted(ids)


def outcomes(cases_qs: QuerySet[Case], start: date, end: date) -> dict[str, Any]:
    """Appeals decided (or withdrawn) between ``start`` and ``end`` inclusive on these cases: counts by
    outcome and the amount recovered, for the measures."""
    rows = (
        Appeal.objects.filter(case__in=cases_qs, decision_on__gte=start, decision_on__lte=end)
        .exclude(outcome="")
        .values("outcome")
        .annotate(n=Count("pk"), recovered=Sum("amount_recovered"))
    )
    counts = {value: 0 for value in AppealOutcome.values}
    recovered = Decimal("0")
    for row in rows:
        counts[row["outcome"]] = row["n"]
        recovered += row["recovered"] or Decimal("0")
    return {
        "counts": counts,
        "labels": dict(AppealOutcome.choices),
        "decided": sum(counts.values()),
        "amount_recovered": recovered,
    }


def cases_with_appeals_decided(cases_qs: QuerySet[Case], start: date, end: date, outcome: str = "") -> QuerySet[Case]:
    """The cases behind :func:`outcomes`: those with an appeal decided in the period (with ``outcome``, if
    given)."""
    appeals = Appeal.objects.filter(decision_on__gte=start, decision_on__lte=end).exclude(outcome="")
    if outcome:
        appeals = appeals.filter(outcome=outcome)
    return cases_qs.filter(pk__in=appeals.values("case_id"))


def documents_of(case: Case) -> QuerySet[Document]:
    return Document.objects.filter(appeal__case=case).select_related("appeal")
