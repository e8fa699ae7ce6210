"""Reading one raw email with the standard library: who sent it, to whom, its text and its attachments.

``parse_message`` never raises: a message that cannot be read safely comes back with ``problem`` set, and
whatever headers could be read, so that it can be kept aside with a reason a person understands.
"""

from __future__ import annotations

import codecs
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors, policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import PurePosixPath, PureWindowsPath

from liaison.inbound.html_text import html_to_text

REFERENCE = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d{4}-\d{5}\b", re.IGNORECASE)

# Defects after which the parts of the message cannot be trusted to be whole.
_STRUCTURE_DEFECTS: dict[type[errors.MessageDefect], str] = {
    errors.NoBoundaryInMultipartDefect: "it says it has several parts but gives no boundary to separate them",
    errors.StartBoundaryNotFoundDefect: "the boundary between its parts never appears",
    errors.CloseBoundaryNotFoundDefect: "its last part is never closed, so the message may have been cut short",
    errors.MultipartInvariantViolationDefect: "it says it has several parts but none could be found",
    errors.InvalidMultipartContentTransferEncodingDefect: "its multipart structure is encoded in a way not allowed",
}
_ENCODING_DEFECTS = (errors.InvalidBase64CharactersDefect, errors.InvalidBase64LengthDefect)


class _Malformed(Exception):
    pass


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedMessage:
    message_id: str = ""
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    to_addresses: list[str] = field(default_factory=list)
    # To and Cc, plus the delivery headers a mail server adds: the mailbox it was really delivered to.
    recipients: list[str] = field(default_factory=list)
    date: datetime | None = None
    body: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    problem: str = ""

    @property
    def references(self) -> list[str]:
        """Case references in the subject, in order, upper-cased."""
        return list(dict.fromkeys(match.upper() for match in REFERENCE.findall(self.subject)))


