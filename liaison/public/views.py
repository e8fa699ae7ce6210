"""The public front door: no login, phone-first, in the visitor's language."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache

from liaison.lib.ratelimit import allow, client_key
from liaison.org.models import Department, Site
from liaison.public import services
from liaison.public.forms import (
    PUBLIC_MAX_FILE_MB,
    PUBLIC_MAX_FILES,
    CheckForm,
    ContactForm,
    OutcomeForm,
    ProgressForm,
    WhatForm,
    WhoForm,
)

STEPS = {
    "complaint": ["what", "who", "outcome", "contact", "check"],
    "compliment": ["what", "who", "contact", "check"],
    "question": ["what", "contact", "check"],
}
FORMS: dict[str, type[forms.Form]] = {"what": WhatForm, "who": WhoForm, "outcome": OutcomeForm, "contact": ContactForm}


def _site(code: str) -> Site:
    return get_object_or_404(Site, code=code, is_active=True)


def _session_key(site: Site, kind: str) -> str:
    return f"public-form:{site.code}:{kind}"


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, date):
            out[key] = value.isoformat()
        elif isinstance(value, Department):
            out[key] = value.pk
        else:
            out[key] = value
    return out


@login_not_required
def home(request: HttpRequest, site_code: str) -> HttpResponse:
    return render(request, "public/home.html", {"site": _site(site_code)})


@login_not_required
@never_cache
def form_step(request: HttpRequest, site_code: str, kind: str) -> HttpResponse:
    site = _site(site_code)
    if kind not in STEPS:
        raise Http404
    steps = STEPS[kind]
    step = request.GET.get("step", steps[0])
    if step not in steps:
        raise Http404
    store: dict[str, Any] = request.session.get(_session_key(site, kind), {})
    if step == "check":
        return _check_step(request, site, kind, steps, store)
    form_class = FORMS[step]
    extra: dict[str, Any] = {"site": site, "kind": kind} if step == "what" else {}
    initial = dict(store.get(step, {}))
    if step == "what" and "department" in request.GET and not initial:
        initial["department"] = request.GET.get("department")
    if step == "contact" and "language" not in initial:
        initial["language"] = (get_language() or "en")[:2]
    form = form_class(request.POST or None, initial=initial, **extra)
    if request.method == "POST" and form.is_valid():
        store[step] = _jsonable(form.cleaned_data)
        request.session[_session_key(site, kind)] = store
        following = steps[steps.index(step) + 1]
        return redirect(f"{reverse('public:form', args=[site.code, kind])}?step={following}")
    return render(
        request,
        "public/form_step.html",
        {
            "site": site,
            "kind": kind,
            "step": step,
            "form": form,
            "number": steps.index(step) + 1,
            "total": len(steps),
            "back": steps[steps.index(step) - 1] if steps.index(step) else None,
        },
    )


def _check_step(request: HttpRequest, site: Site, kind: str, steps: list[str], store: dict[str, Any]) -> HttpResponse:
    missing = [s for s in steps[:-1] if s not in store]
    if missing:
        return redirect(f"{reverse('public:form', args=[site.code, kind])}?step={missing[0]}")
    form = CheckForm(
        request.POST if request.method == "POST" else None, request.FILES if request.method == "POST" else None
    )
    error = ""
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data.get("website"):
            # A robot filled the hidden field: thank it and keep nothing.
            request.session.pop(_session_key(site, kind), None)
            return render(request, "public/thanks.html", {"site": site, "robot": True})
        try:
            services.submission_allowed(site, client_key(request))
        except services.FloodError:
            return render(request, "public/busy.html", {"site": site}, status=429)
        submitted = services.public_submit(
            site=site, kind=kind, answers=store, files=form.files_list(), language=(get_language() or "en")[:2]
        )
        request.session.pop(_session_key(site, kind), None)
        request.session["public-submitted"] = {
            "reference": submitted.case.reference,
            "secret": submitted.secret,
            "refused": submitted.files_refused,
            "kind": kind,
        }
        return redirect("public:thanks", site.code)
    department = Department.objects.filter(pk=store.get("what", {}).get("department"), site=site).first()
    return render(
        request,
        "public/check.html",
        {
            "site": site,
            "kind": kind,
            "answers": store,
            "department": department,
            "form": form,
            "error": error,
            "max_mb": PUBLIC_MAX_FILE_MB,
            "max_files": PUBLIC_MAX_FILES,
            "number": len(steps),
            "total": len(steps),
        },
    )


@login_not_required
@never_cache
def thanks(request: HttpRequest, site_code: str) -> HttpResponse:
    site = _site(site_code)
    submitted = request.session.pop("public-submitted", None)
    if not submitted:
        return redirect("public:home", site.code)
    return render(request, "public/thanks.html", {"site": site, "submitted": submitted})


@login_not_required
@never_cache
def progress(request: HttpRequest, site_code: str) -> HttpResponse:
    """Reference and code are posted, never put in the address."""
    site = _site(site_code)
    form = ProgressForm(request.POST or None)
    result = None
    not_found = False
    if request.method == "POST" and form.is_valid():
        if not allow("progress", client_key(request), limit=_progress_limit(), window=_hour()):
            return render(request, "public/busy.html", {"site": site, "progress": True}, status=429)
        result = services.progress_lookup(
            reference=form.cleaned_data["reference"], secret=form.cleaned_data["secret"], site=site
        )
        not_found = result is None
    return render(
        request, "public/progress.html", {"site": site, "form": form, "result": result, "not_found": not_found}
    )


@login_not_required
@never_cache
def progress_link(request: HttpRequest, secret: str) -> HttpResponse:
    """The link in the confirmation email (the code alone, without the reference)."""
    if not allow("progress", client_key(request), limit=_progress_limit(), window=_hour()):
        return render(request, "public/busy.html", {"site": None, "progress": True}, status=429)
    result = services.progress_lookup(reference="", secret=secret)
    if result is None:
        return render(
            request, "public/progress.html", {"site": None, "form": None, "result": None, "not_found": True}, status=404
        )
    response = render(
        request, "public/progress.html", {"site": result.site, "form": None, "result": result, "not_found": False}
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


def _progress_limit() -> int:
    from django.conf import settings

    return int(settings.LIAISON_PUBLIC_PROGRESS_CHECKS_PER_ADDRESS)


def _hour() -> Any:
    from datetime import timedelta

    return timedelta(hours=1)
