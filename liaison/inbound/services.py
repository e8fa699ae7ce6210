"""Filing inbound email: onto the case its subject names, as a new case for triage, or aside with a reason.

Every message ends as exactly one InboundMessage with its raw bytes on disk, whatever its state; the
same bytes ingested again are recognised by their SHA-256 and not filed twice, and the same message in other
bytes (another line ending, one more Received header) by its Message-ID and the hash of its normalised text.
A message kept aside can be filed again with today's parser (``inbound_message_refile``); the same bytes
ingested again do that too.

The clocks start when the hospital received the message: when Liaison read it, or the time our mail server
wrote in the topmost Received header. The sender's Date header is kept as information only: a sender's
clock can be wrong by decades.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from liaison.accounts.models import User
from liaison.audit.services import audit_record
from liaison.cases.models import Case, CaseType, Channel, TimelineKind
from liaison.cases.services import case_add_attachment, case_log_incoming, case_open_by_system
from liaison.inbound import hooks
from liaison.inbound.attachments import attachments_screen
from liaison.inbound.automatic import automatic_file, automatic_recognise
from liaison.inbound.models import InboundMessage, InboundStatus
from liaison.inbound.parsing import ParsedAttachment, ParsedMessage, parse_message
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site

# sha256 and status only: subjects, addresses and names are patient data.
logger = logging.getLogger(__name__)


# How far back the Received trace may move the clocks: further back, it is not trusted.
RECEIVED_TRACE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Ingested:
    message: InboundMessage
    created: bool  # False: nothing new was stored (see duplicate and refiled)
    withheld: list[str] = field(default_factory=list)  # attachments not added to the case, with why
    # The same message (Message-ID and text) came before in other bytes: ``message`` is the earlier one.
    duplicate: bool = False
    # A message kept aside was filed again: ``message`` is the same row, with its new status.
    refiled: bool = False


@dataclass(frozen=True)
class _Incoming:
    """One message on its way in: what was read from it, and where its raw bytes are kept."""

    parsed: ParsedMessage
    digest: str
    raw_name: str
    received_at: datetime
    raw: bytes = field(repr=False, default=b"")  # the bytes themselves, so nothing reads them back from storage
    row: InboundMessage | None = None  # the row kept aside, when re-filing


def _store_raw(raw: bytes, digest: str) -> str:
    # Named by content, so a retry after a failed transaction finds the file it already wrote.
    name = f"inbound/{timezone.localdate():%Y}/{digest}.eml"
    if default_storage.exists(name):
        return name
    return default_storage.save(name, ContentFile(raw))


def _received_at(parsed: ParsedMessage, arrived: datetime) -> datetime:
    """When the hospital received it: our mail server's Received trace, if it is no later than Liaison's own
    time and no more than RECEIVED_TRACE_WINDOW before it; else when Liaison read it."""
    trace = parsed.received
    if trace is None or trace > arrived:
        return arrived
    return max(trace, arrived - RECEIVED_TRACE_WINDOW)


def _sender_date(parsed: ParsedMessage) -> datetime | None:
    # Information only, but a year the database cannot store would still stop the message being filed.
    return parsed.date if parsed.date is not None and 1900 <= parsed.date.year <= 2999 else None


def _max_message_bytes() -> int:
    return int(settings.LIAISON_INBOUND_MAX_MESSAGE_BYTES)


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.1f} KB"


def _read(raw: bytes) -> ParsedMessage:
    """The parsed message, or only a problem for a message too large to read safely."""
    limit = _max_message_bytes()
    if len(raw) > limit:
        return ParsedMessage(
            problem=f"The message is {_size(len(raw))}, over the limit of {_size(limit)} for email, so it was not "
            "read. The original is kept; raise LIAISON_INBOUND_MAX_MESSAGE_BYTES and re-file it to read it."
        )
    return parse_message(raw)


def _same_message(parsed: ParsedMessage) -> InboundMessage | None:
    """An earlier filed message with the same Message-ID and the same text: this one in other bytes."""
    if parsed.problem or not parsed.message_id or not parsed.body.strip():
        return None
    return (
        InboundMessage.objects.filter(message_id=parsed.message_id, body_sha256=parsed.body_sha256)
        .exclude(status=InboundStatus.QUARANTINED)
        .select_related("case")
        .order_by("created_at", "pk")
        .first()
    )


def _find_case(parsed: ParsedMessage) -> Case | None:
    """The case the subject names, or else the case of an earlier message this one replies to."""
    references = parsed.references
    case = None
    if references:
        found = {c.reference: c for c in Case.objects.select_related("site").filter(reference__in=references)}
        case = next((found[r] for r in references if r in found), None)
    if case is None and parsed.thread_ids:
        earlier = (
            InboundMessage.objects.filter(message_id__in=parsed.thread_ids, case__isnull=False)
            .select_related("case__site")
            .order_by("-created_at", "-pk")
            .first()
        )
        case = earlier.case if earlier is not None else None
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
    """Split the attachments into files the case may hold (under safe names) and those withheld, with why."""
    return attachments_screen(attachments)


def _file_onto(case: Case, message: InboundMessage, incoming: _Incoming) -> list[tuple[str, str]]:
    """The email and its attachments on the case's timeline. Returns the withheld attachments."""
    parsed, received_at = incoming.parsed, incoming.received_at
    accepted, withheld = _screen(parsed.attachments)
    # Attachments the parser could not read whole come first: they were in the email before the others.
    withheld = [*parsed.withheld, *withheld]
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
    """The message's row, new, or the row kept aside brought up to date when re-filing."""
    parsed = incoming.parsed
    values: dict[str, object] = {
        "message_id": parsed.message_id,
        "body_sha256": parsed.body_sha256 if parsed.body.strip() else "",
        "received_at": incoming.received_at,
        "sender_date": _sender_date(parsed),
        "from_address": parsed.from_address[:320],
        "to_addresses": parsed.to_addresses,
        "subject": parsed.subject[:500],
        "reason": "",
        "site": None,
        "case": None,
        **fields,
    }
    if incoming.row is not None:
        message = incoming.row
        for name, value in values.items():
            setattr(message, name, value)
        message.save()
        return message
    message = InboundMessage(sha256=incoming.digest, **values)
    message.raw_file.name = incoming.raw_name
    message.save(force_insert=True)
    return message


