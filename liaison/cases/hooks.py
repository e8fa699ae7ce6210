"""Hooks that let higher apps act on what happens to a case, without the cases app importing them.

A higher app registers its callback in its ``AppConfig.ready``; the cases service calls every registered
callback inside its own transaction, so a callback that raises ``ApplicationError`` undoes the whole change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
