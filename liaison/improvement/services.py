from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can, require_site_worker
from liaison.audit.services import audit_record
from liaison.improvement.models import ActionStatus, ImprovementAction
from liaison.improvement.promised import why_promised
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site

if TYPE_CHECKING:
    from liaison.cases.hooks import ActionPromised


def _require_staff(user: User, site: Site) -> None:
    require_site_worker(user, site.pk, what="manage improvement actions")


def action_create(
    *, acting_user: User, site: Site, what: str, why: str, owner: User, due_date: date, **fields: Any
) -> ImprovementAction:
    _require_staff(acting_user, site)
    if not owner.is_active or site.pk not in owner.site_ids:
        raise ApplicationError("The owner must be an active member of staff at this site.")
    feedback = fields.pop("feedback", [])
    with transaction.atomic():
        action = ImprovementAction.objects.create(
            site=site,
            what=what.strip(),
            why=why.strip(),
            owner=owner,
            due_date=due_date,
            created_by=acting_user,
            **fields,
        )
        if feedback:
            action.feedback.set(feedback)
        audit_record(
            action="improvement.create", actor=acting_user, obj=action, site=site, details={"what": action.what}
        )
    return action


def action_create_for_promise(event: ActionPromised) -> ImprovementAction:
    """The improvement action that keeps a promise made in a response letter (called by the cases hook, inside
    the transaction that records the promise: refusing here refuses the promise too)."""
    case, promised, owner = event.case, event.promised, event.owner
    if not can(owner, Cap.IMPROVEMENT_OWN, case.site_id):
        raise ApplicationError(f"{owner} cannot own improvement actions at {case.site.name}; choose someone who can.")
    return action_create(
        acting_user=event.acting_user,
        site=case.site,
        what=promised.description,
        why=why_promised(case.reference, promised.owner),
        owner=owner,
        due_date=promised.due_date,
        department=event.department,
        case=case,
        promised_action=promised,
    )


def action_complete(
    *, acting_user: User, action: ImprovementAction, evidence: str, public: bool, you_said: str = "", we_did: str = ""
) -> ImprovementAction:
    """Done, with evidence. For the public page it needs both sides in plain words."""
    _require_staff(acting_user, action.site)
    if not evidence.strip():
        raise ApplicationError("Record the evidence that the action is done.")
    if public and not (you_said.strip() and we_did.strip()):
        raise ApplicationError("For the “You said, we did” page, write both what patients said and what changed.")
    with transaction.atomic():
        action.status, action.completed_at = ActionStatus.DONE, timezone.now()
        action.completion_evidence, action.public = evidence.strip(), public
        action.you_said, action.we_did = you_said.strip(), we_did.strip()
        action.save()
        audit_record(
            action="improvement.complete", actor=acting_user, obj=action, site=action.site, details={"public": public}
        )
    return action


def action_set_status(*, acting_user: User, action: ImprovementAction, status: str) -> ImprovementAction:
    _require_staff(acting_user, action.site)
    if status not in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.CANCELLED):
        raise ApplicationError("Use “complete” to mark an action done.")
    with transaction.atomic():
        before = action.status
        action.status = status
        action.save(update_fields=["status"])
        audit_record(
            action="improvement.status",
            actor=acting_user,
            obj=action,
            site=action.site,
            details={"status": [before, status]},
        )
    return action