def _withheld_reason(withheld: list[tuple[str, str]]) -> str:
    return "\n".join(f"Attachment {name} withheld: {why}" for name, why in withheld)


def _filed_reason(parsed: ParsedMessage, withheld: list[tuple[str, str]], *more: str) -> str:
    return "\n".join(note for note in (_withheld_reason(withheld), *parsed.notes, *more) if note)


def _file(incoming: _Incoming, site: Site | None) -> tuple[InboundMessage, list[tuple[str, str]]]:
    """File a readable message; raises ApplicationError when a case service refuses it."""
    parsed = incoming.parsed
    case = _find_case(parsed)
    if case is not None:
        message = _message(incoming, status=InboundStatus.ATTACHED, case=case, site=case.site)
        withheld = _file_onto(case, message, incoming)
        message.reason = _filed_reason(parsed, withheld)
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
    unknown = ""
    if parsed.references:
        unknown = f"The subject names {', '.join(parsed.references)}, which is not a case in Liaison."
    message.reason = _filed_reason(parsed, withheld, unknown)
    message.save(update_fields=["reason"])
    return message, withheld


def _quarantine(incoming: _Incoming, *, site: Site | None, kind: str, reason: str) -> InboundMessage:
    with transaction.atomic():
        message = _message(incoming, status=InboundStatus.QUARANTINED, site=site, reason=reason)
        if incoming.row is None:  # a re-filing is audited as such by inbound_message_refile
            # A kind, not the reason: the reason may quote addresses, and the trail must not copy personal data.
            audit_record(
                action="inbound.quarantine", obj=message, site=site, details={"sha256": incoming.digest, "kind": kind}
            )
    return message


