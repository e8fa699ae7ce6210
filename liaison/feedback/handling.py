"""Complainant satisfaction at closure: how the complainant felt their complaint was handled.

When a complaint or grievance closes, the worker's sweep (:func:`handling_invitations_sweep`, registered in
``FeedbackConfig.ready``) invites its complainant by email, once, in their language, to a three-question
survey on the public pages. A complainant with no email address gets the same link in the final letter, through
:func:`handling_letter_values` (registered with correspondence's letter values in FeedbackConfig.ready).

Anonymity. The answers feed one measure, :func:`handling_satisfaction`, which returns totals only. An answer
keeps a link to its invitation (and through it to the case) so that a case is answered once, a late answer
counts in the period its case closed, and a deleted case leaves its answer counted. No page for staff lists an
answer, with or without its case, and the selector hands out no per-case rows: the officer who handled a case
cannot see what its complainant said. Drill-downs of this measure may list the invited cases, never the ones that
answered or were satisfied.

The code in the link. Twenty characters from an alphabet without look-alikes (100 bits), derived from a random
salt and the server's secret key, so a letter can print it again; only its SHA-256 is stored to find the
invitation. The public page swaps it for the session at once, so it appears in one request line only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from liaison.audit.services import audit_record
from liaison.cases.models import Case, CaseType, Status
from liaison.feedback.models import HandlingAnswer, HandlingExtent, HandlingInvitation, HandlingSatisfaction
from liaison.lib.emails import send_templated, site_url
from liaison.lib.errors import ApplicationError
from liaison.reminders.services import SweepReport

logger = logging.getLogger(__name__)

SURVEYED_TYPES = (CaseType.COMPLAINT, CaseType.GRIEVANCE)
# How long a link works after the case closes (or after it was printed in a letter, if that is later).
VALID_FOR = timedelta(days=60)
# Only cases closed this recently are invited: switching the survey on must not email every complainant of the
# past years, and a survey weeks after the event would measure memory rather than handling.
LOOKBACK = timedelta(days=30)
# "Satisfied" is an answer of 4 or 5 out of 5 on the overall question.
SATISFIED_FROM = HandlingSatisfaction.SATISFIED
# Totals under this many answers would let a small office guess who said what: the caller shows "<5".
FEW_ANSWERS = 5

QUESTIONS: dict[str, Any] = {
    "overall": _("Overall, how satisfied are you with the way we handled your complaint?"),
    "kept_informed": _("Did we keep you informed while we looked into your complaint?"),
    "addressed": _("Did our response deal with all the points you raised?"),
    "comment": _("Is there anything else you would like to tell us about how we handled your complaint?"),
}

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on paper
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_ALPHABET = str.maketrans(_BASE32, _ALPHABET)
TOKEN_LENGTH = 20


# -- The code -------------------------------------------------------------------------------------------------


def _derive(salt: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"liaison-handling-survey:{salt}".encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()).decode().translate(_TO_ALPHABET)[:TOKEN_LENGTH]


def _hash(code: str) -> str:
    return hashlib.sha256(f"liaison-handling:{code}".encode()).hexdigest()


def normalise_code(text: str) -> str | None:
    """The code as typed (any case, with or without dashes and spaces), or None if it cannot be one."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != TOKEN_LENGTH or any(char not in _ALPHABET for char in code):
        return None
    return code


def format_code(code: str) -> str:
    """ABCDE-FGHJK-LMNPQ-RSTUV: easier to read from a letter and to type."""
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))


def invitation_code(invitation: HandlingInvitation) -> str:
    """The invitation's code, made again from its salt. After a change of secret key the old code no longer
    matches: a new one is recorded (links sent before then stop working, like every other signed link)."""
    code = _derive(invitation.salt)
    if _hash(code) != invitation.token_hash:
        invitation.token_hash = _hash(code)
        invitation.save(update_fields=["token_hash"])
    return code


def invitation_link(code: str) -> str:
    return site_url(reverse("public:handling-link", args=[format_code(code)]))


def invitation_for_code(text: str) -> HandlingInvitation | None:
    """The invitation a code (from a link or typed in) belongs to; None for anything else, without a query when
    the text cannot be a code."""
    code = normalise_code(text)
    if code is None:
        return None
    return HandlingInvitation.objects.select_related("site").filter(token_hash=_hash(code)).first()


