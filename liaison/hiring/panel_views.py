from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.audit.services import audit_record
from liaison.hiring import panels
from liaison.hiring.data import load_questions
from liaison.hiring.forms import ScoreSheetForm, first_error
from liaison.hiring.models import Candidate, Decision, Score
from liaison.lib.errors import ApplicationError
from liaison.lib.forms import ModelMultipleChoiceField
from liaison.lib.pdf import render_pdf
from liaison.org.models import Site


class VacancyForm(forms.Form):
    title = forms.CharField(max_length=200)
    site = forms.ModelChoiceField(queryset=Site.objects.none())
    time_budget_minutes = forms.IntegerField(
        min_value=15, max_value=180, initial=45, label="Time for questions (minutes)"
    )
    retention_until = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="Delete candidates' data after"
    )


class CandidateForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Candidate's name")
    email = forms.EmailField(required=False)


class InterviewForm(forms.Form):
    candidate = forms.ModelChoiceField(queryset=Candidate.objects.none())
    scheduled_for = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label="When")
    panel = ModelMultipleChoiceField(queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices)
    reasons = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def vacancy_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = VacancyForm(request.POST or None, initial={"retention_until": timezone.localdate() + timedelta(days=183)})
    form.fields["site"].queryset = Site.objects.filter(pk__in=user.site_ids)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            vacancy = panels.vacancy_create(acting_user=user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Vacancy opened with a suggested kit. Check the questions.")
            return redirect("hiring:vacancy", pk=vacancy.pk)
    return render(
        request,
        "hiring/vacancies.html",
        {"vacancies": panels.vacancies_for_user(user=user), "form": form if can(user, Cap.HIRING_MANAGE) else None},
    )


def vacancy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    vacancy = panels.get_vacancy_for_user(user=user, pk=pk)
    is_manager = vacancy.hiring_manager_id == user.pk
    questions = list(load_questions())
    candidate_form = CandidateForm(request.POST if "add_candidate" in request.POST else None)
    interview_form = InterviewForm(request.POST if "schedule" in request.POST else None)
    interview_form.fields["candidate"].queryset = vacancy.candidates.all()  # type: ignore[attr-defined]
    panel_choices = User.objects.filter(is_active=True, sites=vacancy.site).distinct().order_by("full_name")
    interview_form.fields["panel"].queryset = panel_choices  # type: ignore[attr-defined]
    if request.method == "POST" and is_manager:
        try:
            if "kit" in request.POST:
                panels.kit_set(acting_user=user, vacancy=vacancy, question_keys=request.POST.getlist("questions"))
                messages.success(request, "Kit saved.")
                return redirect("hiring:vacancy", pk=pk)
            if "add_candidate" in request.POST and candidate_form.is_valid():
                panels.candidate_add(acting_user=user, vacancy=vacancy, **candidate_form.cleaned_data)
                return redirect("hiring:vacancy", pk=pk)
            if "schedule" in request.POST and interview_form.is_valid():
                data = interview_form.cleaned_data
                panels.interview_schedule(
                    acting_user=user, candidate=data["candidate"], when=data["scheduled_for"], panel=list(data["panel"])
                )
                messages.success(request, "Interview scheduled.")
                return redirect("hiring:vacancy", pk=pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
    audit_record(action="view", actor=user, obj=vacancy, site=vacancy.site, details={"page": "vacancy"})
    kit = set(vacancy.question_keys)
    return render(
        request,
        "hiring/vacancy.html",
        {
            "vacancy": vacancy,
            "is_manager": is_manager,
            "questions": questions,
            "kit": kit,
            "kit_questions": [q for q in questions if q.key in kit],
            "kit_minutes": sum(q.minutes for q in questions if q.key in kit),
            "candidates": vacancy.candidates.prefetch_related("interviews"),
            "candidate_form": candidate_form,
            "interview_form": interview_form,
        },
    )


def interview_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    interview = panels.get_interview_for_user(user=user, pk=pk)
    vacancy = interview.candidate.vacancy
    on_panel = interview.panel.filter(pk=user.pk).exists()
    submitted = panels.has_submitted(user, interview)
    if request.method == "POST":
        try:
            if "decide" in request.POST:
                form = DecisionForm(request.POST)
                if not form.is_valid():
                    raise ApplicationError("Record the decision and its reasons.")
                panels.candidate_decide(acting_user=user, candidate=interview.candidate, **form.cleaned_data)
                messages.success(request, "Decision recorded.")
            else:
                # The whole sheet is checked before any score is kept, so a bad value saves nothing.
                sheet_form = ScoreSheetForm(request.POST, question_keys=vacancy.question_keys)
                if not sheet_form.is_valid():
                    raise ApplicationError(first_error(sheet_form))
                for key, score, notes in sheet_form.scores():
                    panels.score_record(
                        acting_user=user, interview=interview, question_key=key, score=score, notes=notes
                    )
                if "submit" in request.POST:
                    panels.scores_submit(acting_user=user, interview=interview)
                    messages.success(request, "Scores submitted. You can now see the panel's scores.")
                else:
                    messages.success(request, "Scores saved (not yet submitted).")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("hiring:interview", pk=pk)
    if not on_panel and vacancy.hiring_manager_id != user.pk:
        raise Http404
    audit_record(action="view", actor=user, obj=interview, site=vacancy.site, details={"page": "score sheet"})
    mine = {s.question_key: s for s in Score.objects.filter(interview=interview, interviewer=user)}
    return render(
        request,
        "hiring/interview.html",
        {
            "interview": interview,
            "vacancy": vacancy,
            "on_panel": on_panel,
            "submitted": submitted,
            "mine": mine,
            "questions": [q for key in vacancy.question_keys for q in load_questions() if q.key == key],
            "sheet": panels.score_sheet(user=user, interview=interview) if (submitted or not on_panel) else None,
            "decision_form": DecisionForm() if vacancy.hiring_manager_id == user.pk else None,
            "scores_1_5": range(1, 6),
        },
    )


def candidate_or_404(user: User, pk: int) -> Candidate:
    candidate = get_object_or_404(Candidate, pk=pk)
    panels.get_vacancy_for_user(user=user, pk=candidate.vacancy_id)
    return candidate


def kit_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable kit: every question with its probes, rubric anchors and boxes for score and notes."""
    user = _user(request)
    vacancy = panels.get_vacancy_for_user(user=user, pk=pk)
    questions = [q for key in vacancy.question_keys for q in load_questions() if q.key == key]
    pdf = render_pdf(
        "hiring/kit_pdf.html", {"vacancy": vacancy, "questions": questions, "interview": None, "sheet": None}
    )
    audit_record(action="hiring.print_kit", actor=user, obj=vacancy, site=vacancy.site)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="kit-{vacancy.pk}.pdf"'
    return response


def sheet_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The score sheet as the person printing it may see it (blind rules apply)."""
    user = _user(request)
    interview = panels.get_interview_for_user(user=user, pk=pk)
    vacancy = interview.candidate.vacancy
    if interview.panel.filter(pk=user.pk).exists() and not panels.has_submitted(user, interview):
        raise Http404
    sheet = panels.score_sheet(user=user, interview=interview)
    pdf = render_pdf(
        "hiring/kit_pdf.html", {"vacancy": vacancy, "questions": [], "interview": interview, "sheet": sheet}
    )
    audit_record(action="hiring.print_sheet", actor=user, obj=interview, site=vacancy.site)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="score-sheet-{interview.pk}.pdf"'
    return response
