from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.advocacy import selectors as advocacy_selectors
from liaison.audit.services import audit_record
from liaison.cases import selectors as case_selectors
from liaison.correspondence.models import Letter, LetterStatus
from liaison.improvement.models import ActionStatus, ImprovementAction
from liaison.investigations import selectors as investigation_selectors
from liaison.investigations.models import InvestigationRequest, RequestStatus
from liaison.lib.pagination import capped_count
from liaison.meetings import selectors as meeting_selectors

# Each list on the start page stops at LIST_LIMIT (the page says there are more, and links to the full list);
# the unassigned count stops at MY_WORK_CAP. Neither costs more with a million cases behind it.
LIST_LIMIT = 50
MY_WORK_CAP = 1000


def my_work(request: HttpRequest) -> HttpResponse:
    """The start page: what is waiting for this person, soonest and most urgent first."""
    user: User = request.user  # type: ignore[assignment]
    context: dict[str, object] = {"sites": user.sites.all()}
    if case_selectors.can_see_identity(user):
        now = timezone.now()
        mine = case_selectors.worklist(user=user, filters=case_selectors.WorklistFilters(view="mine"))
        unassigned = case_selectors.worklist(user=user, filters=case_selectors.WorklistFilters(view="unassigned"))
        first = list(mine[:10])
        rows = [{"case": c, "due_state": case_selectors.due_state(c, now)} for c in first]
        answered = list(
            InvestigationRequest.objects.filter(status=RequestStatus.ANSWERED, case__owner=user).select_related(
                "case", "department"
            )[:50]
        )
        context.update(
            {
                "rows": rows,
                "mine_count": mine.count(),
                "overdue_count": mine.filter(next_due_at__lt=now).count(),
                "unassigned_count": capped_count(unassigned, MY_WORK_CAP),
                "count_cap": MY_WORK_CAP,
                "show_identity": True,
                "answered_requests": answered,
            }
        )
        # The page names patients: one audit row lists the cases it showed.
        shown = [c.pk for c in first] + [r.case_id for r in answered]
        audit_record(
            action="case.list_view", actor=user, object_type="cases.case", details={"page": "my work", "cases": shown}
        )
    # Anyone may own an improvement action (a department lead keeping a promise made in a response letter).
    context["my_actions"] = list(
        ImprovementAction.objects.filter(
            owner=user, site_id__in=user.site_ids, status__in=[ActionStatus.PLANNED, ActionStatus.IN_PROGRESS]
        )
        .select_related("case")
        .order_by("due_date", "pk")[:50]
    )
    context["today"] = timezone.localdate()
    # Meetings the person organises or attends as staff (a ward manager invited to a mediation included).
    context["meetings"] = meeting_selectors.upcoming_for_user(user, timezone.now(), limit=10)
    if can(user, Cap.ADVOCACY_WORK):
        context["appeal_deadlines"] = advocacy_selectors.deadlines_for_user(user, limit=10)
    if can(user, Cap.REQUEST_ANSWER):
        context["requests"] = list(investigation_selectors.open_requests_for_investigator(user=user)[: LIST_LIMIT + 1])
    if can(user, Cap.LETTER_SIGN):
        context["awaiting_signoff"] = list(
            Letter.objects.filter(
                status=LetterStatus.AWAITING_SIGNOFF, case__in=case_selectors.cases_for_user(user=user)
            )
            .select_related("case", "drafted_by")
            .order_by("pk")[: LIST_LIMIT + 1]
        )
    context["list_limit"] = LIST_LIMIT
    return render(request, "home/my_work.html", context)
