"""The office's measures over the API: each number the dashboard shows, with its definition, for a period.

The numbers are the dashboard's own (``insights.measures``): the same definitions, the same cases counted,
whoever asks. They count cases, never identities, so an executive's token reads the same figures.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from liaison.accounts.api_auth import answers, caller, scoped
from liaison.accounts.models import ApiScope
from liaison.accounts.permissions import Cap, require
from liaison.audit.services import audit_record
from liaison.cases.models import CaseType
from liaison.insights import dashboard as board
from liaison.insights.forms import last_full_month
from liaison.insights.measures import MEASURES_LIST, Period, values
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site

router = Router(tags=["measures"])

LONGEST_PERIOD_DAYS = 5 * 366  # as on the dashboard


class MeasureOut(Schema):
    key: str
    name: str
    definition: str
    rule: str  # the regulation it serves (RULES.md), or ""
    unit: str  # count, percent or days
    value: float | None  # null when there is nothing to measure (a share of no cases)


class PeriodOut(Schema):
    start: date
    end: date


class MeasuresOut(Schema):
    period: PeriodOut
    sites: list[str]
    case_type: str | None
    measures: list[MeasureOut]


@router.get("", auth=scoped(ApiScope.READ_MEASURES), response=answers(MeasuresOut))
def measures(
    request: HttpRequest,
    site: str | None = Query(None, max_length=20, description="A site's code; all the caller's sites if not given"),
    date_from: date | None = Query(None, description="First day; last full month if not given"),
    date_to: date | None = Query(None, description="Last day, included"),
    case_type: CaseType | None = None,
) -> dict[str, Any]:
    """Every measure for the period, by each site's calendar (cases belong to the day they were received)."""
    user = caller(request)
    require(user, Cap.INSIGHTS_READ, what="read the office's measures")
    sites = Site.objects.filter(pk__in=user.site_ids).order_by("code")
    if site:
        sites = sites.filter(code=site)
    chosen = list(sites)
    if not chosen:
        raise ApplicationError(f"There is no site “{site}” among your sites.", extra={"field": "site"})
    if (date_from is None) != (date_to is None):
        raise ApplicationError("Give both date_from and date_to, or neither (last full month).")
    period = Period(date_from, date_to) if date_from and date_to else last_full_month()
    if period.days > LONGEST_PERIOD_DAYS:
        raise ApplicationError("Choose a period of five years or less.")
    # The dashboard's own scope for these filters: the same cases counted, whoever asks.
    figures = values(board.Filters(sites=chosen, period=period, case_type=case_type or "").scope(), period)
    audit_record(
        action="insights.api_measures",
        actor=user,
        details={"sites": [s.code for s in chosen], "from": period.start.isoformat(), "to": period.end.isoformat()},
    )
    return {
        "period": {"start": period.start, "end": period.end},
        "sites": [s.code for s in chosen],
        "case_type": case_type,
        "measures": [
            {
                "key": m.key,
                "name": m.name,
                "definition": m.definition,
                "rule": m.rule,
                "unit": m.unit,
                "value": figures.get(m.key),
            }
            for m in MEASURES_LIST
        ],
    }
