"""The workload page (open cases per owner, by age and due state) and the list behind each number, where a
manager ticks cases and gives them to someone else. Managers only (Cap.OVERSEE at the site); others get a 404.

Every number links to this app's own list rather than to the worklist: the worklist cannot filter by owner
(beyond "mine"), site or age, and its "due soon" is a calendar-day approximation, so it could not show exactly
the cases counted.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can, users_with
from liaison.audit.services import audit_record
from liaison.cases.models import Case
from liaison.cases.selectors import DueState, due_state
from liaison.feedback.forms import SiteChoiceForm
from liaison.insights.workload import (
    AGE_BANDS,
    AGE_LABELS,
    DUE_LABELS,
    UNASSIGNED,
    Pick,
    WorkloadRow,
    cases_reassign,
    workload,
    workload_cases,
)
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site

PAGE_SIZE = 100
MOST_PICKS = 500
MOST_REFUSALS_SHOWN = 20


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _chosen_site(request: HttpRequest, user: User) -> tuple[Site, SiteChoiceForm]:
    """The site named by ``?site=CODE`` among those the user oversees (the first of them by default)."""
    site_choice = SiteChoiceForm(user=user, cap=Cap.OVERSEE)
    if not site_choice.sites:
        raise Http404
    code = request.GET.get("site")
    # Matched among the user's own sites: text from the address never reaches the database.
    site = next((s for s in site_choice.sites if s.code == code), None) if code else site_choice.sites[0]
    if site is None or not can(user, Cap.OVERSEE, site.pk):
        raise Http404
    site_choice.initial = {"site": site.code}
    return site, site_choice


def _list_url(site: Site, owner: str = "", age: str = "", due: str = "") -> str:
    params = {"site": site.code, "owner": owner, "age": age, "due": due}
    return f"{reverse('insights:workload-cases')}?{urlencode({k: v for k, v in params.items() if v})}"


def _cell(count: int, url: str) -> dict[str, Any]:
    return {"count": count, "url": url if count else None}


def _table_row(site: Site, row: WorkloadRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "can_own": row.can_own,
        "unassigned": row.owner_key == UNASSIGNED,
        "total": _cell(row.total, _list_url(site, row.owner_key)),
        "ages": [_cell(row.ages[key], _list_url(site, row.owner_key, age=key)) for key in AGE_LABELS],
        "due": [_cell(row.due[state], _list_url(site, row.owner_key, due=state)) for state in DUE_LABELS],
    }


def workload_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    site, site_choice = _chosen_site(request, user)
    rows = workload(user=user, site=site, now=timezone.now())
    totals = WorkloadRow("", "All open cases", False)
    for row in rows:
        totals.total += row.total
        totals.ages = {key: totals.ages[key] + row.ages[key] for key in AGE_LABELS}
        totals.due = {state: totals.due[state] + row.due[state] for state in DUE_LABELS}
    audit_record(
        action="insights.workload_view",
        actor=user,
        obj=site,
        site=site,
        details={"open_cases": totals.total},
    )
    return render(
        request,
        "insights/workload.html",
        {
            "site": {"name": site.name, "code": site.code},
            "site_choice": site_choice,
            "age_labels": list(AGE_LABELS.values()),
            "due_labels": list(DUE_LABELS.values()),
            "rows": [_table_row(site, row) for row in rows],
            "totals": _table_row(site, totals) | {"total": _cell(totals.total, _list_url(site))},
        },
    )


class CaseFilterForm(forms.Form):
    """Which number of the workload table the list stands for (GET parameters; no patient data)."""

    owner = forms.RegexField(regex=r"\A(?:none|[1-9][0-9]{0,8})\Z", required=False)
    age = forms.ChoiceField(choices=[("", "Any age"), *((band.key, band.label) for band in AGE_BANDS)], required=False)
    due = forms.ChoiceField(choices=[("", "Any"), *DUE_LABELS.items()], required=False)


_PICK = re.compile(r"\A([1-9][0-9]{0,17}):(none|[1-9][0-9]{0,17})\Z")


class PicksField(forms.Field):
    """The ticked cases, each as ``<case id>:<owner id or none>``: the owner the manager saw when ticking it."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[Pick]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        if len(values) > MOST_PICKS:
            raise ValidationError(f"Move at most {MOST_PICKS} cases at a time.")
        picks = []
        for item in values:
            match = _PICK.match(str(item))
            if match is None:
                raise ValidationError("Reload the list and tick the cases again.")
            picks.append(Pick(int(match[1]), None if match[2] == UNASSIGNED else int(match[2])))
        return picks

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise ValidationError("Tick at least one case to move.")


