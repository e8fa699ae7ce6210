from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.cases import selectors as case_selectors
from liaison.hiring import drills
from liaison.hiring.forms import ApproveForm, CommentForm, RespondForm, first_error
from liaison.hiring.models import Drill, DrillResponse
from liaison.lib.errors import ApplicationError

CHECK_LABELS = {
    "acknowledgement": "Acknowledges what happened",
    "empathy": "Shows empathy",
    "explanation": "Explains",
    "next_steps": "Says what happens next",
    "timescale": "Gives a timescale",
    "named_contact": "Names a contact",
    "blame": "Blames someone (avoid)",
    "jargon": "Uses jargon (avoid)",
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def drill_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    is_manager = can(user, Cap.HIRING_MANAGE)
    visible = Drill.objects.all() if is_manager else Drill.objects.filter(approved_at__isnull=False)
    return render(request, "hiring/drills.html", {"drills": visible, "is_manager": is_manager})


@require_POST
def drill_new(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    case = case_selectors.get_case_for_user(user=user, reference=reference)
    try:
        drill = drills.drill_from_case(acting_user=user, case=case)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("cases:detail", reference=reference)
    messages.success(request, "Drill drafted. Check that nobody can be recognised, then approve it.")
    return redirect("hiring:drill", pk=drill.pk)


def drill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    drill = get_object_or_404(Drill, pk=pk)
    is_manager = can(user, Cap.HIRING_MANAGE)
    if drill.approved_at is None and not is_manager:
        raise Http404
    if request.method == "POST":
        try:
            if "approve" in request.POST:
                approve = ApproveForm(request.POST)
                if not approve.is_valid():
                    raise ApplicationError(first_error(approve))
                drills.drill_approve(acting_user=user, drill=drill, **approve.cleaned_data)
                messages.success(request, "Approved: trainees can now use this drill.")
            elif "comment" in request.POST:
                comment = CommentForm(request.POST, drill=drill)
                if not comment.is_valid():
                    raise ApplicationError(first_error(comment))
                drills.drill_comment(
                    acting_user=user,
                    response=comment.cleaned_data["response"],
                    comment=comment.cleaned_data["comment_text"],
                )
                messages.success(request, "Comment saved.")
            else:
                respond = RespondForm(request.POST)
                if not respond.is_valid():
                    raise ApplicationError(first_error(respond))
                response = drills.drill_respond(acting_user=user, drill=drill, text=respond.cleaned_data["text"])
                return redirect("hiring:drill-response", pk=response.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("hiring:drill", pk=pk)
    responses = drill.responses.select_related("trainee") if is_manager else drill.responses.filter(trainee=user)
    return render(request, "hiring/drill.html", {"drill": drill, "is_manager": is_manager, "responses": responses})


def drill_response(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    response = get_object_or_404(DrillResponse.objects.select_related("drill"), pk=pk)
    if response.trainee_id != user.pk and not can(user, Cap.HIRING_MANAGE):
        raise Http404
    checks = [
        (CHECK_LABELS.get(key, key), key in ("blame", "jargon"), value)
        for key, value in response.feedback.get("checks", {}).items()
    ]
    return render(request, "hiring/drill_response.html", {"response": response, "checks": checks})
