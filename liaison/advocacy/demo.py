"""Demo appeals: one in every state on the demo's advocacy cases, through the real services. Deterministic."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from liaison.accounts.permissions import Cap, users_with
from liaison.advocacy import services
from liaison.advocacy.models import Appeal
from liaison.cases.models import Case, CaseType

# (plan, level, urgency, timing, days since the decision, days since filing or None, outcome or "")
_STATES: list[tuple[str, str, str, str, int, int | None, str]] = [
    ("erisa_employer", "internal", "standard", "pre_service", 12, None, ""),  # preparing
    ("medicaid_managed_care", "internal", "expedited", "pre_service", 4, 1, ""),  # filed, expedited
    ("marketplace", "internal", "standard", "post_service", 70, 40, "overturned"),
    ("medicare_advantage", "internal", "standard", "post_service", 90, 60, "upheld"),
    ("erisa_employer", "external_review", "standard", "post_service", 50, 20, "partly"),
    ("medicaid_managed_care", "state_fair_hearing", "standard", "post_service", 30, None, "withdrawn"),
]


def demo_load_advocacy() -> int:
    """Record the demo appeals on advocacy cases that have none yet; returns how many were recorded."""
    made = 0
    cases = Case.objects.filter(case_type=CaseType.ADVOCACY, appeals__isnull=True).select_related("site", "owner")
    for index, case in enumerate(cases.order_by("reference")):
        actor = case.owner or users_with(Cap.ADVOCACY_WORK, case.site_id).order_by("email").first()
        if actor is None:
            continue
        made += _load(case, actor, _STATES[index % len(_STATES)], index)
    return made


def _load(case: Case, actor: Any, state: tuple[str, str, str, str, int, int | None, str], index: int) -> int:
    plan, level, urgency, timing, decided_ago, filed_ago, outcome = state
    today = timezone.localdate(timezone.now(), case.site.zone)
    appeal: Appeal = services.appeal_record(
        acting_user=actor,
        case=case,
        org_name=("Lakeside Health Plan", "Riverbend Medicaid Partners", "Summit Marketplace Insurance")[index % 3],
        org_kind="payer",
        plan_type=plan,
        level=level,
        urgency=urgency,
        timing=timing,
        decision_received_on=today - timedelta(days=decided_ago),
        service=("Outpatient MRI", "Home oxygen", "Physical therapy, 12 sessions", "Inpatient stay, 3 days")[index % 4],
        amount=Decimal(str(850 + 400 * index)),
        reason_given="The plan says the service was not medically necessary.",
        filed_on=today - timedelta(days=filed_ago) if filed_ago is not None else None,
    )
    when = datetime.combine(today - timedelta(days=1), time(10, 30), tzinfo=case.site.zone)
    services.contact_log(
        acting_user=actor,
        appeal=appeal,
        occurred_at=when,
        person="Claims line, appeals desk",
        reference_number=f"APL-{1000 + index}",
        said="Confirmed what the appeal needs and where to send it.",
    )
    services.document_add(
        acting_user=actor,
        appeal=appeal,
        kind="denial_letter",
        upload=SimpleUploadedFile("denial-letter.txt", b"Notice of adverse benefit determination (demo).\n"),
    )
    if outcome:
        recovered = {"overturned": appeal.amount, "partly": (appeal.amount or Decimal("0")) / 2}.get(outcome)
        services.outcome_record(
            acting_user=actor,
            appeal=appeal,
            outcome=outcome,
            decision_on=today - timedelta(days=2),
            amount_recovered=recovered or Decimal("0"),
        )
    return 1
