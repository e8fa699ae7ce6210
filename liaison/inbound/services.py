"""Filing inbound email: onto the case its subject names, as a new case for triage, or aside with a reason.

Every message ends as exactly one InboundMessage with its raw bytes on disk, whatever its state; the
same bytes ingested again are recognised by their SHA-256 and not filed twice.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from liaison.audit.services import audit_record
from liaison.cases.models import Case, CaseType, Channel, TimelineKind
from liaison.cases.services import case_add_attachment, case_log_incoming, case_open_by_system
from liaison.inbound import hooks
from liaison.inbound.models import InboundMessage, InboundStatus
from liaison.inbound.parsing import ParsedAttachment, ParsedMessage, parse_message
from liaison.lib.errors import ApplicationError
from liaison.lib.uploads import check_upload
from liaison.org.models import Site

# sha256 and status only: subjects, addresses and names are patient data.
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ingested:
    message: InboundMessage
    created: bool  # False: these exact bytes had been ingested before
    withheld: list[str] = field(default_factory=list)  # attachments not added to the case, with why


@dataclass(frozen=True)
class _Incoming:
    """One message on its way in: what was read from it, and where its raw bytes are kept."""

    parsed: ParsedMessage
    digest: str
    raw_name: str
    received_at: datetime


def _store_raw(raw: bytes, digest: str) -> str:
    # Named by content, so a retry after a failed transaction finds the file it already wrote.
    name = f"inbound/{timezone.localdate():%Y}/{digest}.eml"
    if default_storage.exists(name):
        return name
    return default_storage.save(name, ContentFile(raw))


def _received_at(parsed: ParsedMessage) -> datetime:
    now = timezone.now()
    return parsed.date if parsed.date is not None and parsed.date <= now else now


def _find_case(parsed: ParsedMessage) -> Case | None:
    references = parsed.references
    if not references:
        return None
    found = {c.reference: c for c in Case.objects.select_related("site").filter(reference__in=references)}
    case = next((found[r] for r in references if r in found), None)
    seen: set[int] = set()
    # A reply about a duplicate belongs on the case it was merged into.
    while case is not None and case.merged_into_id is not None and case.pk not in seen:
        seen.add(case.pk)
        case = Case.objects.select_related("site").get(pk=case.merged_into_id)
    return case


def _sites_for(parsed: ParsedMessage) -> list[Site]:
    wanted = {address.lower() for address in parsed.recipients}
    return [
        site
        for site in Site.objects.filter(is_active=True).exclude(complaints_contact_email="").order_by("pk")
        if site.complaints_contact_email.lower() in wanted
    ]


def _screen(attachments: list[ParsedAttachment]) -> tuple[list[SimpleUploadedFile], list[tuple[str, str]]]:
    """Split the attachments into files the case may hold and those withheld, each with the reason."""
    accepted: list[SimpleUploadedFile] = []
    withheld: list[tuple[str, str]] = []
    for attachment in attachments:
        upload = SimpleUploadedFile(attachment.filename, attachment.content, attachment.content_type)
        try:
            check_upload(upload)
        except ApplicationError as exc:
            withheld.append((attachment.filename, exc.message))
        else:
            accepted.append(upload)
    return accepted, withheld


def _file_onto(case: Case, message: InboundMessage, incoming: _Incoming) -> list[tuple[str, str]]:
    """The email and its attachments on the case's timeline. Returns the withheld attachments."""
    parsed, received_at = incoming.parsed, incoming.received_at
    accepted, withheld = _screen(parsed.attachments)
    data: dict[str, object] = {
        "from": parsed.from_address,
        "message_id": parsed.message_id,
        "inbound_message": message.pk,
    }
    if withheld:
        data["withheld"] = [{"name": name, "reason": why} for name, why in withheld]
    case_log_incoming(
        case=case,
        kind=TimelineKind.EMAIL,
        summary=parsed.subject or "Email with no subject",
        body=parsed.body,
        occurred_at=received_at,
        data=data,
    )
    for upload in accepted:
        case_add_attachment(acting_user=None, case=case, upload=upload)
    for name, why in withheld:
        case_log_incoming(
            case=case,
            kind=TimelineKind.ATTACHMENT,
            summary=f"Not attached from the email: {name}",
            body=f"{why}\nThe file is kept with the original email (inbound message {message.pk}).",
            occurred_at=received_at,
            data={"inbound_message": message.pk, "withheld": name},
        )
    return withheld


