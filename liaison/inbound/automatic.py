"""Mail that no person wrote: bounces, read receipts, abuse reports and out-of-office replies.

None of these is a complaint, so none opens a case. Each is kept (status ``automatic``, with its kind) and,
when it answers something Liaison sent about a case, a note goes on that case's timeline. A bounce of a
letter is flagged on the case page until a later letter of the same kind goes out.

How each is recognised:

- delivery reports (RFC 3464): ``multipart/report; report-type=delivery-status``, or a
  ``message/delivery-status`` part; and the older bounces without one, from ``MAILER-DAEMON`` or
  ``postmaster`` with a subject such as "Undelivered Mail Returned to Sender";
- read receipts (RFC 8098): ``report-type=disposition-notification``;
- abuse and feedback reports (RFC 5965): ``report-type=feedback-report``;
- automatic replies (RFC 3834): ``Auto-Submitted: auto-replied``, ``X-Autoreply``, ``X-Autorespond`` or
  ``Precedence: auto_reply``. ``Auto-Submitted: auto-generated`` alone is not enough: web forms and other
  systems that pass on a person's complaint send it too, and a missed complaint costs more than a stray
  case. ``X-MS-Exchange-Inbox-Rules-Loop`` is not used either: Exchange adds it to mail an inbox rule
  forwarded, which includes complaints sent on from another mailbox.

Letters do not keep the Message-ID they were sent with, so the case is found by the reference in the
subject, which every letter's subject carries: the report's own subject or that of the returned message.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses
from typing import Any

from django.db import transaction
from django.db.models import Q

from liaison.audit.services import audit_record
from liaison.cases.models import Case, TimelineEvent, TimelineKind
from liaison.cases.services import case_log_incoming
from liaison.correspondence.models import Letter, LetterStatus
from liaison.inbound.models import AutomaticKind, InboundMessage, InboundStatus
from liaison.inbound.parsing import REFERENCE, clean, read_email

# Reading a report needs only its structure and a little text; a bigger message is not a report.
MAX_REPORT_BYTES = 10 * 1024 * 1024

_BOUNCE_SENDERS = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
_BOUNCE_SUBJECTS = re.compile(
    r"undeliver|returned (?:mail|to sender)|delivery (?:status notification|failure|has failed|failed)|"
    r"mail delivery (?:failed|failure|system)|failure notice|could not be delivered|non-?delivery",
    re.I,
)
_BOUNCED_ADDRESS = re.compile(r"^<([^<>@\s]+@[^<>@\s]+)>:", re.M)
_AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder")
_REPORT_PARTS = {
    "message/delivery-status": AutomaticKind.DSN,
    "message/global-delivery-status": AutomaticKind.DSN,
    "message/disposition-notification": AutomaticKind.MDN,
    "message/global-disposition-notification": AutomaticKind.MDN,
    "message/feedback-report": AutomaticKind.ARF,
}
_REPORT_TYPES = {
    "delivery-status": AutomaticKind.DSN,
    "disposition-notification": AutomaticKind.MDN,
    "feedback-report": AutomaticKind.ARF,
}
_RETURNED_PARTS = ("text/rfc822-headers", "message/rfc822", "message/global-headers", "message/global")
_ACTIONS = {
    "failed": "failed",
    "delayed": "delayed",
    "delivered": "delivered",
    "relayed": "delivered",
    "expanded": "delivered",
}


@dataclass(frozen=True)
class Delivery:
    """One recipient of a delivery report: what became of the email sent to them."""

    address: str
    action: str  # failed, delayed or delivered
    status: str = ""  # the enhanced status code, 5.1.1
    diagnostic: str = ""  # the remote server's words


@dataclass
class AutomaticMail:
    kind: AutomaticKind
    subject: str = ""
    from_address: str = ""
    references: list[str] = field(default_factory=list)  # case references, most trusted first
    addresses: list[str] = field(default_factory=list)  # whom the email it answers was sent to
    deliveries: list[Delivery] = field(default_factory=list)
    disposition: str = ""  # read receipts: displayed, deleted ...
    feedback_type: str = ""  # abuse reports: abuse, fraud ...
    text: str = ""  # the human-readable part, for an automatic reply

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.action == "failed"]


def _one_line(value: object) -> str:
    return " ".join(clean(str(value or "")).split())


def _header(msg: Message, name: str) -> str:
    try:
        return _one_line(msg.get(name, ""))
    except Exception:  # a header the parser trips on counts as absent
        return ""


def _address(value: str) -> str:
    """The address of ``rfc822; someone@example.net`` or of a From header."""
    value = value.split(";", 1)[1] if ";" in value and "@" not in value.split(";", 1)[0] else value
    found = [a for _, a in getaddresses([value]) if "@" in a]
    return found[0].strip().lower() if found else ""


def _own_parts(msg: Message) -> Iterator[Message]:
    """The message and its parts, without looking inside an attached message: a person who forwards a bounce
    has still written to us."""
    yield msg
    if msg.get_content_maintype() == "multipart" and isinstance(msg.get_payload(), list):
        for part in msg.get_payload():
            if isinstance(part, Message):
                yield from _own_parts(part)


def _kind(msg: Message) -> AutomaticKind | None:
    """What kind of automatic mail the message is, from its headers and structure; None for a person's mail."""
    if msg.get_content_type() == "multipart/report":
        kind = _REPORT_TYPES.get(str(msg.get_param("report-type") or "").lower())
        if kind is not None:
            return kind
    for part in _own_parts(msg):
        if part.get_content_type() in _REPORT_PARTS:
            return _REPORT_PARTS[part.get_content_type()]
    sender = _address(_header(msg, "From"))
    if _BOUNCE_SENDERS.match(sender) and _BOUNCE_SUBJECTS.search(_header(msg, "Subject")):
        return AutomaticKind.DSN
    auto_submitted = _header(msg, "Auto-Submitted").lower().split(";")[0].strip()
    if auto_submitted == "auto-replied":
        return AutomaticKind.AUTO_REPLY
    if any(
        _header(msg, name) and _header(msg, name).lower() not in ("no", "0", "false") for name in _AUTO_REPLY_HEADERS
    ):
        return AutomaticKind.AUTO_REPLY
    if _header(msg, "Precedence").lower() == "auto_reply":
        return AutomaticKind.AUTO_REPLY
    return None


