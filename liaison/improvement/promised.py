"""Actions promised in response letters, kept as improvement actions so that each promise is owned, reminded
and evidenced like any other change.

The cases app cannot import this one; it calls the hook registered in ``apps.py``
(``liaison.cases.hooks.on_action_promised``), which lands in ``services.action_create_for_promise``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def why_promised(reference: str, named: str) -> str:
    """The ``why`` of a promised action: where it was promised, never who the patient is."""
    return f"Promised in the response to case {reference}. The letter says who will do it: {named}."


@dataclass
class Backfill:
    created: int = 0
    skipped: list[str] = field(default_factory=list)  # case references whose case has no owner to give it to


def backfill_promised_actions(promised_model: Any, improvement_model: Any, issue_model: Any) -> Backfill:
    """Give every promised action that has none its improvement action, owned by the case owner.

    Takes the models as arguments so that the data migration can pass its historical ones. An action on a case
    without an owner is skipped and named in the result: nobody could be made responsible for it.
    """
    result = Backfill()
    waiting = (
        promised_model.objects.filter(improvement_action__isnull=True)
        .select_related("case", "case__owner")
        .order_by("pk")
    )
    for promised in waiting:
        case = promised.case
        if case.owner_id is None:
            result.skipped.append(case.reference)
            continue
        department_id = (
            issue_model.objects.filter(case_id=case.pk)
            .exclude(department=None)
            .order_by("pk")
            .values_list("department_id", flat=True)
            .first()
        ) or case.reported_department_id
        improvement_model.objects.create(
            site_id=case.site_id,
            department_id=department_id,
            what=promised.description,
            why=why_promised(case.reference, promised.owner),
            case_id=case.pk,
            promised_action=promised,
            owner_id=case.owner_id,
            due_date=promised.due_date,
            created_by_id=case.owner_id,
        )
        result.created += 1
    return result
