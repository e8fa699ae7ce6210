"""The facts the office's measures count, kept on each case as it changes, so a million cases add up in SQL.

Every measure in ``liaison.insights.measures`` reads these columns rather than working each case out in
Python. They follow from the recorded facts and the site's rules, like the next deadline: ``refresh``
runs whenever a case is saved through the services (``services._apply_derived``). ``backfill`` fills
them for cases saved before the columns existed (migration 0005) and works on historical models too.

- ``received_on``: the day received, by the site's calendar (a case received at 23:30 on 31 January in
  New York is January's although it is 1 February in UTC).
- ``ack_due_at``, ``response_due_at``, ``interim_due_at``: the due moment of each clock the rules give the
  case today, extensions included; empty when the case has no such clock.
- ``first_responded_at``: when the first response went out. Reopening clears ``responded_at``; this stays.
- ``interim_done_at``: the earlier of the interim notice and the first response (either stops the US
  7-day clock).
- ``stopped_at``: when the case last left the open statuses (closed, withdrawn or referred); empty while open.
- ``finished_once``: responded to, closed or withdrawn at least once; ``reopened``: reopened at least once.
- ``days_to_acknowledge``, ``days_to_respond``: days from the day received to the day done, at the site:
  working days at UK sites (day 1 is the first working day after the day received), calendar days at US
  sites (US-14).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from liaison.cases.models import OPEN_STATUSES, Status
from liaison.cases.selectors import calendar_for
from liaison.lib.workdays import is_working_day

if TYPE_CHECKING:
    from liaison.cases.models import Case

FIGURE_FIELDS = (
    "received_on",
    "ack_due_at",
    "response_due_at",
    "interim_due_at",
    "first_responded_at",
    "interim_done_at",
    "stopped_at",
    "finished_once",
    "reopened",
    "days_to_acknowledge",
    "days_to_respond",
)

FINISHED_STATUSES = (Status.RESPONDED, Status.CLOSED, Status.WITHDRAWN)
RESPOND_CLOCKS = ("respond", "final_response")


def days_between(received_at: datetime, done: datetime, *, policy_pack: str, zone: ZoneInfo) -> int:
    """Days from the day received (day 0) to the day done, at the site (see the module's notes)."""
    first, last = timezone.localdate(received_at, zone), timezone.localdate(done, zone)
    if policy_pack == "us_cms":
        return (last - first).days
    calendar = calendar_for(policy_pack)
    return sum(1 for n in range(1, (last - first).days + 1) if is_working_day(first + timedelta(days=n), calendar))


def refresh(case: Case) -> None:
    """Set the figure columns of ``case`` from its recorded facts (not saved: the caller saves)."""
    _compute(case, policy_pack=case.site.policy_pack, zone=case.site.zone, now=timezone.now())


def _compute(case: Any, *, policy_pack: str, zone: ZoneInfo, now: datetime) -> None:
    from liaison.cases.rules import case_facts
    from liaison.policies.registry import get_pack

    case.received_on = timezone.localdate(case.received_at, zone)
    clocks = {clock.key: clock.due for clock in get_pack(policy_pack).clocks(case_facts(case), zone)}
    case.ack_due_at = clocks.get("acknowledge")
    case.response_due_at = next((clocks[key] for key in RESPOND_CLOCKS if key in clocks), None)
    case.interim_due_at = clocks.get("interim_notice")
    if case.first_responded_at is None:
        case.first_responded_at = case.responded_at
    done = [m for m in (case.interim_notice_sent_at, case.first_responded_at) if m is not None]
    case.interim_done_at = min(done, default=None)
    if case.status in OPEN_STATUSES:
        case.stopped_at = None
    elif case.stopped_at is None:
        case.stopped_at = case.closed_at or now
    if case.status in FINISHED_STATUSES:
        case.finished_once = True

    def taken(moment: datetime | None) -> int | None:
        if moment is None:
            return None
        return days_between(case.received_at, moment, policy_pack=policy_pack, zone=zone)

    case.days_to_acknowledge = taken(case.acknowledged_at)
    case.days_to_respond = taken(case.first_responded_at)


def backfill(case_model: Any, event_model: Any, *, batch: int = 1000) -> int:
    """Fill the figures of every case from its facts and its timeline (for cases saved before they existed).

    Works with the migration's historical models, so it reads only plain columns.
    """
    now = timezone.now()
    count = 0
    cases = case_model.objects.select_related("site").order_by("pk")
    for case in cases.iterator(chunk_size=batch):
        moves = list(
            event_model.objects.filter(case_id=case.pk, kind="status")
            .order_by("occurred_at", "pk")
            .values_list("summary", "data", "occurred_at")
        )
        _from_timeline(case, moves)
        _compute(case, policy_pack=case.site.policy_pack, zone=ZoneInfo(case.site.time_zone), now=now)
        case_model.objects.filter(pk=case.pk).update(**{name: getattr(case, name) for name in FIGURE_FIELDS})
        count += 1
    return count


def _from_timeline(case: Any, moves: Iterable[tuple[str, dict[str, Any] | None, datetime]]) -> None:
    """What only the timeline remembers: a reopening, the first response before it, when the case stopped."""
    left_open: datetime | None = None
    first_response: datetime | None = None
    for summary, data, occurred_at in moves:
        to = (data or {}).get("to")
        if summary == "Reopened":
            case.reopened = True
        if to in FINISHED_STATUSES:
            case.finished_once = True
        if to == Status.RESPONDED and first_response is None:
            first_response = occurred_at
        if to is not None and to not in OPEN_STATUSES:
            left_open = occurred_at
    if case.reopened:  # reopening cleared responded_at: the first response is the moment it was recorded
        case.first_responded_at = first_response or case.responded_at
    if case.status not in OPEN_STATUSES:
        case.stopped_at = case.closed_at or left_open
