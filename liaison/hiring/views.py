from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from liaison.accounts.models import User
from liaison.hiring import services
from liaison.hiring.data import competency_names, load_questions
from liaison.hiring.models import PracticeAttempt
from liaison.lib.errors import ApplicationError

PARTS = ("situation", "task", "action", "result")
MAX_SECONDS = 24 * 60 * 60
SECONDS_MESSAGE = "The time taken must be a number of seconds, up to a day. Reload the page and try again."


class PracticeForm(forms.Form):
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), label="Your answer", max_length=8000)
    # Filled in by the page's timer; a value that is not a plausible number of seconds is refused with a
    # message rather than reaching the database (which refuses negatives and numbers this large).
    seconds_taken = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_SECONDS,
        widget=forms.HiddenInput,
        label="Time taken",
        error_messages={code: SECONDS_MESSAGE for code in ("invalid", "min_value", "max_value")},
    )


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def practice_home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    names = competency_names()
    progress = [(names.get(key, key), months) for key, months in services.progress_by_competency(user=user)]
    attempts = PracticeAttempt.objects.filter(user=user)[:20]
    return render(
        request,
        "hiring/practice_home.html",
        {"questions": load_questions(), "progress": progress, "attempts": attempts, "names": names},
    )


def practice_question(request: HttpRequest, key: str) -> HttpResponse:
    try:
        question = services.question_by_key(key)
    except ApplicationError:
        raise Http404 from None
    form = PracticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            attempt = services.practice_submit(
                acting_user=_user(request),
                question_key=key,
                answer=form.cleaned_data["answer"],
                seconds_taken=form.cleaned_data["seconds_taken"],
            )
        except ApplicationError as exc:
            form.add_error("answer", exc.message)
        else:
            return redirect("hiring:attempt", pk=attempt.pk)
    return render(
        request, "hiring/practice_question.html", {"question": question, "form": form, "names": competency_names()}
    )


def practice_attempt(request: HttpRequest, pk: int) -> HttpResponse:
    # Practice answers are private to the person who wrote them.
    attempt = get_object_or_404(PracticeAttempt, pk=pk, user=_user(request))
    question = services.question_by_key(attempt.question_key)
    return render(
        request,
        "hiring/practice_feedback.html",
        {"attempt": attempt, "question": question, "fb": attempt.feedback, "parts": PARTS},
    )
