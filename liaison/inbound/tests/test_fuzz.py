"""The parser never raises and stays within bounded memory, whatever bytes arrive.

Messages are generated from a small grammar of header lines and MIME parts, with random bytes, broken or
missing boundaries, odd character sets and long headers. Bounded so that it runs in seconds in CI.
"""

from __future__ import annotations

import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Cast
from liaison.inbound.models import InboundMessage
from liaison.inbound.parsing import parse_message
from liaison.inbound.services import inbound_message_ingest

PEAK_LIMIT = 64 * 1024 * 1024

NAMES = [
    b"From",
    b"To",
    b"Cc",
    b"Subject",
    b"Date",
    b"Message-ID",
    b"In-Reply-To",
    b"References",
    b"Received",
    b"Delivered-To",
    b"Content-Type",
    b"Content-Transfer-Encoding",
    b"Content-Disposition",
    b"MIME-Version",
    b"From ",
    b"X-Mailer",
    b"",
]
CHARSETS = [
    b"utf-8",
    b"x-mac-cyrillic",
    b"iso-8859-8-i",
    b"windows-874",
    b"ks_c_5601-1987",
    b"x-martian",
    b"base64",
    b"unknown-8bit",
    b"utf-16",
    b"",
]
CONTENT_TYPES = [
    b"text/plain",
    b"text/html",
    b"multipart/mixed",
    b"multipart/alternative",
    b"message/rfc822",
    b"application/pdf",
    b"image/jpeg",
    b"",
]
ENCODINGS = [b"base64", b"quoted-printable", b"8bit", b"7bit", b"x-uuencode", b"binary", b"bogus"]

junk = st.binary(max_size=200)
words = st.sampled_from(
    [b"Jane Doe", b"<jane@mail.example>", b"unlisted-recipients:;", b"(comment)", b"=?utf-8?q??=", b'"', b"=?", b";"]
)


@st.composite
def header_value(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(junk)
    if kind == 1:
        charset = draw(st.sampled_from(CHARSETS))
        return b"=?" + charset + b"?" + draw(st.sampled_from([b"B", b"Q", b"x"])) + b"?" + draw(junk) + b"?="
    if kind == 2:
        # A long header: the case that made memory grow with its square.
        return draw(st.sampled_from([b"a@b.example, ", b"word ", b"x", b"\n "])) * draw(st.integers(1000, 60_000))
    if kind == 3:
        return b"; ".join(draw(st.lists(words, max_size=6))) + b" " + draw(junk)
    if kind == 4:
        return draw(st.sampled_from([b"Tue, 3 Mar 2026 09:14:22 +0000", b"Thu, 1 Jan 1970", b"x; 99 Foo 99999"]))
    return b" ".join(draw(st.lists(words, max_size=4)))


@st.composite
def header(draw: st.DrawFn) -> bytes:
    name = draw(st.one_of(st.sampled_from(NAMES), st.binary(max_size=12)))
    separator = draw(st.sampled_from([b": ", b":", b"  : ", b" "]))
    return name + separator + draw(header_value())


@st.composite
def part(draw: st.DrawFn, depth: int = 0) -> bytes:
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    charset = draw(st.sampled_from(CHARSETS))
    boundary = draw(st.sampled_from([b"b1", b"----=_NextPart_000_0012_01D9.ABCD", b'"q"', b"", b"=_="]))
    params = b"; charset=" + charset if charset else b""
    if content_type.startswith(b"multipart/"):
        params += b"; boundary=" + boundary
    lines = [b"Content-Type: " + content_type + params]
    if draw(st.booleans()):
        lines.append(b"Content-Transfer-Encoding: " + draw(st.sampled_from(ENCODINGS)))
    if draw(st.booleans()):
        lines.append(b'Content-Disposition: attachment; filename="' + draw(junk) + b'"')
    lines.extend(draw(st.lists(header(), max_size=2)))
    body = draw(junk)
    if content_type.startswith(b"multipart/") and depth < 2:
        marker = boundary.strip(b'"')
        children = draw(st.lists(part(depth + 1), max_size=3))
        body = b"".join(b"--" + marker + b"\n" + child + b"\n" for child in children)
        if draw(st.booleans()):
            body += b"--" + marker + b"--\n"  # else the last part is never closed
    ending = draw(st.sampled_from([b"\n", b"\r\n"]))
    return (b"\n".join(lines) + b"\n\n" + body).replace(b"\n", ending)


@st.composite
def message(draw: st.DrawFn) -> bytes:
    prefix = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"From sender Tue Mar  3 09:14:22 2026\n"]))
    headers = draw(st.lists(header(), max_size=8))
    sender = draw(st.sampled_from([b"From: Jane <jane@mail.example>\n", b"From  : jane@mail.example\n", b""]))
    return prefix + sender + b"\n".join(headers) + b"\n" + draw(part())


def _peak_of_parsing(raw: bytes) -> int:
    tracemalloc.start()
    try:
        parse_message(raw)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(message())
def test_the_parser_never_raises_and_stays_in_bounded_memory(raw: bytes) -> None:
    assert _peak_of_parsing(raw) < PEAK_LIMIT


@settings(max_examples=100, deadline=None, database=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_make_the_parser_raise(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert isinstance(parsed.problem, str)


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(raw=message())
def test_ingesting_generated_messages_never_raises(rgh_complaints: Cast, raw: bytes) -> None:
    result = inbound_message_ingest(raw=raw, site=rgh_complaints.rgh)
    stored = InboundMessage.objects.get(pk=result.message.pk)
    assert stored.status in {"attached", "new_case", "quarantined", "automatic"}