# -- Who is asked, and in which language -------------------------------------------------------------------------


def complainant_email(case: Case) -> str:
    return (case.patient_email if case.complainant_is_patient else case.complainant_email).strip()


def _complainant_name(case: Case) -> str:
    return (case.patient_name if case.complainant_is_patient else case.complainant_name).strip()


def survey_language(preferred: str) -> str:
    """The case's preferred language where we have the email and the pages in it; English otherwise."""
    code = (preferred or "").replace("_", "-").split("-")[0].lower()
    if code not in {c for c, _name in settings.LANGUAGES}:
        return "en"
    try:
        get_template(f"email/handling_invitation_{code}_body.txt")
    except TemplateDoesNotExist:
        return "en"
    return code


def _site_values(case: Case) -> dict[str, str]:
    site = case.site
    return {
        "name": site.name,
        "contact_name": site.complaints_contact_name,
        "contact_phone": site.complaints_contact_phone,
        "contact_email": site.complaints_contact_email,
    }


def _new_invitation(case: Case, *, language: str, now: datetime) -> HandlingInvitation:
    salt = secrets.token_hex(16)
    return HandlingInvitation.objects.create(
        case=case,
        site_id=case.site_id,
        case_type=case.case_type,
        language=language,
        salt=salt,
        token_hash=_hash(_derive(salt)),
        expires_at=now + VALID_FOR,
    )


def _locked_invitation(case: Case, *, language: str, now: datetime) -> HandlingInvitation:
    """The case's invitation, locked until the transaction ends; created if there is none yet."""
    found = HandlingInvitation.objects.select_for_update().filter(case=case).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return _new_invitation(case, language=language, now=now)
    except IntegrityError:
        # Another worker created it a moment ago: wait for its transaction, then carry on with its row.
        return HandlingInvitation.objects.select_for_update().get(case=case)


def _record_closure(invitation: HandlingInvitation, case: Case) -> None:
    """The first closure fixes the period the answer counts in; a reopened case is not invited again."""
    if invitation.closed_on is not None or case.closed_at is None:
        return
    invitation.closed_on = timezone.localdate(case.closed_at, case.site.zone)
    invitation.expires_at = max(invitation.expires_at, case.closed_at + VALID_FOR)
    invitation.save(update_fields=["closed_on", "expires_at"])


# -- The sweep: invite by email, once -------------------------------------------------------------------------


def _has_address() -> Q:
    return (Q(complainant_is_patient=True) & ~Q(patient_email="")) | (
        Q(complainant_is_patient=False) & ~Q(complainant_email="")
    )


def cases_to_invite(now: datetime) -> QuerySet[Case]:
    """Closed complaints and grievances (not duplicates merged away) closed within ``LOOKBACK``, with either an
    email address and no email sent yet, or a letter's invitation that does not know the closure yet."""
    return (
        Case.objects.filter(
            case_type__in=SURVEYED_TYPES,
            status=Status.CLOSED,
            closed_at__isnull=False,
            closed_at__gte=now - LOOKBACK,
            closed_at__lte=now,
            merged_into__isnull=True,
        )
        .filter(
            (_has_address() & (Q(handling_invitation__isnull=True) | Q(handling_invitation__emailed_at__isnull=True)))
            | Q(handling_invitation__isnull=False, handling_invitation__closed_on__isnull=True)
        )
        .select_related("site")
        .order_by("pk")
    )