class ReassignForm(forms.Form):
    case = PicksField(label="Cases to move")
    new_owner = forms.ChoiceField(label="Give the ticked cases to")

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.officers = {str(u.pk): u for u in users_with(Cap.CASE_OWN, site).order_by("full_name", "pk")}
        self.fields["new_owner"].choices = [  # type: ignore[attr-defined]
            ("", "Choose a person"),
            *((key, str(officer)) for key, officer in self.officers.items()),
            (UNASSIGNED, "Nobody: put them back in the unassigned queue"),
        ]

    def clean_new_owner(self) -> User | None:
        value = self.cleaned_data["new_owner"]
        return None if value == UNASSIGNED else self.officers[value]


def _report(request: HttpRequest, owner: User | None, moved: list[str], refused: list[tuple[str, str]]) -> None:
    if moved:
        whom = f"to {owner}" if owner else "back to the unassigned queue"
        messages.success(request, f"Moved {len(moved)} case{'s' if len(moved) != 1 else ''} {whom}.")
    if refused:
        messages.warning(request, f"{len(refused)} case{'s were' if len(refused) != 1 else ' was'} not moved:")
        for reference, why in refused[:MOST_REFUSALS_SHOWN]:
            messages.warning(request, f"{reference}: {why}")
        if len(refused) > MOST_REFUSALS_SHOWN:
            messages.warning(request, f"…and {len(refused) - MOST_REFUSALS_SHOWN} more.")


def _case_row(case: Case, site: Site, now: datetime) -> dict[str, Any]:
    """What the list prints about a case: plain values, no patient identity."""
    state = due_state(case, now)
    received = timezone.localdate(case.received_at, site.zone)
    return {
        "pk": case.pk,
        "pick": f"{case.pk}:{case.owner_id or UNASSIGNED}",
        "reference": case.reference,
        "restricted": case.restricted,
        "type": case.get_case_type_display(),
        "status": case.get_status_display(),
        "priority": case.priority,
        "priority_label": case.get_priority_display(),
        "received": received,
        "age_days": (timezone.localdate(now, site.zone) - received).days,
        "due_state": state,
        "due_label": DueState.LABELS[state],
        "due_name": case.next_due_name,
        "due_on": timezone.localdate(case.next_due_at, site.zone) if case.next_due_at else None,
        "owner": str(case.owner) if case.owner else "",
    }


def workload_case_list(request: HttpRequest) -> HttpResponse:
    """GET: the open cases behind one workload number, with boxes to tick. POST: move the ticked cases."""
    user = _user(request)
    site, _ = _chosen_site(request, user)
    filters = CaseFilterForm(request.GET)
    if not filters.is_valid():
        raise Http404
    owner, age, due = (filters.cleaned_data[name] for name in ("owner", "age", "due"))
    form = ReassignForm(request.POST if request.method == "POST" else None, site=site)
    if request.method == "POST" and form.is_valid():
        new_owner = form.cleaned_data["new_owner"]
        try:
            result = cases_reassign(acting_user=user, site=site, picks=form.cleaned_data["case"], owner=new_owner)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            _report(request, new_owner, result.moved, result.refused)
            return redirect(request.get_full_path())
    now = timezone.now()
    page = Paginator(workload_cases(user=user, site=site, owner=owner, age=age, due=due, now=now), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [_case_row(case, site, now) for case in page.object_list]
    audit_record(
        action="case.list_view",
        actor=user,
        object_type="cases.case",
        site=site,
        details={"page": page.number, "view": "workload", "cases": [row["pk"] for row in rows]},
    )
    if owner == UNASSIGNED:
        owner_name = "Unassigned"
    elif owner:
        person = User.objects.filter(pk=int(owner)).only("full_name", "email").first()
        owner_name = str(person) if person else "Someone no longer in Liaison"
    else:
        owner_name = "Everyone"
    query = {k: v for k, v in {"site": site.code, "owner": owner, "age": age, "due": due}.items() if v}
    return render(
        request,
        "insights/workload_cases.html",
        {
            "site": {"name": site.name, "code": site.code},
            "owner_name": owner_name,
            "age_label": AGE_LABELS.get(age, ""),
            "due_label": DUE_LABELS.get(due, ""),
            "page": page,
            "rows": rows,
            "form": form,
            "query": urlencode(query),
            "workload_url": f"{reverse('insights:workload')}?{urlencode({'site': site.code})}",
        },
    )
