"""Letters: draft from a template, edit, send for sign-off, sign (PDF, SHA-256), send or post."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone, translation

from liaison.accounts.models import User
from liaison.accounts.permissions import Cap, can, require_site_worker
from liaison.audit.services import audit_record
from liaison.cases import services as case_services
from liaison.cases.models import Case, CaseType, Status, TimelineEvent, TimelineKind
from liaison.correspondence.content import (
    letter_context,
    letter_kinds_for,
    missing_elements,
    recipient,
    render_template_text,
    response_checklist,
    sample_letter_context,
    sanitise,
)
from liaison.correspondence.models import Language, Letter, LetterKind, LetterStatus, LetterTemplate
from liaison.lib.emails import send_templated
from liaison.lib.errors import ApplicationError
from liaison.lib.pdf import render_pdf
from liaison.lib.sandbox import TemplateRefused

LETTERS_DIR = Path(__file__).resolve().parent / "letters"


# -- Templates ----------------------------------------------------------------------------------------------


def templates_sync() -> int:
    """Load the template files shipped with Liaison as version 1 where a template does not exist yet."""
    added = 0
    for path in sorted(LETTERS_DIR.glob("*/*.*.html")):
        pack = path.parent.name
        kind, language = path.name.removesuffix(".html").rsplit(".", 1)
        if kind not in LetterKind.values or language not in Language.values:
            continue
        if LetterTemplate.objects.filter(pack=pack, kind=kind, language=language).exists():
            continue
        first, _, body = path.read_text(encoding="utf-8").partition("\n")
        subject = first.removeprefix("Subject:").strip()
        LetterTemplate.objects.create(
            pack=pack, kind=kind, language=language, version=1, subject=subject, body=body.strip()
        )
        added += 1
    return added


def template_current(*, pack: str, kind: str, language: str) -> LetterTemplate:
    template = LetterTemplate.objects.filter(pack=pack, kind=kind, language=language).order_by("-version").first()
    if template is None:
        raise ApplicationError(
            f"There is no {LetterKind(kind).label.lower()} template in {Language(language).label} "
            "for this site's rules yet."
        )
    return template


def template_update(
    *, acting_user: User, template: LetterTemplate, subject: str, body: str, note: str = ""
) -> LetterTemplate:
    """Managers change a template by adding a new version; letters already drafted keep theirs."""
    if not can(acting_user, Cap.TEMPLATE_EDIT):
        raise ApplicationError("Only a manager can change letter templates.")
    subject, body = subject.strip(), sanitise_template(body)
    # Tried on made-up values, so a forbidden tag, a broken filter or a runaway loop is refused here, as a form
    # error for the manager, rather than when an officer drafts a letter.
    for part, source in (("subject", subject), ("text", body)):
        try:
            render_template_text(source, sample_letter_context())
        except TemplateRefused as exc:
            raise ApplicationError(f"The template's {part} has an error: {exc.message}") from exc
    with transaction.atomic():
        latest = LetterTemplate.objects.filter(
            pack=template.pack, kind=template.kind, language=template.language
        ).aggregate(v=Max("version"))["v"]
        new = LetterTemplate.objects.create(
            pack=template.pack,
            kind=template.kind,
            language=template.language,
            version=(latest or 0) + 1,
            subject=subject,
            body=body,
            note=note,
            created_by=acting_user,
        )
        audit_record(
            action="letter_template.update",
            actor=acting_user,
            obj=new,
            details={"version": new.version, "previous": template.pk},
        )
    return new


def sanitise_template(body: str) -> str:
    # Template tags survive nh3 as text; only the HTML around them is cleaned.
    return sanitise(body)


# -- Letters --------------------------------------------------------------------------------------------------


def _require_worker(user: User, case: Case) -> None:
    require_site_worker(user, case.site_id)


def _timeline(letter: Letter, summary: str, actor: User | None) -> None:
    TimelineEvent.objects.create(
        case=letter.case,
        kind=TimelineKind.LETTER,
        summary=summary,
        actor=actor,
        occurred_at=timezone.now(),
        data={"letter": letter.pk},
    )


def letter_draft(
    *, acting_user: User, case: Case, kind: str, language: str | None = None, large_print: bool = False
) -> Letter:
    _require_worker(acting_user, case)
    if kind not in letter_kinds_for(case):
        raise ApplicationError(
            f"A {dict(LetterKind.choices).get(kind, kind).lower()} letter does not fit this case as it stands "
            "(an out-of-time decision needs a case outside the time limit; an extension letter, a recorded extension)."
        )
    language = language or (Language.SPANISH if case.preferred_language == "es" else Language.ENGLISH)
    template = template_current(pack=case.site.policy_pack, kind=kind, language=language)
    context = letter_context(case, kind, drafted_by=acting_user, language=language)
    try:
        with translation.override(language):  # dates and built-in words in the letter's language
            subject = " ".join(render_template_text(template.subject, context).split())[:300]
            body_html = sanitise(render_template_text(template.body, context))
    except TemplateRefused as exc:
        # A template saved before the sandbox's checks existed, or one that fails only on this case's values.
        raise ApplicationError(
            f"The {template.get_kind_display().lower()} template (version {template.version}) cannot be used: "
            f"{exc.message} Ask a manager to correct it."
        ) from exc
    with transaction.atomic():
        letter = Letter.objects.create(
            case=case,
            template=template,
            kind=kind,
            language=language,
            large_print=large_print,
            subject=subject,
            body_html=body_html,
            drafted_by=acting_user,
        )
        _timeline(letter, f"{letter.get_kind_display()} drafted ({letter.get_language_display()})", acting_user)
        audit_record(
            action="letter.draft",
            actor=acting_user,
            obj=letter,
            site=case.site,
            details={"case": case.reference, "kind": kind, "template": template.pk},
        )
    return letter


def letter_edit(
    *, acting_user: User, letter: Letter, subject: str, body_html: str, expected_version: int, large_print: bool
) -> Letter:
    _require_worker(acting_user, letter.case)
    if not letter.is_editable:
        raise ApplicationError(
            "Only a draft can be edited. A letter sent for sign-off can be returned to draft by the manager."
        )
    with transaction.atomic():
        updated = Letter.objects.filter(pk=letter.pk, version=expected_version, status=LetterStatus.DRAFT).update(
            subject=subject.strip()[:300],
            body_html=sanitise(body_html),
            large_print=large_print,
            version=F("version") + 1,
            # The officer confirmed what the old words said; new words need a new look.
            confirmed_elements={},
        )
        if not updated:
            raise ApplicationError(
                "This letter was changed by someone else after you opened it; your edits were not saved. Reload it."
            )
        audit_record(action="letter.edit", actor=acting_user, obj=letter, site=letter.case.site)
    letter.refresh_from_db()
    return letter


def letter_confirm_elements(*, acting_user: User, letter: Letter, keys: Iterable[str], expected_version: int) -> Letter:
    """The officer confirms, element by element, that the draft gives what the rules require in its own words."""
    _require_worker(acting_user, letter.case)
    if not letter.is_editable:
        raise ApplicationError("Only a draft's checklist can be changed.")
    items = {item.key: item for item in response_checklist(letter)}
    chosen = set(keys)
    unknown = chosen - set(items)
    if unknown:
        raise ApplicationError("The checklist changed since the page was opened. Reload it and confirm again.")
    not_ready = [items[key].label for key in sorted(chosen) if not items[key].ready]
    if not_ready:
        raise ApplicationError("Record these on the case before confirming them: " + "; ".join(not_ready) + ".")
    now = timezone.now().isoformat()
    kept = letter.confirmed_elements or {}
    confirmed = {key: kept.get(key) or {"by": acting_user.pk, "at": now} for key in sorted(chosen)}
    with transaction.atomic():
        updated = Letter.objects.filter(pk=letter.pk, version=expected_version, status=LetterStatus.DRAFT).update(
            confirmed_elements=confirmed
        )
        if not updated:
            raise ApplicationError(
                "This letter changed after you opened it, so the checklist was not saved. Reload it and check again."
            )
        _timeline(letter, f"Checklist confirmed: {len(confirmed)} of {len(items)} elements", acting_user)
        audit_record(
            action="letter.confirm_elements",
            actor=acting_user,
            obj=letter,
            site=letter.case.site,
            details={"confirmed": sorted(confirmed), "version": expected_version},
        )
    letter.refresh_from_db()
    return letter


def _refuse_if_incomplete(letter: Letter, signer: User | None = None) -> None:
    missing = missing_elements(letter, signer=signer)
    if missing:
        raise ApplicationError(
            "This final response cannot go out yet. It is missing: " + "; ".join(missing) + ".",
            extra={"missing": missing},
        )


def letter_submit(*, acting_user: User, letter: Letter) -> Letter:
    """Send the draft to a manager for sign-off."""
    _require_worker(acting_user, letter.case)
    if letter.status != LetterStatus.DRAFT:
        raise ApplicationError("Only a draft can be sent for sign-off.")
    _refuse_if_incomplete(letter)
    with transaction.atomic():
        letter.status, letter.submitted_at = LetterStatus.AWAITING_SIGNOFF, timezone.now()
        letter.save(update_fields=["status", "submitted_at"])
        _timeline(letter, f"{letter.get_kind_display()} sent for sign-off", acting_user)
        audit_record(action="letter.submit", actor=acting_user, obj=letter, site=letter.case.site)
    return letter


def letter_return(*, acting_user: User, letter: Letter, reason: str) -> Letter:
    """The manager sends a letter back to draft with a reason."""
    _require_signer(acting_user, letter)
    if letter.status != LetterStatus.AWAITING_SIGNOFF:
        raise ApplicationError("Only a letter awaiting sign-off can be returned.")
    if not reason.strip():
        raise ApplicationError("Say what needs changing.")
    with transaction.atomic():
        letter.status = LetterStatus.DRAFT
        letter.save(update_fields=["status"])
        TimelineEvent.objects.create(
            case=letter.case,
            kind=TimelineKind.LETTER,
            summary="Letter returned to draft",
            body=reason,
            actor=acting_user,
            occurred_at=timezone.now(),
        )
        audit_record(action="letter.return", actor=acting_user, obj=letter, site=letter.case.site)
    return letter


def _require_signer(user: User, letter: Letter) -> None:
    if not can(user, Cap.LETTER_SIGN, letter.case.site_id):
        raise ApplicationError("Only a manager of this site can sign letters.")


def letter_sign(*, acting_user: User, letter: Letter) -> Letter:
    """Sign off: render the PDF once, store it with its SHA-256; from now on the letter never changes."""
    _require_signer(acting_user, letter)
    if letter.status != LetterStatus.AWAITING_SIGNOFF:
        raise ApplicationError("Only a letter awaiting sign-off can be signed.")
    _refuse_if_incomplete(letter, signer=acting_user)
    case = letter.case
    with translation.override(letter.language):
        pdf = _render_letter_pdf(letter)
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        locked = Letter.objects.select_for_update().get(pk=letter.pk)
        if locked.status != LetterStatus.AWAITING_SIGNOFF or locked.version != letter.version:
            raise ApplicationError("The letter changed while you were signing it. Reload it and sign again.")
        locked.pdf.save(f"{case.reference}-{locked.kind}-{digest[:12]}.pdf", ContentFile(pdf), save=False)
        locked.pdf_sha256, locked.status = digest, LetterStatus.SIGNED
        locked.signed_by, locked.signed_at = acting_user, timezone.now()
        locked.save()
        _timeline(locked, f"{locked.get_kind_display()} signed by {acting_user.full_name}", acting_user)
        audit_record(action="letter.sign", actor=acting_user, obj=locked, site=case.site, details={"sha256": digest})
    letter.refresh_from_db()
    return letter


def _render_letter_pdf(letter: Letter) -> bytes:
    case = letter.case
    return render_pdf(
        "correspondence/letter_pdf.html",
        {
            "letter": letter,
            "case": case,
            "site": case.site,
            "recipient": recipient(case),
            "date": timezone.localdate(timezone.now(), case.site.zone),
        },
    )


def letter_send(*, acting_user: User, letter: Letter, by: str) -> Letter:
    """Email the signed PDF to the complainant, or record that it was printed and posted."""
    _require_worker(acting_user, letter.case)
    if letter.status != LetterStatus.SIGNED:
        raise ApplicationError("Only a signed letter can be sent.")
    case = letter.case
    to = recipient(case).email
    if by == "email" and not to:
        raise ApplicationError("There is no email address for the complainant: print and post the letter instead.")
    pdf_bytes = letter.pdf.open("rb").read()
    if hashlib.sha256(pdf_bytes).hexdigest() != letter.pdf_sha256:
        raise ApplicationError(
            "The stored PDF does not match its fingerprint; it has not been sent. Tell your administrator."
        )
    with transaction.atomic():
        letter.status = LetterStatus.SENT if by == "email" else LetterStatus.POSTED
        letter.sent_at, letter.sent_to = timezone.now(), to if by == "email" else "post"
        letter.save(update_fields=["status", "sent_at", "sent_to"])
        _timeline(
            letter, f"{letter.get_kind_display()} {'emailed' if by == 'email' else 'printed and posted'}", acting_user
        )
        audit_record(
            action=f"letter.{'email' if by == 'email' else 'post'}", actor=acting_user, obj=letter, site=case.site
        )
        _record_on_case(acting_user, letter)
        if by == "email":
            filename = f"{case.reference}-{letter.kind}.pdf"
            context = {"letter": letter, "case": case, "site": case.site, "recipient": recipient(case)}
            transaction.on_commit(
                lambda: send_templated(
                    f"letter_{letter.language}",
                    context,
                    to=[to],
                    attachments=[(filename, pdf_bytes, "application/pdf")],
                )
            )
    return letter


def _record_on_case(acting_user: User, letter: Letter) -> None:
    """Sending a letter moves the case on where the letter is the step (acknowledgement, response)."""
    case = Case.objects.select_related("site").get(pk=letter.case_id)
    if letter.kind == LetterKind.ACKNOWLEDGEMENT and case.status == Status.NEW:
        case_services.case_acknowledge(acting_user=acting_user, case=case, how="letter")
    elif letter.kind == LetterKind.FINAL_RESPONSE and case.status in (
        Status.ACKNOWLEDGED,
        Status.UNDER_INVESTIGATION,
        Status.RESPONSE_DRAFTED,
    ):
        case_services.case_record_response(
            acting_user=acting_user, case=case, written_notice=case.case_type == CaseType.GRIEVANCE
        )
