"""Reading one raw email with the standard library: who sent it, to whom, its text and its attachments.

``parse_message`` never raises: a message that cannot be read safely comes back with ``problem`` set, and
whatever headers could be read, so that it can be kept aside with a reason a person understands.

Real mail is often not quite standard. Rather than set a readable complaint aside, the parser mends what mail
programs commonly get wrong (an unquoted boundary, a byte-order mark, ``From  :``, character set names that
only web browsers know), caps over-long headers, and withholds a damaged attachment rather than the whole
message. What it changed or left out is said in ``notes`` and ``withheld``.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import format_datetime, getaddresses, parsedate_to_datetime
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from liaison.inbound.html_text import html_to_text

REFERENCE = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d{4}-\d{5}\b", re.IGNORECASE)

# The standard library's header parser needs time and memory that grow with the square of a header's length;
# these caps keep one message from exhausting the server.
MAX_HEADER_BYTES = 32 * 1024
MAX_HEADERS_BYTES = 1024 * 1024
# A part's Content-Type and Content-Disposition are read many times over; no real one is this long.
MAX_MIME_HEADER_BYTES = 4 * 1024
# Headers kept even past MAX_HEADERS_BYTES: without them the message cannot be filed or read.
_ESSENTIAL_HEADERS = {
    b"from",
    b"sender",
    b"reply-to",
    b"to",
    b"cc",
    b"subject",
    b"date",
    b"message-id",
    b"in-reply-to",
    b"references",
    b"mime-version",
    b"content-type",
    b"content-transfer-encoding",
    b"content-disposition",
    b"delivered-to",
    b"x-original-to",
    b"envelope-to",
}
_MAX_THREAD_IDS = 100
_FORWARD_HEADER_CHARS = 2000

# Defects after which the parts of the message cannot be trusted to be whole.
_STRUCTURE_DEFECTS: dict[type[errors.MessageDefect], str] = {
    errors.NoBoundaryInMultipartDefect: "it says it has several parts but gives no boundary to separate them",
    errors.StartBoundaryNotFoundDefect: "the boundary between its parts never appears",
    errors.CloseBoundaryNotFoundDefect: "its last part is never closed, so the message may have been cut short",
    errors.MultipartInvariantViolationDefect: "it says it has several parts but none could be found",
    errors.InvalidMultipartContentTransferEncodingDefect: "its multipart structure is encoded in a way not allowed",
}
_ENCODING_DEFECTS = (errors.InvalidBase64CharactersDefect, errors.InvalidBase64LengthDefect)

# Character set labels that mail programs take from the WHATWG Encoding Standard (what web browsers accept)
# and Python does not know, each with the Python codec for the same encoding.
WHATWG_ALIASES = {
    "unicode-1-1-utf-8": "utf-8",
    "unicode11utf8": "utf-8",
    "unicode20utf8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "iso-8859-6-e": "iso8859-6",
    "iso-8859-6-i": "iso8859-6",
    "csiso88596e": "iso8859-6",
    "csiso88596i": "iso8859-6",
    "iso-8859-8-e": "iso8859-8",
    "iso-8859-8-i": "iso8859-8",
    "csiso88598e": "iso8859-8",
    "csiso88598i": "iso8859-8",
    "logical": "iso8859-8",
    "visual": "iso8859-8",
    "sun_eu_greek": "iso8859-7",
    "csisolatin9": "iso8859-15",
    # Browsers read Latin-1 as its superset Windows-1252, and ISO-8859-11 as Windows-874.
    "iso88591": "cp1252",
    "iso885911": "cp874",
    "windows-874": "cp874",
    "dos-874": "cp874",
    "x-cp1250": "cp1250",
    "x-cp1251": "cp1251",
    "x-cp1252": "cp1252",
    "x-cp1253": "cp1253",
    "x-cp1254": "cp1254",
    "x-cp1255": "cp1255",
    "x-cp1256": "cp1256",
    "x-cp1257": "cp1257",
    "x-cp1258": "cp1258",
    "koi": "koi8-r",
    "koi8": "koi8-r",
    "cskoi8r": "koi8-r",
    "koi8-ru": "koi8-u",
    "mac": "mac-roman",
    "csmacintosh": "mac-roman",
    "x-mac-roman": "mac-roman",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-ukrainian": "mac-cyrillic",
    "x-gbk": "gbk",
    "gb_2312-80": "gbk",
    "csgb2312": "gbk",
    "iso-ir-58": "gbk",
    "csiso58gb231280": "gbk",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "x-euc-jp": "euc-jp",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "csshiftjis": "cp932",
    "cseuckr": "cp949",
    "iso-ir-149": "cp949",
    "ksc_5601": "cp949",
    "windows-949": "cp949",
    "ks_c_5601-1987": "cp949",
    "ucs-2": "utf-16-le",
    "csunicode": "utf-16-le",
    "iso-10646-ucs-2": "utf-16-le",
    "unicodefeff": "utf-16-le",
    "unicodefffe": "utf-16-be",
    # Written without the hyphen, as some mail programs do.
    **{f"iso8859{n}": f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 16)},
}


def _label(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(" ", "-")


_ALIASES = {_label(key): value for key, value in WHATWG_ALIASES.items()}


def _whatwg_codec(name: str) -> codecs.CodecInfo | None:
    # Registered with the codec registry so the email package decodes encoded words (=?x-mac-cyrillic?...?=)
    # in these character sets too, not only our body decoding.
    target = _ALIASES.get(_label(name))
    return codecs.lookup(target) if target else None


codecs.register(_whatwg_codec)


def codec_for(label: str) -> str | None:
    """The Python codec for a character set label from a message, or None when there is none."""
    try:
        codec = codecs.lookup(label.strip()).name
        "".encode(codec)  # a bytes-to-bytes codec such as base64 is no character set
    except (LookupError, ValueError, TypeError, UnicodeError):
        return None
    return codec


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
    date: datetime | None = None  # the sender's Date header: information, never a clock
    received: datetime | None = None  # the topmost Received header: when our mail server took it in
    thread_ids: list[str] = field(default_factory=list)  # In-Reply-To, then References
    body: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    withheld: list[tuple[str, str]] = field(default_factory=list)  # attachments that could not be read, and why
    notes: list[str] = field(default_factory=list)  # what the parser mended or left out
    problem: str = ""

    @property
    def references(self) -> list[str]:
        """Case references in the subject, in order, upper-cased."""
        return list(dict.fromkeys(match.upper() for match in REFERENCE.findall(self.subject)))

    @property
    def body_sha256(self) -> str:
        """Of the body with line endings and runs of white space made uniform: the same text in other bytes."""
        return hashlib.sha256(" ".join(self.body.split()).encode("utf-8")).hexdigest()


def clean(text: str) -> str:
    """Text safe to store: undecodable bytes become U+FFFD and NULs go (PostgreSQL refuses both)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\x00", "")


