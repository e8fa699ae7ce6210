"""Hooks that let higher apps act on what happens to a case, without the cases app importing them.

A higher app registers its callback in its ``AppConfig.ready``; the cases service calls every registered
callback inside its own transaction, so a callback that raises ``ApplicationError`` undoes the whole change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q

if TYPE_CHECKING:
    from liaison.accounts.models import User
    from liaison.cases.models import Case, PromisedAction
    from liaison.org.models import Department


@dataclass(frozen=True)
class ActionPromised:
    """An action was promised in the response to ``case``: someone in the hospital must see it through."""

    promised: PromisedAction
    case: Case  # the locked row
    acting_user: User
    owner: User  # who sees it through (the letter may name a team instead, in ``promised.owner``)
    department: Department | None


ActionPromisedCallback = Callable[[ActionPromised], object]
_ACTION_PROMISED: list[ActionPromisedCallback] = []


def on_action_promised(callback: ActionPromisedCallback) -> ActionPromisedCallback:
    """Register ``callback`` to run, in the same transaction, whenever an action is promised on a case."""
    if callback not in _ACTION_PROMISED:
        _ACTION_PROMISED.append(callback)
    return callback


def action_promised(event: ActionPromised) -> None:
    for callback in list(_ACTION_PROMISED):
        callback(event)


# -- Worklist filters from higher apps ("a meeting in the next fortnight", "an appeal deadline this week") ----


@dataclass(frozen=True)
class WorklistFilter:
    """One more choice for the worklist's "With" filter: ``condition(now)`` says which cases it keeps."""

    key: str  # the GET value: letters, digits and underscores
    label: str
    condition: Callable[[datetime], Q]


_WORKLIST_FILTERS: dict[str, WorklistFilter] = {}


def register_worklist_filter(worklist_filter: WorklistFilter) -> None:
    _WORKLIST_FILTERS[worklist_filter.key] = worklist_filter


def worklist_filters() -> list[WorklistFilter]:
    return list(_WORKLIST_FILTERS.values())


def worklist_filter(key: str) -> WorklistFilter | None:
    return _WORKLIST_FILTERS.get(key)


# -- What happened to a case, for apps that tell other systems (webhooks) ---------------------------------------


@dataclass(frozen=True)
class CaseEvent:
    """A case was opened (``kind="opened"``) or moved from one status to another (``kind="status_changed"``).

    ``case`` is the row as saved in the running transaction; callbacks must not change it.
    """

    kind: str  # "opened" or "status_changed"
    case: Case
    acting_user: User | None
    from_status: str = ""
    to_status: str = ""


CaseEventCallback = Callable[[CaseEvent], object]
_CASE_EVENTS: list[CaseEventCallback] = []


def on_case_event(callback: CaseEventCallback) -> CaseEventCallback:
    """Register ``callback`` to run, in the same transaction, whenever a case is opened or changes status."""
    if callback not in _CASE_EVENTS:
        _CASE_EVENTS.append(callback)
    return callback


def case_event(event: CaseEvent) -> None:
    for callback in list(_CASE_EVENTS):
        callback(event)
