"""The complainant's survey on how their complaint was handled: no login, phone first, in their language.

The code in the emailed link is swapped at once for the session and the visitor sent on to ``/how-we-did/``, an
address without it: the code is in one request line only, that request always answers with a redirect (so not
even Django's warnings for 4xx answers name its path), and the survey page sends no referrer. Someone with a
printed letter types the code into a form that posts it. The survey form carries the code in a hidden field, so
answers written over more than the session's idle time still arrive. Lookups share the per-address limit of
progress checks.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from liaison.feedback import handling
from liaison.feedback.models import HandlingExtent, HandlingInvitation, HandlingSatisfaction
from liaison.lib.ratelimit import allow, client_key
from liaison.org.models import Site
from liaison.public.forms import PublicTextField

SESSION_KEY = "handling-survey"  # the invitation's pk, once a code has opened it
PROBLEM_KEY = "handling-survey-problem"  # why the last code opened nothing: "unknown" or "busy"
DONE_KEY = "handling-survey-done"  # for the thank-you page: the site and the language


class HandlingSurveyForm(forms.Form):
    overall = forms.TypedChoiceField(
        label=handling.QUESTIONS["overall"],
        choices=HandlingSatisfaction.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how satisfied you are."),
            "invalid_choice": _("Choose one of the answers shown."),
        },
    )
    kept_informed = forms.ChoiceField(
        label=handling.QUESTIONS["kept_informed"],
        choices=HandlingExtent.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose yes, partly or no."),
            "invalid_choice": _("Choose one of the answers shown."),
        },
    )
    addressed = forms.ChoiceField(
        label=handling.QUESTIONS["addressed"],
        choices=HandlingExtent.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose yes, partly or no."),
            "invalid_choice": _("Choose one of the answers shown."),
        },
    )
    comment = PublicTextField(
        label=handling.QUESTIONS["comment"],
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Please leave out names and medical details. Up to 2,000 characters."),
        error_messages={
            "max_length": _("Please keep your comment to 2,000 characters or fewer (it has %(show_value)d).")
        },
    )


class CodeForm(forms.Form):
    code = PublicTextField(
        max_length=40,
        label=_("Your survey code"),
        help_text=_("It is in the letter with our response, for example ABCDE-FGHJK-LMNPQ-RSTUV."),
    )


def _lookup_allowed(request: HttpRequest) -> bool:
    return allow(
        "handling-code",
        client_key(request),
        limit=int(settings.LIAISON_PUBLIC_PROGRESS_CHECKS_PER_ADDRESS),
        window=timedelta(hours=1),
    )


def _open(request: HttpRequest, code: str) -> None:
    """Put the invitation the code belongs to in the session, or say in the session why none was opened."""
    request.session.pop(SESSION_KEY, None)
    request.session.pop(PROBLEM_KEY, None)
    if not _lookup_allowed(request):
        request.session[PROBLEM_KEY] = "busy"
        return
    invitation = handling.invitation_for_code(code)
    if invitation is None:
        request.session[PROBLEM_KEY] = "unknown"
    else:
        request.session[SESSION_KEY] = invitation.pk


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_not_required
@never_cache
def handling_link(request: HttpRequest, code: str) -> HttpResponse:
    """The link in the email or letter. Always a redirect: see the module's docstring."""
    _open(request, code)
    return _private(redirect("public:handling"))


def _language(request: HttpRequest, invitation: HandlingInvitation | None) -> Any:
    """The invitation's language, unless the visitor chose one with the language buttons (their cookie)."""
    if invitation is None or settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return nullcontext()
    return translation.override(invitation.language)


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Content-Language"] = translation.get_language() or settings.LANGUAGE_CODE
    return _private(response)


@login_not_required
@never_cache
def handling_survey(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("form") == "survey":
        invitation = _posted_invitation(request)
        if invitation is None:
            return _code_page(request, bound=False)
    else:
        invitation = _session_invitation(request)
        if invitation is None:
            return _code_page(request, bound=request.method == "POST")
    with _language(request, invitation):
        return _survey_page(request, invitation)


def _session_invitation(request: HttpRequest) -> HandlingInvitation | None:
    pk = request.session.get(SESSION_KEY)
    if not isinstance(pk, int):
        return None
    return HandlingInvitation.objects.select_related("site", "case").filter(pk=pk).first()


def _posted_invitation(request: HttpRequest) -> HandlingInvitation | None:
    """The survey form carries its code (in the body, never the address), so the answers of someone who took
    longer than the session's idle time, or who has two surveys open in two tabs, reach the right invitation."""
    current = _session_invitation(request)
    posted = handling.normalise_code(request.POST.get("code", ""))
    if current is not None and (posted is None or posted == handling.invitation_code(current)):
        return current
    if posted is None:
        return None
    _open(request, posted)
    return _session_invitation(request)


def _code_page(request: HttpRequest, *, bound: bool) -> HttpResponse:
    """No survey opened in this session: ask for the code from the letter."""
    problem = request.session.pop(PROBLEM_KEY, None)
    form = CodeForm(request.POST if bound else None)
    if bound and form.is_valid():
        _open(request, form.cleaned_data["code"])
        return _private(redirect("public:handling"))
    # An unknown code is a mistake in a form, like a typo: the form again with the error (200), not a missing page.
    status = 429 if problem == "busy" else 200
    return _render(request, "public/handling_code.html", {"site": None, "form": form, "problem": problem}, status)


def _survey_page(request: HttpRequest, invitation: HandlingInvitation) -> HttpResponse:
    site = invitation.site
    context: dict[str, Any] = {"site": site, "reference": invitation.case.reference if invitation.case else ""}
    state = handling.invitation_state(invitation)
    if state != "open":
        return _render(request, f"public/handling_{state}.html", context, status=410 if state == "expired" else 200)
    form = HandlingSurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            handling.handling_answer_submit(
                invitation=invitation,
                overall=data["overall"],
                kept_informed=data["kept_informed"],
                addressed=data["addressed"],
                comment=data["comment"],
                language=translation.get_language() or invitation.language,
            )
        except handling.AlreadyAnswered:
            return _render(request, "public/handling_answered.html", context)
        except handling.Expired:
            return _render(request, "public/handling_expired.html", context, status=410)
        request.session.pop(SESSION_KEY, None)
        request.session[DONE_KEY] = {"site": site.pk, "language": invitation.language}
        return _private(redirect("public:handling-thanks"))
    context["form"] = form
    context["code"] = handling.format_code(handling.invitation_code(invitation))
    context["until"] = timezone.localdate(invitation.expires_at, site.zone)
    return _render(request, "public/handling_survey.html", context)


@login_not_required
@never_cache
def handling_thanks(request: HttpRequest) -> HttpResponse:
    done = request.session.get(DONE_KEY)
    if not isinstance(done, dict):
        return redirect("public:handling")
    site_pk = done.get("site")
    site = Site.objects.filter(pk=site_pk).first() if isinstance(site_pk, int) else None
    language = done.get("language") if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES else None
    with translation.override(language) if isinstance(language, str) else nullcontext():
        return _render(request, "public/handling_thanks.html", {"site": site})
