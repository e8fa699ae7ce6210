"""Letters over the API: a case's letters, one letter's text, and the PDF as sent. For the office only, as on
the pages (letters name the patient)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from ninja import Router, Schema

from liaison.accounts.api_auth import answers, caller, scoped
from liaison.accounts.models import ApiScope, User
from liaison.audit.services import audit_record, audit_view
from liaison.cases import selectors as case_selectors
from liaison.correspondence.models import Letter
from liaison.lib.downloads import stored_file_response

router = Router(tags=["letters"])

MOST_LETTERS = 200  # a case with more letters than this is not one a person could follow either


class LetterOut(Schema):
    id: int
    case_reference: str
    kind: str
    language: str
    large_print: bool
    subject: str
    status: str
    drafted_at: datetime
    signed_at: datetime | None
    sent_at: datetime | None
    has_pdf: bool  # the PDF is fetched from /letters/{id}/pdf


class LetterTextOut(LetterOut):
    body_html: str  # the letter's text as written, sanitised HTML


def _office(request: HttpRequest) -> User:
    user = caller(request)
    if not case_selectors.can_see_identity(user):
        raise Http404
    return user


def _letter(user: User, pk: int) -> Letter:
    try:
        return Letter.objects.select_related("case", "case__site").get(
            pk=pk, case__in=case_selectors.cases_for_user(user=user)
        )
    except Letter.DoesNotExist:
        raise Http404 from None


def _out(letter: Letter) -> dict[str, Any]:
    return {
        "id": letter.pk,
        "case_reference": letter.case.reference,
        "kind": letter.kind,
        "language": letter.language,
        "large_print": letter.large_print,
        "subject": letter.subject,
        "status": letter.status,
        "drafted_at": letter.drafted_at,
        "signed_at": letter.signed_at,
        "sent_at": letter.sent_at,
        "has_pdf": bool(letter.pdf),
    }


@router.get("/cases/{reference}/letters", auth=scoped(ApiScope.READ_CASES), response=answers(list[LetterOut]))
def case_letters(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    """The case's letters, oldest first."""
    user = _office(request)
    case = case_selectors.get_case_for_user(user=user, reference=reference)
    letters = Letter.objects.filter(case=case).select_related("case").order_by("pk")[:MOST_LETTERS]
    return [_out(letter) for letter in letters]


@router.get("/letters/{letter_id}", auth=scoped(ApiScope.READ_CASES), response=answers(LetterTextOut))
def get_letter(request: HttpRequest, letter_id: int) -> dict[str, Any]:
    user = _office(request)
    letter = _letter(user, letter_id)
    audit_view(request=request, obj=letter, site=letter.case.site, what="letter (API)")
    return {**_out(letter), "body_html": letter.body_html}


@router.get(
    "/letters/{letter_id}/pdf",
    auth=scoped(ApiScope.READ_CASES),
    response=answers(None),
    openapi_extra={"responses": {200: {"description": "The letter as a PDF", "content": {"application/pdf": {}}}}},
)
def letter_pdf(request: HttpRequest, letter_id: int) -> HttpResponseBase:
    """The letter's PDF, as signed and sent (404 while it has none)."""
    user = _office(request)
    letter = _letter(user, letter_id)
    if not letter.pdf or not letter.pdf.storage.exists(letter.pdf.name):
        raise Http404  # none yet, or storage has lost it (the page says which, and logs it)
    audit_record(action="letter.download", actor=user, obj=letter, site=letter.case.site, details={"via": "api"})
    return stored_file_response(
        request,
        letter.pdf,
        filename=f"{letter.case.reference}-{letter.kind}.pdf",
        content_type="application/pdf",
        what=f"letter {letter.pk} of case {letter.case.reference}",
    )
