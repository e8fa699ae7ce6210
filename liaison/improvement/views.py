from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.feedback import selectors as feedback_selectors
from liaison.feedback.forms import SiteChoiceForm
from liaison.improvement import services
from liaison.improvement.forms import FEEDBACK_NOT_FOUND, ActionForm, CompleteForm, SourceForm
from liaison.improvement.models import ActionStatus, ImprovementAction
from liaison.lib.errors import ApplicationError
from liaison.lib.language import staff_language_if_other
from liaison.org.models import Site


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _actions_for(user: User) -> QuerySet[ImprovementAction]:
    """The actions ``user`` may open: all at their sites, or — for an owner who does not otherwise read them (a
    department lead keeping a promise) — the ones they own, so that the link in their reminder works."""
    actions = ImprovementAction.objects.filter(site_id__in=user.site_ids)
    return actions if can(user, Cap.IMPROVEMENT_READ) else actions.filter(owner=user)


def action_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can(user, Cap.IMPROVEMENT_READ):
        raise Http404
    actions = ImprovementAction.objects.filter(site_id__in=user.site_ids).select_related(
        "site", "owner", "department", "case"
    )
    return render(
        request,
        "improvement/list.html",
        {
            "open": actions.exclude(status__in=[ActionStatus.DONE, ActionStatus.CANCELLED]),
            "done": actions.filter(status=ActionStatus.DONE)[:50],
            "can_work": can(user, Cap.IMPROVEMENT_WORK),
        },
    )


def action_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can(user, Cap.IMPROVEMENT_WORK):
        raise Http404
    source = SourceForm(request.POST if request.method == "POST" else request.GET)
    if not source.is_valid() and "site" in source.errors:
        raise Http404
    site = get_object_or_404(
        Site,
        code=source.cleaned_data.get("site")
        or Site.objects.filter(pk__in=user.site_ids).order_by("name").values_list("code", flat=True).first(),
        pk__in=user.site_ids,
    )
    feedback_asked = bool(source.data.get("feedback"))
    feedback_id = source.cleaned_data.get("feedback")
    feedback = (
        feedback_selectors.responses_for_user(user=user).filter(pk=feedback_id, site=site).first()
        if feedback_id
        else None
    )
    feedback_missing = feedback_asked and feedback is None
    initial = {}
    if feedback is not None:
        initial = {
            "why": f"Feedback received {feedback.received_on:%d %b %Y}: “{feedback.comment[:200]}”",
            "theme": (feedback.themes or [""])[0],
            "department": feedback.department_id,
        }
    form = ActionForm(request.POST or None, site_id=site.pk, initial=initial)
    if feedback_missing and request.method == "POST":
        form.add_error(None, FEEDBACK_NOT_FOUND)
    elif feedback_missing:
        messages.error(request, FEEDBACK_NOT_FOUND)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.action_create(
                acting_user=user, site=site, feedback=[feedback] if feedback else [], **form.cleaned_data
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Improvement action raised.")
            return redirect("improvement:detail", pk=action.pk)
    site_choice = SiteChoiceForm(initial={"site": site.code}, user=user, cap=Cap.IMPROVEMENT_WORK)
    return render(
        request,
        "improvement/new.html",
        {"form": form, "site": site, "feedback": feedback, "site_choice": site_choice},
    )


def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    action = get_object_or_404(_actions_for(user).select_related("site", "owner", "department", "case"), pk=pk)
    form = CompleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_complete(acting_user=user, action=action, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Marked as done.")
            return redirect("improvement:detail", pk=pk)
    return render(
        request,
        "improvement/detail.html",
        {"action": action, "form": form, "can_work": can(user, Cap.IMPROVEMENT_WORK)},
    )


@login_not_required
def you_said_we_did(request: HttpRequest, site_code: str) -> HttpResponse:
    site = get_object_or_404(Site, code=site_code, is_active=True)
    actions = (
        ImprovementAction.objects.filter(site=site, status=ActionStatus.DONE, public=True)
        .select_related("department")
        .order_by("-completed_at")[:100]
    )
    return render(
        request,
        "improvement/you_said_we_did.html",
        {"site": site, "actions": actions, "staff_language": staff_language_if_other()},
    )
