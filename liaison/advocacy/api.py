"""Advocacy over the API: an advocacy case's appeals, each with its deadlines and the rule behind each."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from liaison.accounts.api_auth import answers, caller, scoped
from liaison.accounts.models import ApiScope
from liaison.advocacy.selectors import deadlines_for, get_advocacy_case_for_user, overrides_for
from liaison.audit.services import audit_view

router = Router(tags=["advocacy"])


class DeadlineOut(Schema):
    key: str  # "file" or "decide"
    name: str
    due: date | None  # null: no rule, or the day it counts from is not recorded yet
    rule_id: str
    rule: str
    source: str
    unverified: bool  # the rule's source has not been checked by a person
    missing: str  # why there is no date


class AppealOut(Schema):
    id: int
    org_name: str
    org_kind: str
    plan_type: str
    level: str
    urgency: str
    status: str
    decision_received_on: date
    filed_on: date | None
    decision_on: date | None
    outcome: str
    amount: Decimal | None
    amount_recovered: Decimal | None
    deadlines: list[DeadlineOut]


@router.get("/cases/{reference}/appeals", auth=scoped(ApiScope.READ_CASES), response=answers(list[AppealOut]))
def case_appeals(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    """The appeals of an advocacy case, with each deadline (404 for any other case)."""
    case = get_advocacy_case_for_user(user=caller(request), reference=reference)
    audit_view(request=request, obj=case, site=case.site, what="appeals (API)")
    overrides = overrides_for(case.site_id)
    appeals = case.appeals.select_related("case").order_by("pk")[:100]
    return [
        {
            "id": appeal.pk,
            "org_name": appeal.org_name,
            "org_kind": appeal.org_kind,
            "plan_type": appeal.plan_type,
            "level": appeal.level,
            "urgency": appeal.urgency,
            "status": appeal.status,
            "decision_received_on": appeal.decision_received_on,
            "filed_on": appeal.filed_on,
            "decision_on": appeal.decision_on,
            "outcome": appeal.outcome,
            "amount": appeal.amount,
            "amount_recovered": appeal.amount_recovered,
            "deadlines": [
                {
                    "key": d.key,
                    "name": d.name,
                    "due": d.due,
                    "rule_id": d.rule_id,
                    "rule": d.rule,
                    "source": d.source,
                    "unverified": d.unverified,
                    "missing": d.missing,
                }
                for d in deadlines_for(appeal, overrides)
            ],
        }
        for appeal in appeals
    ]