def _decoded(text: str, charset: str | None = None) -> str:
    """Header text, with raw 8-bit bytes (kept by the parser as surrogates) read as UTF-8 or else in the
    character set the message declares for its body, which is what the sender's program used."""
    if charset and _has_raw_bytes(text):
        raw = text.encode("utf-8", "surrogateescape")
        for candidate in ("utf-8", charset):
            try:
                return raw.decode(candidate).replace("\x00", "")
            except UnicodeDecodeError:
                continue
    return clean(text)


def _one_line(text: str, charset: str | None = None) -> str:
    return " ".join(_decoded(text, charset).split())


def _raw_values(msg: Message, name: str) -> list[str]:
    """The header's values as they came, unfolded and unparsed: raw 8-bit bytes stay surrogates."""
    # ``raw_items`` would run the modern policy's header parser, which is what may fail or be slow here.
    stored: list[tuple[str, str]] = getattr(msg, "_headers", [])
    return [" ".join(str(value).split()) for key, value in stored if key.lower() == name.lower()]


def _headers(msg: Message, name: str) -> list[object]:
    """Every value of the header, parsed; the raw text of each where the parser trips (it raises on an address
    list holding an empty encoded word, ``=?utf-8?q??=``, or a group with a comment), so one bad header costs
    only itself."""
    try:
        values: list[object] = list(msg.get_all(name) or [])
        for value in values:
            str(value)
        return values
    except Exception:
        return [_compat_text(value) for value in _raw_values(msg, name)]


def _compat_text(value: str) -> str:
    """A raw header value decoded the old way (compat32): encoded words decoded, nothing else parsed."""
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def _has_raw_bytes(text: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in text)


def _header(msg: Message, name: str, charset: str | None) -> str:
    raw = _raw_values(msg, name)
    if raw and _has_raw_bytes(raw[0]):
        # Raw 8-bit text, not encoded words: the modern parser turns it into U+FFFD before we could read it.
        return _one_line(raw[0], charset)
    values = _headers(msg, name)
    return _one_line(str(values[0]), charset) if values else ""


_MAILBOX = re.compile(r"[^@\s]+@[^@\s]+")