def _file_or_quarantine(incoming: _Incoming, site: Site | None) -> tuple[InboundMessage, list[tuple[str, str]]]:
    parsed = incoming.parsed
    # Bounces, read receipts and out-of-office replies never open a case, even when a returned copy is damaged.
    mail = automatic_recognise(incoming.raw)
    if mail is not None:
        return automatic_file(mail=mail, save=lambda **fields: _message(incoming, **fields)), []
    if parsed.problem:
        return _quarantine(incoming, site=None, kind="malformed", reason=parsed.problem), []
    try:
        with transaction.atomic():
            message, withheld = _file(incoming, site)
            hooks.message_filed(hooks.MessageFiled(message=message, parsed=parsed))
    except ApplicationError as exc:
        return _quarantine(incoming, site=None, kind="refused", reason=f"It could not be filed: {exc.message}"), []
    return message, withheld


def _withheld_lines(withheld: list[tuple[str, str]]) -> list[str]:
    return [f"{name}: {why}" for name, why in withheld]


def inbound_message_ingest(*, raw: bytes, site: Site | None = None) -> Ingested:
    """Store one raw email and file it. ``site`` is where a message goes when no recipient names a site.

    The same bytes again are not filed twice, unless they were kept aside: then they are filed again, which
    lets a message set aside for want of a site be ingested once more with ``site``."""
    digest = hashlib.sha256(raw).hexdigest()
    existing = InboundMessage.objects.filter(sha256=digest).select_related("case").first()
    if existing is not None:
        if existing.status == InboundStatus.QUARANTINED:
            return inbound_message_refile(acting_user=None, message=existing, site=site)
        return Ingested(existing, created=False)
    parsed = _read(raw)
    earlier = _same_message(parsed)
    if earlier is not None:
        logger.info("inbound message %s: duplicate of inbound message %s", digest, earlier.pk)
        return Ingested(earlier, created=False, duplicate=True)
    incoming = _Incoming(parsed, digest, _store_raw(raw, digest), _received_at(parsed, timezone.now()), raw=raw)
    try:
        message, withheld = _file_or_quarantine(incoming, site)
    except IntegrityError:
        # The same bytes, ingested at the same moment by another process, won the race.
        existing = InboundMessage.objects.filter(sha256=digest).select_related("case").first()
        if existing is None:
            raise
        return Ingested(existing, created=False)
    logger.info("inbound message %s: %s", digest, message.status)
    return Ingested(message, created=True, withheld=_withheld_lines(withheld))


def inbound_message_refile(*, acting_user: User | None, message: InboundMessage, site: Site | None = None) -> Ingested:
    """File again a message kept aside: its stored original read with today's parser, then filed as a new
    ingest would be, on the same row. It may be kept aside again, with today's reason.

    Raises ApplicationError when the message is not kept aside or its original cannot be read."""
    with transaction.atomic():
        row = InboundMessage.objects.select_for_update().filter(pk=message.pk).first()
        if row is None or row.status != InboundStatus.QUARANTINED:
            raise ApplicationError("Only a message kept aside can be re-filed; this one has been filed already.")
        try:
            with default_storage.open(row.raw_file.name, "rb") as stored:
                raw = stored.read()
        except OSError:
            raise ApplicationError("The original of this message cannot be read from the files folder.") from None
        parsed = _read(raw)
        incoming = _Incoming(
            parsed, row.sha256, row.raw_file.name, _received_at(parsed, row.created_at), raw=raw, row=row
        )
        earlier = _same_message(parsed)
        if earlier is not None:
            message = _quarantine(
                incoming,
                site=None,
                kind="duplicate",
                reason=f"The same message was filed as inbound message {earlier.pk}.",
            )
            withheld: list[tuple[str, str]] = []
        else:
            message, withheld = _file_or_quarantine(incoming, site)
        audit_record(
            action="inbound.refile",
            actor=acting_user,
            obj=message,
            site=message.site,
            details={"sha256": row.sha256, "status": str(message.status)},
        )
    logger.info("inbound message %s: re-filed, %s", row.sha256, message.status)
    return Ingested(message, created=False, withheld=_withheld_lines(withheld), refiled=True)