def clean(text: str) -> str:
    """Text safe to store: undecodable bytes become U+FFFD and NULs go (PostgreSQL refuses both)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\x00", "")


def _one_line(text: str) -> str:
    return " ".join(clean(text).split())


def _headers(msg: Message, name: str) -> list[object]:
    """Every value of the header, parsed; the raw text of each where the parser trips (it raises IndexError on
    an address list holding an empty encoded word, ``=?utf-8?q??=``), so one bad header costs only itself."""
    try:
        return list(msg.get_all(name) or [])
    except Exception:
        return [value for key, value in msg.raw_items() if key.lower() == name.lower()]


def _addresses(msg: Message, *names: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name in names:
        for header in _headers(msg, name):
            # policy.default gives parsed addresses; an unusual header falls back to the lenient parser.
            try:
                parsed = [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]
            except Exception:
                parsed = []
            found.extend(parsed or getaddresses([str(header)]))
    return [(_one_line(n), _one_line(a)) for n, a in found if "@" in a and " " not in a.strip()]


def _date(msg: Message) -> datetime | None:
    value = msg.get("Date")
    if value is None:
        return None
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# Labels some mail programs use for "bytes of an unstated encoding".
_UNKNOWN_CHARSETS = {"unknown-8bit", "x-unknown", "unknown"}


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    charset = (part.get_content_charset() or "utf-8").lower()
    charset = "utf-8" if charset in _UNKNOWN_CHARSETS else charset
    try:
        codec = codecs.lookup(charset).name
        "".encode(codec)  # a bytes-to-bytes codec such as base64 is no character set
    except LookupError:
        raise _Malformed(f"Its text is in a character set Liaison does not know ({charset}).") from None
    for candidate in (codec, "utf-8"):
        try:
            text = raw.decode(candidate)
            break
        except UnicodeDecodeError:
            continue
    else:
        # Wrongly labelled text: keep what can be read rather than set the message aside.
        text = raw.decode(codec, errors="replace")
    text = clean(text).replace("\r\n", "\n")
    return html_to_text(text) if part.get_content_subtype() == "html" else text


def _is_attachment(part: Message) -> bool:
    return (
        part.get_content_disposition() == "attachment"
        or part.get_filename() is not None
        or part.get_content_type() not in ("text/plain", "text/html")
    )


def _filename(part: Message, number: int) -> str:
    name = clean(part.get_filename() or "").strip()
    # Only the last path component, whichever separator the sender's system used.
    name = PureWindowsPath(PurePosixPath(name).name).name.strip(". ")
    if not name:
        extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
        name = f"attachment-{number}{extension}"
    return name[-255:]


def _skipped_alternatives(msg: EmailMessage, body_part: Message | None) -> set[int]:
    """The text parts that only repeat another part in another format (the HTML beside the plain text)."""
    skipped: set[int] = set()
    for part in msg.walk():
        if part.get_content_type() != "multipart/alternative" or not isinstance(part, EmailMessage):
            continue
        children = list(part.iter_parts())
        chosen = next((c for c in children if any(leaf is body_part for leaf in c.walk())), None)
        for preferred in ("text/plain", "text/html", "multipart/related"):
            chosen = chosen or next((c for c in children if c.get_content_type() == preferred), None)
        chosen = chosen or (children[0] if children else None)
        for child in children:
            if child is not chosen:
                skipped.update(id(leaf) for leaf in child.walk() if not _is_attachment(leaf))
    return skipped


def _forward_header(part: Message) -> str:
    inner = part.get_payload(0) if part.is_multipart() else None
    lines = ["---------- Forwarded message ----------"]
    if isinstance(inner, Message):
        for name in ("From", "Date", "Subject", "To"):
            if inner.get(name) is not None:
                lines.append(f"{name}: {_one_line(str(inner.get(name)))}")
    return "\n".join(lines)


def _content(msg: EmailMessage) -> tuple[str, list[ParsedAttachment]]:
    body_part = msg.get_body(preferencelist=("plain", "html"))
    skipped = _skipped_alternatives(msg, body_part)
    texts: list[str] = []
    attachments: list[ParsedAttachment] = []
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            texts.append(_forward_header(part))
            continue
        if part.is_multipart() or id(part) in skipped:
            continue
        is_text = part is body_part or not _is_attachment(part)
        if is_text:
            texts.append(_text(part))
        else:
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            attachments.append(
                ParsedAttachment(_filename(part, len(attachments) + 1), part.get_content_type(), content)
            )
        for defect in part.defects:
            if isinstance(defect, _ENCODING_DEFECTS):
                what = "its text" if is_text else f"the attachment {attachments[-1].filename}"
                raise _Malformed(f"The encoding of {what} is damaged (invalid base64), so it cannot be read whole.")
    return "\n\n".join(t.strip("\n") for t in texts if t.strip()), attachments


def _structure_problem(msg: Message) -> str:
    for part in msg.walk():
        for defect in part.defects:
            for kind, why in _STRUCTURE_DEFECTS.items():
                if isinstance(defect, kind):
                    return f"The message is malformed: {why}."
    return ""


def parse_message(raw: bytes) -> ParsedMessage:
    parsed = ParsedMessage()
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # whatever the parser trips on, the message is kept aside
        parsed.problem = f"The message could not be read as an email ({type(exc).__name__})."
        return parsed
    assert isinstance(msg, EmailMessage)
    try:
        parsed.message_id = _one_line(str(msg.get("Message-ID") or ""))[:255]
        parsed.subject = _one_line(str(msg.get("Subject") or ""))
        senders = _addresses(msg, "From")
        if senders:
            parsed.from_name, parsed.from_address = senders[0]
        parsed.to_addresses = list(dict.fromkeys(a for _, a in _addresses(msg, "To", "Cc")))
        delivered = [a for _, a in _addresses(msg, "Delivered-To", "X-Original-To", "Envelope-To")]
        parsed.recipients = list(dict.fromkeys([*parsed.to_addresses, *delivered]))
        parsed.date = _date(msg)
    except Exception as exc:
        parsed.problem = f"Its headers could not be read ({type(exc).__name__})."
        return parsed
    if not parsed.from_address:
        parsed.problem = "It has no sender address (From), so nobody could be answered."
        return parsed
    parsed.problem = _structure_problem(msg)
    if parsed.problem:
        return parsed
    try:
        parsed.body, parsed.attachments = _content(msg)
    except _Malformed as exc:
        parsed.problem = str(exc)
    except Exception as exc:
        parsed.problem = f"Its content could not be read ({type(exc).__name__})."
    return parsed