def _addresses(msg: Message, charset: str | None, *names: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name in names:
        for header in _headers(msg, name):
            # policy.default gives parsed addresses; an unusual header falls back to the lenient parser.
            try:
                parsed = [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]
            except Exception:
                parsed = []
            if not parsed:
                try:
                    parsed = getaddresses([str(header)])
                except Exception:
                    parsed = []
            found.extend(parsed)
    return [(_one_line(n, charset), _one_line(a)) for n, a in found if _MAILBOX.fullmatch(a.strip())]


def _when(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _date(msg: Message) -> datetime | None:
    values = _raw_values(msg, "Date")
    return _when(values[0]) if values else None


def _received(msg: Message) -> datetime | None:
    """The time in the topmost Received header: the last hop, our own mail server, put it there."""
    values = _raw_values(msg, "Received")
    if not values or ";" not in values[0]:
        return None
    return _when(" ".join(values[0].rpartition(";")[2].split()))


def _thread_ids(msg: Message) -> list[str]:
    ids: list[str] = []
    for name in ("In-Reply-To", "References"):
        for value in _raw_values(msg, name):
            ids.extend(re.findall(r"<[^<>\s]{1,250}>", value))
    return list(dict.fromkeys(ids))[:_MAX_THREAD_IDS]


# Labels some mail programs use for "bytes of an unstated encoding".
_UNKNOWN_CHARSETS = {"unknown-8bit", "x-unknown", "unknown"}


def _charset_of(part: Message) -> str:
    charset = str(part.get_param("charset") or "utf-8").strip().lower()
    return "utf-8" if charset in _UNKNOWN_CHARSETS else charset


def _body_charset(msg: Message) -> str | None:
    """The character set the sender's program declared for the text: its headers were most likely in it too."""
    for part in msg.walk():
        if part.get_content_maintype() == "text" and part.get_param("charset"):
            return codec_for(_charset_of(part))
    return None


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    charset = _charset_of(part)
    codec = codec_for(charset)
    if codec is None:
        raise _Malformed(f"Its text is in a character set Liaison does not know ({_one_line(charset)[:60]}).")
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
    try:
        name = clean(part.get_filename() or "").strip()
    except Exception:
        name = ""
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


def _forward_header(part: Message, charset: str | None) -> str:
    inner = part.get_payload(0) if part.is_multipart() else None
    lines = ["---------- Forwarded message ----------"]
    if isinstance(inner, Message):
        for name in ("From", "Date", "Subject", "To"):
            # For reading only, and there may be many forwarded messages: the start of the raw value, decoded.
            values = _raw_values(inner, name)
            value = _one_line(_compat_text(values[0][:_FORWARD_HEADER_CHARS]), charset) if values else ""
            when = _when(value) if name == "Date" and value else None
            value = format_datetime(when) if when is not None else value
            if value:
                lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _damaged(part: Message) -> bool:
    return any(isinstance(defect, _ENCODING_DEFECTS) for defect in part.defects)


def _content(msg: EmailMessage, parsed: ParsedMessage, charset: str | None) -> None:
    body_part = msg.get_body(preferencelist=("plain", "html"))
    skipped = _skipped_alternatives(msg, body_part)
    texts: list[str] = []
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            texts.append(_forward_header(part, charset))
            continue
        if part.is_multipart() or id(part) in skipped:
            continue
        if part is body_part or not _is_attachment(part):
            texts.append(_text(part))
            if _damaged(part):
                parsed.notes.append(
                    "Part of its text was damaged in transit (invalid base64); what could be read is filed."
                )
            continue
        name = _filename(part, len(parsed.attachments) + len(parsed.withheld) + 1)
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            parsed.withheld.append((name, "It could not be decoded."))
            continue
        if _damaged(part):  # known only once decoded
            parsed.withheld.append(
                (name, "Its encoding was damaged in transit (invalid base64), so it cannot be read whole.")
            )
            continue
        content = payload if isinstance(payload, bytes) else b""
        parsed.attachments.append(ParsedAttachment(name, part.get_content_type(), content))
    parsed.body = "\n\n".join(t.strip("\n") for t in texts if t.strip())


def _structure_problem(msg: Message) -> str:
    for part in msg.walk():
        for defect in part.defects:
            for kind, why in _STRUCTURE_DEFECTS.items():
                if isinstance(defect, kind):
                    return f"The message is malformed: {why}."
    return ""


_BOM = b"\xef\xbb\xbf"
_SPACED_NAME = re.compile(rb"^([!-9;-~]+)[ \t]+:")  # "From  :", an obsolete form the parser takes for a body
_HEADER_NAME = re.compile(rb"^([!-9;-~]+):")


def _kib(size: int) -> str:
    return f"{size // 1024} KB"


def _mend_headers(raw: bytes, notes: list[str]) -> bytes:
    """The message with its header block mended and capped, before the parser sees it."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    end = raw.find(b"\n\n")
    end_crlf = raw.find(b"\n\r\n")
    ends = [i for i in (end, end_crlf) if i >= 0]
    cut = min(ends) + 1 if ends else len(raw)
    head, rest = raw[:cut], raw[cut:]
    if not head.strip():
        return raw

    headers: list[bytes] = []
    for line in head.splitlines(keepends=True):
        if headers and line[:1] in (b" ", b"\t"):
            headers[-1] += line
        else:
            headers.append(line)

    kept: list[bytes] = []
    seen: set[bytes] = set()
    total = dropped = 0
    for header in headers:
        header = _SPACED_NAME.sub(rb"\1:", header, count=1)
        match = _HEADER_NAME.match(header)
        name = match.group(1) if match else b""
        label = name.decode("ascii", "replace")[:60]
        if len(header) > MAX_HEADER_BYTES:
            notes.append(
                f"Its {label or 'unnamed'} header was {_kib(len(header))}; only the first "
                f"{_kib(MAX_HEADER_BYTES)} were read."
            )
            ending = b"\r\n" if header.endswith(b"\r\n") else b"\n"
            header = header[:MAX_HEADER_BYTES].rstrip(b"\r\n") + ending
        key = name.lower()
        # Past the budget, only the first of each header needed to file the message is kept.
        if total + len(header) > MAX_HEADERS_BYTES and (key not in _ESSENTIAL_HEADERS or key in seen):
            dropped += 1
            continue
        seen.add(key)
        total += len(header)
        kept.append(header)
    if dropped:
        notes.append(
            f"{dropped} header{'s' if dropped > 1 else ''} past the first {_kib(MAX_HEADERS_BYTES)} of headers "
            f"{'were' if dropped > 1 else 'was'} left out."
        )
    return b"".join(kept) + rest


# A boundary parameter given without quotes. Outlook Express wrote "boundary=----=_NextPart_000_...", which
# the modern parser cuts short at the "=".
_UNQUOTED_BOUNDARY = re.compile(rb'(?i)(\bboundary[ \t]*=[ \t]*)([^"\s;][^\s;]*)')


class _CappedPolicy(EmailPolicy):
    """The modern policy, with every header value cut short as it is read (also those of the parts and of
    forwarded messages, which the header block's own caps cannot reach), and each parsed once, not at every
    look: the standard library parses a header again each time it is asked for it."""

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        cap = MAX_MIME_HEADER_BYTES if name.lower().startswith("content-") else MAX_HEADER_BYTES
        return name, value[:cap]

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name"):
            return value
        return _parsed_header(self, name, value)


@functools.lru_cache(maxsize=16)
def _parsed_header(policy: Any, name: str, value: str) -> Any:
    # Parsed headers are immutable, so one parse can serve every look at the same header.
    return EmailPolicy.header_fetch_parse(policy, name, value)


_POLICY = _CappedPolicy()


# For other readers of raw mail in this app (automatic.py): the same caps, so that no reader is slower.
POLICY = _POLICY


def _parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=_POLICY).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def read_email(raw: bytes) -> EmailMessage:
    """The message tree of a raw email, its headers mended and capped as ``parse_message`` does. May raise."""
    try:
        return _parse(_mend_headers(raw, []))
    finally:
        _parsed_header.cache_clear()


def parse_message(raw: bytes) -> ParsedMessage:
    try:
        return _parse_message(raw)
    finally:
        # The parsed headers of a large message are large; they are not kept past the message.
        _parsed_header.cache_clear()


def _parse_message(raw: bytes) -> ParsedMessage:
    parsed = ParsedMessage()
    try:
        raw = _mend_headers(raw, parsed.notes)
        msg = _parse(raw)
        if _structure_problem(msg) and _UNQUOTED_BOUNDARY.search(raw):
            mended = _parse(_UNQUOTED_BOUNDARY.sub(rb'\1"\2"', raw))
            if not _structure_problem(mended):
                msg = mended
    except Exception as exc:  # whatever the parser trips on, the message is kept aside
        parsed.problem = f"The message could not be read as an email ({type(exc).__name__})."
        return parsed
    try:
        charset = _body_charset(msg)
        parsed.message_id = _header(msg, "Message-ID", None)[:255]
        parsed.subject = _header(msg, "Subject", charset)
        senders = _addresses(msg, charset, "From")
        if senders:
            parsed.from_name, parsed.from_address = senders[0]
        parsed.to_addresses = list(dict.fromkeys(a for _, a in _addresses(msg, charset, "To", "Cc")))
        delivered = [a for _, a in _addresses(msg, charset, "Delivered-To", "X-Original-To", "Envelope-To")]
        parsed.recipients = list(dict.fromkeys([*parsed.to_addresses, *delivered]))
        parsed.date = _date(msg)
        parsed.received = _received(msg)
        parsed.thread_ids = _thread_ids(msg)
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
        _content(msg, parsed, charset)
    except _Malformed as exc:
        parsed.problem = str(exc)
    except Exception as exc:
        parsed.problem = f"Its content could not be read ({type(exc).__name__})."
    return parsed