def _fields(part: Message) -> list[Message]:
    """The blocks of fields of a report part (the email package reads them as small messages)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = payload if isinstance(payload, str) else ""
    return [HeaderParser(policy=policy.default).parsestr(block) for block in re.split(r"\n\s*\n", text) if block]


def _returned_headers(part: Message) -> Message | None:
    """The headers of the message a report returns: a part of its own, or the message itself."""
    if part.get_content_type() == "text/rfc822-headers":
        return HeaderParser(policy=policy.default).parsestr(_content(part))
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    return inner if isinstance(inner, Message) else None


def _content(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except Exception:  # an undecodable part reads as empty
        return ""
    return content if isinstance(content, str) else ""


def _text(msg: Message) -> str:
    """The first plain text of the message, outside any returned copy of ours."""
    for part in _own_parts(msg):
        content = _content(part) if part.get_content_type() == "text/plain" else ""
        if content.strip():
            return clean(content).replace("\r\n", "\n").strip()
    return ""


def _references(*texts: str) -> list[str]:
    found: list[str] = []
    for text in texts:
        found.extend(match.upper() for match in REFERENCE.findall(text))
    return list(dict.fromkeys(found))


def automatic_recognise(raw: bytes) -> AutomaticMail | None:
    """The automatic mail this message is, read from it; None when a person wrote it (or it cannot be read)."""
    if len(raw) > MAX_REPORT_BYTES:
        return None
    try:
        msg = read_email(raw)  # headers capped: the standard parser's cost grows with their square
        kind = _kind(msg)
    except Exception:  # whatever the parser trips on, the message is not treated as automatic
        return None
    if kind is None:
        return None
    mail = AutomaticMail(kind=kind, subject=_header(msg, "Subject"), from_address=_address(_header(msg, "From")))
    returned_subjects: list[str] = []
    # A damaged report is still automatic mail: what could be read is kept.
    with contextlib.suppress(Exception):
        for part in _own_parts(msg):
            content_type = part.get_content_type()
            if content_type in _REPORT_PARTS:
                _read_report(mail, _fields(part))
            elif content_type in _RETURNED_PARTS:
                headers = _returned_headers(part)
                if headers is not None:
                    returned_subjects.append(_header(headers, "Subject"))
                    mail.addresses.extend(a.lower() for _, a in getaddresses([_header(headers, "To")]) if "@" in a)
        mail.text = _text(msg)
    if kind == AutomaticKind.DSN and not mail.deliveries:
        # An older bounce without a report names the failed addresses in its text: <someone@example.net>:
        for address in dict.fromkeys(_BOUNCED_ADDRESS.findall(mail.text)):
            mail.deliveries.append(Delivery(address=address.lower(), action="failed"))
    mail.references = _references(mail.subject, *returned_subjects, mail.text)
    if kind == AutomaticKind.AUTO_REPLY and mail.from_address:
        mail.addresses.insert(0, mail.from_address)
    mail.addresses.extend(d.address for d in mail.deliveries)
    mail.addresses = list(dict.fromkeys(a for a in mail.addresses if a))
    return mail


def _read_report(mail: AutomaticMail, blocks: list[Message]) -> None:
    for block in blocks:
        if mail.kind == AutomaticKind.DSN:
            action = _ACTIONS.get(_header(block, "Action").lower().split()[0] if _header(block, "Action") else "")
            address = _address(_header(block, "Final-Recipient") or _header(block, "Original-Recipient"))
            if action and address:
                mail.deliveries.append(
                    Delivery(
                        address=address,
                        action=action,
                        status=_header(block, "Status")[:20],
                        diagnostic=_header(block, "Diagnostic-Code").split(";", 1)[-1].strip()[:300],
                    )
                )
        elif mail.kind == AutomaticKind.MDN:
            disposition = _header(block, "Disposition")
            if disposition:
                mail.disposition = disposition.split(";")[-1].strip().split("/")[0].strip().lower()
            address = _address(_header(block, "Final-Recipient") or _header(block, "Original-Recipient"))
            if address:
                mail.addresses.append(address)
        elif mail.kind == AutomaticKind.ARF:
            feedback = _header(block, "Feedback-Type")
            if feedback:
                mail.feedback_type = feedback.lower()


# -- Filing -----------------------------------------------------------------------------------------------


def automatic_case(mail: AutomaticMail) -> Case | None:
    """The case the automatic mail is about, from the references it carries (a merged case's survivor)."""
    if not mail.references:
        return None
    found = {c.reference: c for c in Case.objects.select_related("site").filter(reference__in=mail.references)}
    case = next((found[r] for r in mail.references if r in found), None)
    seen: set[int] = set()
    while case is not None and case.merged_into_id is not None and case.pk not in seen:
        seen.add(case.pk)
        case = Case.objects.select_related("site").get(pk=case.merged_into_id)
    return case


def _letter(case: Case, addresses: list[str]) -> Letter | None:
    """The letter emailed on the case to one of these addresses: the latest such."""
    if not addresses:
        return None
    wanted = Q()
    for address in addresses:
        wanted |= Q(sent_to__iexact=address)
    return Letter.objects.filter(wanted, case=case, status=LetterStatus.SENT).order_by("-sent_at", "-pk").first()


def _what(letter: Letter | None) -> str:
    return f"the {letter.get_kind_display().lower()} letter" if letter is not None else "an email about this case"


_DISPOSITIONS = {
    "displayed": "was opened",
    "deleted": "was deleted without being read",
    "dispatched": "was passed on",
    "processed": "was processed",
}


def _note(mail: AutomaticMail, case: Case) -> tuple[str, str, dict[str, Any]]:
    """The summary, body and data of the timeline note the automatic mail puts on its case."""
    data: dict[str, Any] = {"automatic": str(mail.kind)}
    if mail.kind == AutomaticKind.DSN:
        failed = mail.failed
        delayed = [d for d in mail.deliveries if d.action == "delayed"]
        chosen = failed or delayed or mail.deliveries
        letter = _letter(case, [d.address for d in chosen] or mail.addresses)
        address = chosen[0].address if chosen else (letter.sent_to if letter else "")
        to = f" to {address}" if address else ""
        if failed or not mail.deliveries:  # a bounce without a readable report is a failure
            data["delivery"] = "failed"
            summary = f"Not delivered: {_what(letter)} emailed{to} came back"
            diagnostics = "; ".join(f"{d.status} {d.diagnostic}".strip() for d in failed if d.status or d.diagnostic)
            body = (f"The receiving mail server said: {diagnostics}\n" if diagnostics else "") + (
                "Check the email address with the complainant, or send the letter by post."
            )
        elif delayed:
            data["delivery"] = "delayed"
            summary = f"Delivery delayed: {_what(letter)} emailed{to} has not arrived yet"
            body = "The mail server is still trying to deliver it; nothing needs doing unless it fails."
        else:
            data["delivery"] = "delivered"
            summary = f"Delivered: {_what(letter)} emailed{to}"
            body = ""
        if address:
            data["recipient"] = address
        if chosen and chosen[0].status:
            data["status"] = chosen[0].status
    elif mail.kind == AutomaticKind.MDN:
        letter = _letter(case, mail.addresses)
        did = _DISPOSITIONS.get(mail.disposition, "was received")
        summary = f"Read receipt: {_what(letter)} {did}"
        body = ""
    elif mail.kind == AutomaticKind.ARF:
        letter = _letter(case, mail.addresses)
        summary = f"Reported as unwanted mail: {_what(letter)} was reported to the recipient's mail provider"
        body = f"Report type: {mail.feedback_type or 'not given'}. Later emails to this address may not arrive."
    else:
        letter = _letter(case, mail.addresses)
        sender = mail.from_address or "the recipient"
        summary = f"Automatic reply from {sender}" + (f": {mail.subject}" if mail.subject else "")
        body = mail.text[:4000]
    if letter is not None:
        data["letter"] = letter.pk
    return summary[:300], body, data


def automatic_note(*, mail: AutomaticMail, message: InboundMessage) -> TimelineEvent | None:
    """Put the automatic mail on its case's timeline, if it has a case. Runs in the filing transaction."""
    if message.case is None:
        return None
    summary, body, data = _note(mail, message.case)
    data["inbound_message"] = message.pk
    return case_log_incoming(
        case=message.case,
        kind=TimelineKind.EMAIL,
        summary=summary,
        body=body,
        occurred_at=message.received_at,
        data=data,
    )


def automatic_reason(mail: AutomaticMail, case: Case | None) -> str:
    """What the message is, in words, for the list of inbound mail."""
    what = AutomaticKind(mail.kind).label
    if mail.kind == AutomaticKind.DSN and mail.failed:
        what += f": not delivered to {', '.join(d.address for d in mail.failed)}"
    if case is not None:
        return f"{what}; noted on case {case.reference}."
    return f"{what}; it names no case in Liaison, so it was only kept."


def automatic_file(*, mail: AutomaticMail, save: Callable[..., InboundMessage]) -> InboundMessage:
    """Keep automatic mail without opening a case, and note it on the case it answers.

    ``save`` stores the message's row from the given fields (the filing service's own helper)."""
    with transaction.atomic():
        case = automatic_case(mail)
        message = save(
            status=InboundStatus.AUTOMATIC,
            automatic_kind=str(mail.kind),
            case=case,
            site=case.site if case is not None else None,
            reason=automatic_reason(mail, case),
        )
        if automatic_note(mail=mail, message=message) is None:
            # A kind only: the addresses in the report are personal data.
            audit_record(
                action="inbound.automatic",
                obj=message,
                site=None,
                details={"sha256": message.sha256, "kind": mail.kind},
            )
    return message


# -- What the case page shows -------------------------------------------------------------------------------


def undelivered_letters(case: Case) -> list[dict[str, Any]]:
    """Bounces of letters on this case that nobody has dealt with: no letter of the same kind was sent or
    posted after the bounce came back."""
    bounces = list(
        TimelineEvent.objects.filter(case=case, kind=TimelineKind.EMAIL, data__delivery="failed")
        .exclude(data__letter=None)
        .order_by("-occurred_at", "-pk")
    )
    if not bounces:
        return []
    letters = {letter.pk: letter for letter in Letter.objects.filter(case=case)}
    notices: list[dict[str, Any]] = []
    seen: set[int] = set()
    for event in bounces:
        letter = letters.get(event.data.get("letter"))
        if letter is None or letter.pk in seen:
            continue
        seen.add(letter.pk)
        later = any(
            other.kind == letter.kind
            and other.pk != letter.pk
            and other.status in (LetterStatus.SENT, LetterStatus.POSTED)
            and other.sent_at is not None
            and other.sent_at > event.occurred_at
            for other in letters.values()
        )
        if not later:
            notices.append(
                {
                    "letter_pk": letter.pk,
                    "kind": letter.get_kind_display(),
                    "sent_to": letter.sent_to,
                    "returned_at": event.occurred_at,
                    "summary": event.summary,
                }
            )
    return notices
