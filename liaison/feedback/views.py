from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.audit.services import audit_record
from liaison.feedback import selectors, services
from liaison.feedback.forms import (
    AnswerForm,
    CorrectionForm,
    DashboardForm,
    QuestionForm,
    ResponseFilterForm,
    SiteChoiceForm,
    SurveyForm,
)
from liaison.feedback.models import Channel, Survey
from liaison.feedback.themes import THEME_LABELS
from liaison.lib.dbrouter import reads_from_replica
from liaison.lib.emails import site_url
from liaison.lib.errors import ApplicationError
from liaison.lib.pagination import CappedPaginator
from liaison.lib.pdf import render_pdf
from liaison.lib.ratelimit import allow, client_key, key_for
from liaison.org.models import Site


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@reads_from_replica
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can(user, Cap.FEEDBACK_DASHBOARD):
        raise Http404
    # Executives see themes and counts; the comments as written are for those who work on feedback.
    can_work = can(user, Cap.FEEDBACK_WORK)
    form = DashboardForm(request.GET or None, site_ids=user.site_ids)
    chosen = form.cleaned_data if form.is_valid() else {}
    department = chosen.get("department")
    scope = selectors.DashboardScope(
        site_ids=tuple(user.site_ids),
        department_id=department.pk if department else None,
        date_from=chosen.get("date_from"),
        date_to=chosen.get("date_to"),
    )
    data = selectors.dashboard(scope=scope, verbatim=can_work)
    department_rows = [
        {"department": name, "themes": counts.most_common(5), "total": sum(counts.values())}
        for name, counts in sorted(data.themes_by_department.items(), key=lambda item: -sum(item[1].values()))
    ][:12]
    return render(
        request,
        "feedback/dashboard.html",
        {
            "form": form,
            "data": data,
            "themes_chart": selectors.bar_chart(data.themes),
            "sentiment_chart": selectors.sentiment_chart(data.sentiment_by_month),
            "department_rows": department_rows,
            "theme_rows": [(theme, count, data.examples.get(theme, [])) for theme, count in data.themes],
            "can_work": can_work,
            "needs_review": selectors.needs_review_count(scope=scope),
            "review_cap": selectors.REVIEW_COUNT_CAP,
            "corrections_report": services.corrections_report(),
        },
    )


def response_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can(user, Cap.FEEDBACK_WORK):
        raise Http404
    responses = selectors.responses_for_user(user=user).select_related("department")
    # A theme or sentiment in the address that is not one of the filter's own values is ignored.
    filters = ResponseFilterForm(request.GET)
    filters.is_valid()
    theme = filters.cleaned_data.get("theme") or ""
    if theme:
        responses = responses.filter(themes__icontains=theme)
    chosen = filters.cleaned_data.get("sentiment")
    if chosen is not None:
        responses = responses.filter(sentiment=chosen)
    sentiment = "" if chosen is None else str(chosen)
    needs_review = bool(filters.cleaned_data.get("needs_review"))
    if needs_review:
        responses = selectors.responses_needing_review(responses)
    # The count stops at a cap, so a million answers cost no more to page through than a thousand.
    page = CappedPaginator(responses, 50).get_page(request.GET.get("page"))
    kept = {"theme": theme, "sentiment": sentiment, "needs_review": "1" if needs_review else ""}
    return render(
        request,
        "feedback/responses.html",
        {
            "page": page,
            "theme": theme,
            "sentiment": sentiment,
            "needs_review": needs_review,
            "labels": THEME_LABELS,
            "query": urlencode({k: v for k, v in kept.items() if v}),
        },
    )


def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    response = selectors.get_response_for_user(user=user, pk=pk)
    labels = sorted(set(THEME_LABELS) | set(response.themes or []))
    form = CorrectionForm(
        request.POST or None, labels=labels, initial={"themes": response.themes, "sentiment": response.sentiment}
    )
    if request.method == "POST" and form.is_valid():
        services.response_correct(
            acting_user=user,
            response=response,
            themes=form.cleaned_data["themes"],
            sentiment=form.cleaned_data["sentiment"],
        )
        messages.success(request, "Correction saved. It will be used the next time the model is trained.")
        return redirect("feedback:response", pk=pk)
    if response.contact_consent:
        audit_record(
            action="view",
            actor=user,
            obj=response,
            site=response.site,
            details={"page": "feedback response with contact details"},
        )
    confidence = None if response.confidence is None else round(100 * response.confidence)
    return render(
        request, "feedback/response.html", {"response": response, "form": form, "confidence_percent": confidence}
    )


