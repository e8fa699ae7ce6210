from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can
from liaison.audit.services import audit_record, audit_view
from liaison.cases import selectors as case_selectors
from liaison.correspondence import services
from liaison.correspondence.content import letter_kinds_for, missing_elements, response_checklist
from liaison.correspondence.forms import ChecklistForm, DraftForm, EditForm, ReturnForm, TemplateForm
from liaison.correspondence.models import Letter, LetterStatus, LetterTemplate
from liaison.lib.downloads import stored_file_response
from liaison.lib.errors import ApplicationError


def _worker(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not case_selectors.can_see_identity(user):
        raise Http404
    return user


def _letter(user: User, pk: int) -> Letter:
    return get_object_or_404(
        Letter.objects.select_related("case", "case__site", "template"),
        pk=pk,
        case__in=case_selectors.cases_for_user(user=user),
    )


def letter_list(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    letters = Letter.objects.filter(case__in=case_selectors.cases_for_user(user=user)).select_related(
        "case", "drafted_by"
    )
    return render(
        request,
        "correspondence/list.html",
        {
            "awaiting": letters.filter(status=LetterStatus.AWAITING_SIGNOFF),
            "drafts": letters.filter(status=LetterStatus.DRAFT).filter(Q(drafted_by=user) | Q(case__owner=user)),
            "signed": letters.filter(status=LetterStatus.SIGNED),
            "can_sign": can(user, Cap.LETTER_SIGN),
        },
    )


def letter_new(request: HttpRequest, reference: str) -> HttpResponse:
    user = _worker(request)
    case = case_selectors.get_case_for_user(user=user, reference=reference)
    form = DraftForm(request.POST or None, kinds=letter_kinds_for(case))
    if request.method == "POST" and form.is_valid():
        try:
            letter = services.letter_draft(
                acting_user=user,
                case=case,
                kind=form.cleaned_data["kind"],
                language=form.cleaned_data["language"] or None,
                large_print=form.cleaned_data["large_print"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Letter drafted from the template. Check and edit it, then send it for sign-off.")
            return redirect("correspondence:detail", pk=letter.pk)
    return render(request, "correspondence/new.html", {"case": case, "form": form})


def letter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _worker(request)
    letter = _letter(user, pk)
    audit_view(request=request, obj=letter.case, site=letter.case.site, what=f"letter {letter.pk}")
    checklist = response_checklist(letter)
    return render(
        request,
        "correspondence/detail.html",
        {
            "letter": letter,
            "case": letter.case,
            "missing": missing_elements(letter)
            if letter.status in (LetterStatus.DRAFT, LetterStatus.AWAITING_SIGNOFF)
            else [],
            "can_sign": can(user, Cap.LETTER_SIGN, letter.case.site_id),
            "return_form": ReturnForm(),
            "checklist": checklist,
            "checklist_form": ChecklistForm(items=checklist, initial={"version": letter.version})
            if checklist and letter.is_editable
            else None,
        },
    )


def letter_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _worker(request)
    letter = _letter(user, pk)
    if not letter.is_editable:
        messages.error(request, "Only a draft can be edited.")
        return redirect("correspondence:detail", pk=pk)
    initial = {
        "version": letter.version,
        "subject": letter.subject,
        "body_html": letter.body_html,
        "large_print": letter.large_print,
    }
    form = EditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.letter_edit(
                acting_user=user,
                letter=letter,
                subject=form.cleaned_data["subject"],
                body_html=form.cleaned_data["body_html"],
                large_print=form.cleaned_data["large_print"],
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Letter saved.")
            return redirect("correspondence:detail", pk=pk)
    return render(request, "correspondence/edit.html", {"letter": letter, "case": letter.case, "form": form})


@require_POST
def letter_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    user = _worker(request)
    letter = _letter(user, pk)
    try:
        if step == "submit":
            services.letter_submit(acting_user=user, letter=letter)
            messages.success(request, "Sent to a manager for sign-off.")
        elif step == "sign":
            services.letter_sign(acting_user=user, letter=letter)
            messages.success(request, "Signed. The PDF is stored and will not change.")
        elif step == "return":
            form = ReturnForm(request.POST)
            services.letter_return(acting_user=user, letter=letter, reason=form.data.get("reason", ""))
            messages.success(request, "Returned to draft.")
        elif step == "confirm":
            checklist = ChecklistForm(request.POST, items=response_checklist(letter))
            if not checklist.is_valid():
                raise ApplicationError("Choose from the checklist as shown; reload the page and try again.")
            services.letter_confirm_elements(
                acting_user=user,
                letter=letter,
                keys=checklist.cleaned_data["confirmed"],
                expected_version=checklist.cleaned_data["version"],
            )
            messages.success(request, "Checklist saved.")
        elif step in ("email", "post"):
            services.letter_send(acting_user=user, letter=letter, by=step)
            messages.success(
                request,
                "Emailed to the complainant with the PDF attached."
                if step == "email"
                else "Recorded as printed and posted.",
            )
        else:
            raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("correspondence:detail", pk=pk)


def letter_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = _worker(request)
    letter = _letter(user, pk)
    if not letter.pdf:
        raise Http404
    audit_record(action="letter.download", actor=user, obj=letter, site=letter.case.site)
    return stored_file_response(
        request,
        letter.pdf,
        filename=f"{letter.case.reference}-{letter.kind}.pdf",
        content_type="application/pdf",
        what=f"letter {letter.pk} of case {letter.case.reference}",
    )


def template_list(request: HttpRequest) -> HttpResponse:
    user = _worker(request)
    if not can(user, Cap.TEMPLATE_EDIT):
        raise Http404
    latest: dict[tuple[str, str, str], LetterTemplate] = {}
    for template in LetterTemplate.objects.order_by("pack", "kind", "language", "-version"):
        latest.setdefault((template.pack, template.kind, template.language), template)
    return render(request, "correspondence/templates.html", {"templates": list(latest.values())})


def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _worker(request)
    if not can(user, Cap.TEMPLATE_EDIT):
        raise Http404
    template = get_object_or_404(LetterTemplate, pk=pk)
    form = TemplateForm(request.POST or None, initial={"subject": template.subject, "body": template.body})
    if request.method == "POST" and form.is_valid():
        try:
            new = services.template_update(acting_user=user, template=template, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, f"Saved as version {new.version}. Letters already drafted keep the version they used."
            )
            return redirect("correspondence:templates")
    history = LetterTemplate.objects.filter(pack=template.pack, kind=template.kind, language=template.language)
    return render(
        request, "correspondence/template_edit.html", {"template": template, "form": form, "history": history}
    )