def handling_invite(*, case: Case, now: datetime, report: SweepReport) -> None:
    """Invite one closed case's complainant. Sends in the transaction that records it: if the mail server
    refuses, nothing is kept and the next sweep tries again; a second sweep finds ``emailed_at`` and sends
    nothing (the invitation row is locked, so two workers cannot both send)."""
    with transaction.atomic():
        invitation = _locked_invitation(case, language=survey_language(case.preferred_language), now=now)
        _record_closure(invitation, case)
        address = complainant_email(case)
        if not address:
            return
        if invitation.emailed_at is not None:
            report.already_sent += 1
            return
        code = invitation_code(invitation)
        context = {
            "site": _site_values(case),
            "name": _complainant_name(case),
            "reference": case.reference,
            "url": invitation_link(code),
            "code": format_code(code),
            "entry_url": site_url(reverse("public:handling")),
            "until": timezone.localdate(invitation.expires_at, case.site.zone),
        }
        invitation.emailed_at = now
        invitation.save(update_fields=["emailed_at"])
        audit_record(
            action="feedback.handling_invite",
            obj=invitation,
            site=case.site,
            details={"case": case.reference, "by": "email", "language": invitation.language},
        )
        with translation.override(invitation.language):  # month names in the date
            send_templated(f"handling_invitation_{invitation.language}", context, to=[address])
    report.sent += 1
    logger.info("handling survey invitation sent invitation=%s", invitation.pk)


def handling_invitations_sweep(now: datetime, report: SweepReport) -> None:
    """The sweep step: every case :func:`cases_to_invite` finds. One refusal by the mail server skips that case
    until the next sweep, not the others."""
    for case in cases_to_invite(now):
        try:
            handling_invite(case=case, now=now, report=report)
        except (smtplib.SMTPException, OSError):
            logger.warning("handling survey invitation not sent case=%s; the next sweep tries again", case.pk)


# -- The final letter, for complainants without an email address ---------------------------------------------


def handling_letter_values(case: Case, kind: str, *, language: str = "") -> dict[str, Any]:
    """Letter variables for the survey: ``satisfaction_survey`` with ``url``, ``address`` (the page to type the
    code into), ``code`` and ``until``; None when the letter should not carry it.

    Only the final response to a complaint or grievance whose complainant has no email address carries it (the
    others are emailed at closure). Making the letter creates the invitation, once; making it again prints the
    same code. Correspondence may not import feedback, so it would call this through a hook of its own:
    ``register_letter_values(fn)`` in ``correspondence/content.py``, whose ``letter_context`` merges what each
    registered function returns, registered here in ``FeedbackConfig.ready``.
    """
    if (
        kind != "final_response"
        or case.case_type not in SURVEYED_TYPES
        or case.merged_into_id is not None
        or complainant_email(case)
    ):
        return {"satisfaction_survey": None}
    now = timezone.now()
    with transaction.atomic():
        invitation = _locked_invitation(case, language=survey_language(language or case.preferred_language), now=now)
        if invitation.letter_link_at is None:
            invitation.letter_link_at = now
            invitation.save(update_fields=["letter_link_at"])
            audit_record(
                action="feedback.handling_invite",
                obj=invitation,
                site=case.site,
                details={"case": case.reference, "by": "letter", "language": invitation.language},
            )
        _record_closure(invitation, case)
        code = invitation_code(invitation)
    return {
        "satisfaction_survey": {
            "url": invitation_link(code),
            "address": site_url(reverse("public:handling")),
            "code": format_code(code),
            "until": timezone.localdate(invitation.expires_at, case.site.zone),
        }
    }


# Made-up values for correspondence's sample_letter_context, to try a letter template on.
SAMPLE_LETTER_VALUES: dict[str, Any] = {
    "satisfaction_survey": {
        "url": "https://hospital.example/how-we-did/ABCDE-FGHJK-LMNPQ-RSTUV/",
        "address": "https://hospital.example/how-we-did/",
        "code": "ABCDE-FGHJK-LMNPQ-RSTUV",
        "until": date(2026, 3, 16),
    }
}


# -- Answering -------------------------------------------------------------------------------------------------


class AlreadyAnswered(ApplicationError):
    """This complaint's survey was answered before."""


class Expired(ApplicationError):
    """The link is past its date."""


def invitation_state(invitation: HandlingInvitation, *, now: datetime | None = None) -> str:
    """ "answered", "expired" or "open"."""
    if HandlingAnswer.objects.filter(invitation=invitation).exists():
        return "answered"
    if invitation.expires_at <= (now or timezone.now()):
        return "expired"
    return "open"


