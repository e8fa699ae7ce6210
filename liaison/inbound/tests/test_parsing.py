"""Reading raw email: no database, just what the parser makes of the bytes."""

from __future__ import annotations

from liaison.inbound.html_text import html_to_text
from liaison.inbound.parsing import parse_message
from liaison.inbound.tests import samples


def test_the_plain_text_part_is_preferred_to_its_html_twin() -> None:
    parsed = parse_message(samples.webmail_complaint())
    assert parsed.problem == ""
    assert parsed.body.startswith("Hello,\n\nMy father, Albert Carter")
    assert "HTML VERSION" not in parsed.body
    assert [(a.filename, a.content) for a in parsed.attachments] == [("what happened.pdf", samples.PDF)]


def test_case_references_are_read_from_the_subject() -> None:
    parsed = parse_message(samples.outlook_reply("RGH-2026-00042"))
    assert parsed.references == ["RGH-2026-00042"]
    assert parse_message(samples.webmail_complaint(subject="Re: ref 2026-00042")).references == []


def test_html_keeps_paragraphs_line_breaks_lists_quotes_and_links_and_drops_the_rest() -> None:
    html = """<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>
    <h1>Complaint</h1>
    <p>First   line<br/>second line</p>
    <div>In a div</div><div>Another div</div>
    <ol><li>one</li><li>two</li></ol>
    <p>See <a href="https://example.org/form">the form</a> and <a href="mailto:x@example.org">mail us</a>.</p>
    <blockquote><p>Quoted reply</p><p>Second quoted paragraph</p></blockquote>
    <pre>  keep
    spacing</pre>
    <table><tr><td>Ward</td><td>7</td></tr></table>
    </body></html>"""
    assert html_to_text(html) == (
        "Complaint\n\n"
        "First line\nsecond line\n\n"
        "In a div\nAnother div\n\n"
        "- one\n- two\n\n"
        "See the form (https://example.org/form) and mail us.\n\n"
        "> Quoted reply\n>\n> Second quoted paragraph\n\n"
        "  keep\n    spacing\n\n"
        "Ward  7"
    )


def test_a_forwarded_message_keeps_its_headers_and_text() -> None:
    raw = b"""\
From: Ward Manager <ward7@rgh.example>
To: complaints@rgh.example
Subject: Fwd: concern raised on the ward
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/plain; charset=utf-8

Passing this on.
--outer
Content-Type: message/rfc822

From: A Visitor <visitor@mail.example>
Subject: Visiting hours
Date: Mon, 2 Mar 2026 10:00:00 +0000

The visiting hours sign is wrong.
--outer--
"""
    parsed = parse_message(raw)
    assert parsed.problem == ""
    assert parsed.body == (
        "Passing this on.\n\n---------- Forwarded message ----------\n"
        "From: A Visitor <visitor@mail.example>\nDate: Mon, 02 Mar 2026 10:00:00 +0000\nSubject: Visiting hours\n\n"
        "The visiting hours sign is wrong."
    )


def test_attachment_names_lose_any_folder_and_nameless_ones_get_one() -> None:
    raw = b"""\
From: a@mail.example
To: complaints@rgh.example
Subject: files
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

See attached.
--b
Content-Type: application/pdf; name="C:\\\\Users\\\\sam\\\\Desktop\\\\letter.pdf"
Content-Disposition: attachment; filename="../../etc/letter.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjcK
--b
Content-Type: image/png
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--b--
"""
    parsed = parse_message(raw)
    assert [a.filename for a in parsed.attachments] == ["letter.pdf", "attachment-2.png"]


def test_text_in_an_unknown_character_set_is_a_problem() -> None:
    raw = b"From: a@mail.example\nSubject: x\nContent-Type: text/plain; charset=x-martian\n\nzzz\n"
    assert parse_message(raw).problem == "Its text is in a character set Liaison does not know (x-martian)."


def test_mislabelled_and_raw_eight_bit_text_is_kept_readable() -> None:
    raw = (
        b"From: =?iso-8859-1?q?Ren=E9?= <rene@mail.example>\nSubject: caf\xc3\xa9 \xff\x00\n"
        b"Content-Type: text/plain; charset=us-ascii\n\nNa\xc3\xafve text with a NUL \x00 here\n"
    )
    parsed = parse_message(raw)
    assert parsed.problem == ""
    assert parsed.from_name == "René"
    assert parsed.subject == "café \ufffd"
    assert parsed.body == "Naïve text with a NUL  here"