def _message(incoming: _Incoming, **fields: object) -> InboundMessage:
    parsed = incoming.parsed
    message = InboundMessage(
        sha256=incoming.digest,
        message_id=parsed.message_id,
        received_at=incoming.received_at,
        from_address=parsed.from_address[:320],
        to_addresses=parsed.to_addresses,
        subject=parsed.subject[:500],
        **fields,
    )
    message.raw_file.name = incoming.raw_name
    message.save(force_insert=True)
    return message


def _withheld_reason(withheld: list[tuple[str, str]]) -> str:
    return "\n".join(f"Attachment {name} withheld: {why}" for name, why in withheld)


def _file(incoming: _Incoming, site: Site | None) -> tuple[InboundMessage, list[tuple[str, str]]]:
    """File a readable message; raises ApplicationError when a case service refuses it."""
    parsed = incoming.parsed
    case = _find_case(parsed)
    if case is not None:
        message = _message(incoming, status=InboundStatus.ATTACHED, case=case, site=case.site)
        withheld = _file_onto(case, message, incoming)
        message.reason = _withheld_reason(withheld)
        message.save(update_fields=["reason"])
        return message, withheld

    sites = _sites_for(parsed)
    if len(sites) == 1:
        site = sites[0]
    elif len(sites) > 1 and site not in sites:
        codes = ", ".join(s.code for s in sites)
        return _quarantine(
            incoming,
            site=None,
            kind="ambiguous_site",
            reason=f"The recipients match the complaints address of several sites ({codes}); choose one.",
        ), []
    if site is None:
        recipients = ", ".join(parsed.recipients) or "(none)"
        return _quarantine(
            incoming,
            site=None,
            kind="no_site",
            reason=f"No site for recipient {recipients}: no site has this complaints address and no --site was given.",
        ), []

    name = parsed.from_name or parsed.from_address
    try:
        validate_email(parsed.from_address)
        email = parsed.from_address
    except ValidationError:
        email = ""  # kept on the message and the timeline; the case field only takes a valid address
    case = case_open_by_system(
        site=site,
        case_type=CaseType.COMPLAINT,
        channel=Channel.EMAIL,
        received_at=incoming.received_at,
        source="email",
        patient_known=False,
        complainant_is_patient=False,
        complainant_name=name[:200],
        complainant_email=email[:254],
        account=parsed.body,
    )
    message = _message(incoming, status=InboundStatus.NEW_CASE, case=case, site=site)
    # The account is the officer's to edit; the timeline keeps the email exactly as it came.
    withheld = _file_onto(case, message, incoming)
    notes = [_withheld_reason(withheld)]
    if parsed.references:
        notes.append(f"The subject names {', '.join(parsed.references)}, which is not a case in Liaison.")
    message.reason = "\n".join(n for n in notes if n)
    message.save(update_fields=["reason"])
    return message, withheld


def _quarantine(incoming: _Incoming, *, site: Site | None, kind: str, reason: str) -> InboundMessage:
    with transaction.atomic():
        message = _message(incoming, status=InboundStatus.QUARANTINED, site=site, reason=reason)
        # A kind, not the reason: the reason may quote addresses, and the trail must not copy personal data.
        audit_record(
            action="inbound.quarantine", obj=message, site=site, details={"sha256": incoming.digest, "kind": kind}
        )
    return message


def inbound_message_ingest(*, raw: bytes, site: Site | None = None) -> Ingested:
    """Store one raw email and file it. ``site`` is where a message goes when no recipient names a site."""
    digest = hashlib.sha256(raw).hexdigest()
    existing = InboundMessage.objects.filter(sha256=digest).select_related("case").first()
    if existing is not None:
        return Ingested(existing, created=False)
    parsed = parse_message(raw)
    incoming = _Incoming(parsed, digest, _store_raw(raw, digest), _received_at(parsed))
    withheld: list[tuple[str, str]] = []
    try:
        if parsed.problem:
            message = _quarantine(incoming, site=None, kind="malformed", reason=parsed.problem)
        else:
            try:
                with transaction.atomic():
                    message, withheld = _file(incoming, site)
                    hooks.message_filed(hooks.MessageFiled(message=message, parsed=parsed))
            except ApplicationError as exc:
                message = _quarantine(
                    incoming,
                    site=None,
                    kind="refused",
                    reason=f"It could not be filed: {exc.message}",
                )
    except IntegrityError:
        # The same bytes, ingested at the same moment by another process, won the race.
        existing = InboundMessage.objects.filter(sha256=digest).select_related("case").first()
        if existing is None:
            raise
        return Ingested(existing, created=False)
    logger.info("inbound message %s: %s", digest, message.status)
    return Ingested(message, created=True, withheld=[f"{name}: {why}" for name, why in withheld])