def handling_answer_submit(
    *, invitation: HandlingInvitation, overall: int, kept_informed: str, addressed: str, comment: str, language: str
) -> HandlingAnswer:
    """Record the complainant's answers, once. The audit row says that the invitation was answered, not how."""
    with transaction.atomic():
        locked = HandlingInvitation.objects.select_for_update(of=("self",)).select_related("site").get(pk=invitation.pk)
        state = invitation_state(locked)
        if state == "answered":
            raise AlreadyAnswered("already_answered")
        if state == "expired":
            raise Expired("expired")
        answer = HandlingAnswer(
            invitation=locked,
            overall=overall,
            kept_informed=kept_informed,
            addressed=addressed,
            comment=comment[:2000],
            language=language[:8],
        )
        try:
            answer.full_clean()
        except ValidationError as exc:
            raise ApplicationError("These answers are not among the ones offered.") from exc
        try:
            with transaction.atomic():
                answer.save()
        except IntegrityError as exc:  # the one-answer constraint, should a second answer slip past the lock
            raise AlreadyAnswered("already_answered") from exc
        audit_record(action="public.handling_answer", obj=locked, site=locked.site)
    return answer


# -- The measure -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Question:
    key: str
    values: list[Any]


_DISTRIBUTED = [
    _Question("overall", [int(v) for v in HandlingSatisfaction.values]),
    _Question("kept_informed", list(HandlingExtent.values)),
    _Question("addressed", list(HandlingExtent.values)),
]

DEFINITION = (
    "Complaints and grievances closed in the period whose complainant was invited (by email at closure, or by a "
    "link in the final letter) to say how the complaint was handled, and the share of those who answered who "
    "were satisfied: 4 (satisfied) or 5 (very satisfied) on the 5-point overall question. A case belongs to the "
    "day it first closed, in its site's time zone; a reopened case is not invited again and keeps that day. "
    "Duplicates merged into another case are not invited."
)


def handling_invited_cases(cases: QuerySet[Case], start: date, end: date) -> QuerySet[Case]:
    """The cases of ``cases`` counted as invited in the period: the measure's denominator for a drill-down.
    There is deliberately no such list for the answered or satisfied cases."""
    return cases.filter(handling_invitation__closed_on__gte=start, handling_invitation__closed_on__lte=end)


def handling_satisfaction(site_ids: Iterable[int], start: date, end: date) -> dict[str, Any]:
    """Complainant satisfaction with handling, for complaints closed from ``start`` to ``end`` (both days
    included, each site's own calendar; see DEFINITION).

    Returns ``invited``, ``answered``, ``satisfied``, ``percent_satisfied`` (of those who answered, one decimal;
    None with no answers), ``response_rate`` (answered of invited, %), ``few`` (fewer than FEW_ANSWERS answers:
    show "<5", not the split), and ``questions``: for each question its text and a count per answer, every
    answer listed even at 0 (``overall`` from 5 to 1; the others yes, partly, no). Two queries.
    """
    if end < start:
        raise ApplicationError("The period must end on or after its first day.")
    invitations = HandlingInvitation.objects.filter(
        site_id__in=list(site_ids), closed_on__gte=start, closed_on__lte=end
    )
    invited = invitations.count()
    answers = HandlingAnswer.objects.filter(invitation__in=invitations)
    counts: dict[str, dict[Any, int]] = {q.key: dict.fromkeys(q.values, 0) for q in _DISTRIBUTED}
    rows = answers.values("overall", "kept_informed", "addressed").annotate(n=Count("pk"))
    for row in rows:
        for question in _DISTRIBUTED:
            counts[question.key][row[question.key]] += row["n"]
    answered = sum(counts["overall"].values())
    satisfied = sum(n for value, n in counts["overall"].items() if value >= SATISFIED_FROM)
    return {
        "definition": DEFINITION,
        "invited": invited,
        "answered": answered,
        "satisfied": satisfied,
        "percent_satisfied": _percent(satisfied, answered),
        "response_rate": _percent(answered, invited),
        "few": answered < FEW_ANSWERS,
        "questions": {q.key: {"text": str(QUESTIONS[q.key]), "counts": counts[q.key]} for q in _DISTRIBUTED},
    }


def _percent(part: int, whole: int) -> float | None:
    """One decimal, halves rounded up (62.25 -> 62.3), as the other measures round."""
    if not whole:
        return None
    return float((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
