"""Drills from real cases: a manager turns a closed case into a de-identified scenario and approves it;
trainees write what they would say or do; feedback checks the reply; the manager can comment."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.audit.services import audit_record
from liaison.cases.models import Case, Status
from liaison.hiring.analysis import drill_feedback
from liaison.hiring.deidentify import deidentify_case
from liaison.hiring.models import Drill, DrillResponse
from liaison.lib.errors import ApplicationError


def _require_manager(user: User) -> None:
    if not can(user, Cap.HIRING_MANAGE):
        raise ApplicationError("Only a manager can prepare and approve drills.")


def drill_from_case(*, acting_user: User, case: Case) -> Drill:
    _require_manager(acting_user)
    if case.site_id not in acting_user.site_ids:
        raise ApplicationError("You cannot use cases of this site.")
    if case.status != Status.CLOSED:
        raise ApplicationError("Only a closed case can become a drill.")
    with transaction.atomic():
        drill = Drill.objects.create(
            source_case=case,
            title=f"A {case.get_case_type_display().lower()} by {case.get_channel_display().lower()}",
            scenario=deidentify_case(case),
            created_by=acting_user,
        )
        audit_record(
            action="drill.create", actor=acting_user, obj=drill, site=case.site, details={"case": case.reference}
        )
    return drill


def drill_approve(*, acting_user: User, drill: Drill, title: str, scenario: str) -> Drill:
    """The manager reads (and may edit) the scenario; only then can trainees see it."""
    _require_manager(acting_user)
    with transaction.atomic():
        drill.title, drill.scenario = title.strip(), scenario.strip()
        drill.approved_by, drill.approved_at = acting_user, timezone.now()
        drill.save()
        audit_record(action="drill.approve", actor=acting_user, obj=drill)
    return drill


def drill_respond(*, acting_user: User, drill: Drill, text: str) -> DrillResponse:
    if drill.approved_at is None:
        raise ApplicationError("This drill has not been approved yet.")
    if len(text.split()) < 5:
        raise ApplicationError("Write what you would say or do, in a few sentences.")
    with transaction.atomic():
        response = DrillResponse.objects.create(
            drill=drill, trainee=acting_user, text=text.strip(), feedback=drill_feedback(text)
        )
        audit_record(action="drill.respond", actor=acting_user, obj=drill)
    return response


def drill_comment(*, acting_user: User, response: DrillResponse, comment: str) -> DrillResponse:
    _require_manager(acting_user)
    with transaction.atomic():
        response.manager_comment, response.commented_by = comment.strip(), acting_user
        response.save(update_fields=["manager_comment", "commented_by"])
        audit_record(action="drill.comment", actor=acting_user, obj=response.drill)
    return response