def survey_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can(user, Cap.FEEDBACK_WORK):
        raise Http404
    site = Site.objects.filter(pk__in=user.site_ids).order_by("name").first()
    if site is None:
        raise Http404
    site_code = request.POST.get("site") or request.GET.get("site") or site.code
    # Matched among the user's own sites: text from the address (a NUL byte, say) never reaches the database.
    site = next((s for s in Site.objects.filter(pk__in=user.site_ids) if s.code == site_code), None)
    if site is None:
        raise Http404
    form = SurveyForm(request.POST or None, site_id=site.pk)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(acting_user=user, site=site, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Survey created. Add its questions.")
            return redirect("feedback:survey", pk=survey.pk)
    site_choice = SiteChoiceForm(initial={"site": site.code}, user=user, cap=Cap.FEEDBACK_WORK)
    return render(
        request,
        "feedback/surveys.html",
        {"surveys": selectors.surveys_for_user(user=user), "form": form, "site": site, "site_choice": site_choice},
    )


def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = selectors.get_survey_for_user(user=user, pk=pk)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_add_question(
                acting_user=user,
                survey=survey,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                choices=form.cleaned_data["choices"].splitlines(),
                required=form.cleaned_data["required"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Question added.")
            return redirect("feedback:survey", pk=pk)
    link = site_url(reverse("feedback:answer", args=[survey.public_key]))
    return render(
        request,
        "feedback/survey.html",
        {"survey": survey, "form": form, "link": link, "count": survey.responses.count()},
    )


def survey_poster(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    survey = selectors.get_survey_for_user(user=user, pk=pk)
    url = site_url(reverse("feedback:answer", args=[survey.public_key])) + "?via=qr"
    pdf = render_pdf(
        "org/poster_pdf.html",
        {
            "site": survey.site,
            "department": survey.department,
            "url": url,
            "qr_svg": segno.make(url, error="m").svg_inline(scale=10, title="QR code"),
        },
    )
    audit_record(action="poster.print", actor=user, obj=survey, site=survey.site)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-poster.pdf"'
    return response


@login_not_required
@never_cache
def answer(request: HttpRequest, key: str) -> HttpResponse:
    survey = get_object_or_404(Survey.objects.select_related("site", "department"), public_key=key)
    if not survey.is_open:
        return render(request, "feedback/answer_closed.html", {"survey": survey, "site": survey.site}, status=410)
    form = AnswerForm(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        if not _answer_allowed(request, survey):
            return render(request, "feedback/answer_busy.html", {"survey": survey, "site": survey.site}, status=429)
        data = form.cleaned_data
        answers = {k: v for k, v in data.items() if k.isdigit()}
        services.response_submit(
            survey=survey,
            answers=answers,
            consent=bool(data.get("consent")),
            name=data.get("name", ""),
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            channel=Channel.QR if request.GET.get("via") == "qr" else Channel.WEB,
        )
        return redirect("feedback:answer-thanks", key=key)
    return render(request, "feedback/answer.html", {"survey": survey, "site": survey.site, "form": form})


def _answer_allowed(request: HttpRequest, survey: Survey) -> bool:
    """The same hourly limits as the complaint form: per connection, then per survey against a wider flood.

    A ward's kiosk or guest Wi-Fi puts many patients behind one address, so the per-address limit is generous;
    it is there to stop a script, not a busy clinic.
    """
    hour = timedelta(hours=1)
    if not allow(
        "survey-ip", client_key(request), limit=settings.LIAISON_PUBLIC_SURVEY_ANSWERS_PER_ADDRESS, window=hour
    ):
        return False
    return allow(
        "survey", key_for(survey.public_key), limit=settings.LIAISON_PUBLIC_SURVEY_ANSWERS_PER_SURVEY, window=hour
    )


@login_not_required
def answer_thanks(request: HttpRequest, key: str) -> HttpResponse:
    survey = get_object_or_404(Survey.objects.select_related("site"), public_key=key)
    return render(request, "feedback/answer_thanks.html", {"survey": survey, "site": survey.site})
