"""What other apps add to the case page. Investigations and letters sit above cases, so they register a
function here (in their AppConfig.ready) instead of cases importing them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from liaison.cases.models import Case

CasePanel = Callable[[Case, bool], dict[str, Any]]  # (case, show_identity) -> template context
_PANELS: list[CasePanel] = []


def register_case_panel(panel: CasePanel) -> CasePanel:
    if panel not in _PANELS:
        _PANELS.append(panel)
    return panel


def case_panels(case: Case, *, show_identity: bool) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for panel in _PANELS:
        context.update(panel(case, show_identity))
    return context
