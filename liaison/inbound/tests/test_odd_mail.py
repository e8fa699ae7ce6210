"""Mail that real programs send but that is not quite standard is read and filed, not kept aside.

The messages are in ``messages/``, each the shape one mail program writes; the clock is frozen at 10:00 on
4 March 2026 (conftest).
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from conftest import Cast
from liaison.cases.models import Case, TimelineKind
from liaison.inbound.models import InboundMessage, InboundStatus
from liaison.inbound.parsing import WHATWG_ALIASES, parse_message
from liaison.inbound.services import inbound_message_ingest, inbound_message_refile
from liaison.inbound.tests import samples
from liaison.inbound.tests.conftest import NOW

MESSAGES = Path(__file__).parent / "messages"


def message(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "subject", "text"),
    [
        ("outlook-express-unquoted-boundary.eml", "The waiting room clock", "broken for weeks – nobody knows"),
        ("unlisted-recipients.eml", "Visiting hours on Ward 3", "still gives last year's visiting hours"),
        ("mac-cyrillic-eight-bit-subject.eml", "Жалоба на регистратуру", "Никто не ответил на звонок."),
        ("hebrew-iso-8859-8-i.eml", "תלונה", "המתנתי שש שעות."),
        ("thai-windows-874.eml", "ร้องเรียน", "รอนานมาก"),
        ("korean-ks-c-5601-1987.eml", "불만", "주차장이 너무 비쌉니다."),
        ("byte-order-mark-and-spaced-from.eml", "Lost property", "My coat was left on Ward 5"),
    ],
)
def test_a_readable_complaint_in_an_unusual_shape_opens_a_case(
    rgh_complaints: Cast, name: str, subject: str, text: str
) -> None:
    result = inbound_message_ingest(raw=message(name))

    filed = InboundMessage.objects.get(pk=result.message.pk)
    assert filed.status == InboundStatus.NEW_CASE, filed.reason
    assert filed.site == rgh_complaints.rgh
    assert filed.subject == subject
    case = filed.case
    assert case is not None
    assert text in case.account
    email = case.timeline.get(kind=TimelineKind.EMAIL)
    assert email.summary == subject
    assert text in email.body


def test_the_outlook_express_html_twin_is_not_added_to_the_text(rgh_complaints: Cast) -> None:
    filed = inbound_message_ingest(raw=message("outlook-express-unquoted-boundary.eml")).message
    assert filed.case is not None
    assert "HTML TWIN" not in filed.case.account
    assert filed.from_address == "ann.example@mail.example"


def test_the_sender_of_a_message_with_a_byte_order_mark_and_from_space_colon_is_read(rgh_complaints: Cast) -> None:
    filed = inbound_message_ingest(raw=message("byte-order-mark-and-spaced-from.eml")).message
    assert filed.case is not None
    assert filed.case.complainant_name == "Bea Example"
    assert filed.case.complainant_email == "bea@mail.example"


def test_a_group_address_with_a_comment_is_no_recipient_but_the_delivery_header_finds_the_site(
    rgh_complaints: Cast,
) -> None:
    filed = inbound_message_ingest(raw=message("unlisted-recipients.eml")).message
    assert filed.to_addresses == []
    assert filed.site == rgh_complaints.rgh


@pytest.mark.parametrize("label", sorted(WHATWG_ALIASES))
def test_every_browser_character_set_label_is_read(label: str) -> None:
    codec = WHATWG_ALIASES[label]
    text = "Ward 7 – no answer" if codec.startswith(("utf", "cp125", "mac-roman")) else "Ward 7"
    raw = (
        f"From: a@mail.example\nSubject: =?{label}?b?{samples.base64.b64encode(text.encode(codec)).decode()}?=\n"
        f"Content-Type: text/plain; charset={label}\nContent-Transfer-Encoding: base64\n\n"
        f"{samples.base64.b64encode(text.encode(codec)).decode()}\n"
    ).encode()
    parsed = parse_message(raw)
    assert parsed.problem == ""
    assert parsed.body == text
    assert parsed.subject == text


def test_one_damaged_attachment_is_withheld_and_the_rest_is_filed(rgh_complaints: Cast) -> None:
    raw = message("one-damaged-attachment.eml")
    result = inbound_message_ingest(raw=raw)

    filed = result.message
    assert filed.status == InboundStatus.NEW_CASE
    case = filed.case
    assert case is not None
    assert "Both of the GP's letters are attached." in case.account
    assert [a.original_name for a in case.attachments.all()] == ["second letter.pdf"]
    assert "Attachment first letter.pdf withheld: Its encoding was damaged in transit (invalid base64)" in filed.reason
    note = case.timeline.get(kind=TimelineKind.ATTACHMENT, summary__startswith="Not attached")
    assert note.summary == "Not attached from the email: first letter.pdf"
    assert "kept with the original email" in note.body
    assert samples.raw_on_disk(filed) == raw


def test_the_old_garbage_base64_sample_is_now_filed_with_its_attachment_withheld(rgh_complaints: Cast) -> None:
    filed = inbound_message_ingest(raw=samples.garbage_base64()).message
    assert filed.status == InboundStatus.NEW_CASE
    assert filed.case is not None
    assert not filed.case.attachments.exists()
    assert "gp letter.pdf withheld" in filed.reason


# -- The received date ---------------------------------------------------------------------------------


def test_a_message_dated_1969_opens_a_case_received_now_and_not_overdue(rgh_complaints: Cast) -> None:
    filed = inbound_message_ingest(raw=message("dated-1969.eml")).message

    assert filed.sender_date == datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert abs((filed.received_at - timezone.now()).total_seconds()) < 60
    case = Case.objects.get(pk=filed.case_id)
    assert case.received_at == filed.received_at
    assert case.ack_due_at is not None and case.ack_due_at > timezone.now()
    assert case.response_due_at is not None and case.response_due_at > timezone.now()
    assert case.next_due_at is not None and case.next_due_at > timezone.now()


def test_a_received_trace_of_two_hours_ago_starts_the_clocks_then(rgh_complaints: Cast) -> None:
    filed = inbound_message_ingest(raw=message("outlook-express-unquoted-boundary.eml")).message

    assert filed.received_at == NOW - timedelta(hours=2)
    assert filed.sender_date == datetime(2026, 3, 4, 7, 59, 12, tzinfo=UTC)
    case = Case.objects.get(pk=filed.case_id)
    assert case.received_at == NOW - timedelta(hours=2)
    assert case.timeline.get(kind=TimelineKind.EMAIL).occurred_at == NOW - timedelta(hours=2)


@pytest.mark.parametrize(
    ("trace", "expected"),
    [
        ("Mon, 2 Feb 2026 10:00:00 +0000", NOW - timedelta(days=30)),  # too long ago: no earlier than 30 days
        ("Sat, 1 Jan 2028 10:00:00 +0000", NOW),  # later than now: not trusted
        ("whenever", NOW),
    ],
    ids=["old", "future", "unreadable"],
)
def test_a_received_trace_out_of_bounds_is_held_to_them(rgh_complaints: Cast, trace: str, expected: datetime) -> None:
    raw = f"Received: from relay.mail.example by mx1.rgh.example; {trace}\n".encode() + message("dated-1969.eml")
    filed = inbound_message_ingest(raw=raw).message
    assert abs((filed.received_at - expected).total_seconds()) < 60


# -- Size caps -----------------------------------------------------------------------------------------


def test_a_message_over_the_size_limit_is_kept_aside_unread_and_can_be_refiled_later(
    rgh_complaints: Cast, settings
) -> None:
    settings.LIAISON_INBOUND_MAX_MESSAGE_BYTES = 1024
    raw = samples.webmail_complaint()
    assert len(raw) == 1744

    kept = inbound_message_ingest(raw=raw).message
    assert kept.status == InboundStatus.QUARANTINED
    assert kept.reason.startswith("The message is 1.7 KB, over the limit of 1.0 KB for email, so it was not read.")
    assert kept.from_address == ""  # not parsed at all
    assert samples.raw_on_disk(kept) == raw

    settings.LIAISON_INBOUND_MAX_MESSAGE_BYTES = 25 * 1024 * 1024
    again = inbound_message_refile(acting_user=rgh_complaints.admin, message=kept)
    assert again.message.pk == kept.pk
    kept.refresh_from_db()
    assert kept.status == InboundStatus.NEW_CASE
    assert kept.from_address == "sam.carter@mail.example"


@pytest.mark.parametrize(
    "header",
    [
        b"Subject: Complaint " + b"word " * 200_000,
        b"To: complaints@rgh.example, " + b"someone@mail.example, " * 48_000,
        b"X-Spam-Report: " + b"x" * 1_000_000,
        b"".join(b"X-Tracking-%d: %s\n" % (i, b"y" * 10_000) for i in range(120)).rstrip(b"\n"),
        b"".join(b"To: complaints@rgh.example, " + b"x@mail.example, " * 1_900 + b"\n" for _ in range(60)).rstrip(),
    ],
    ids=["long-subject", "long-to", "one-long-word", "many-headers", "many-to-headers"],
)
def test_a_megabyte_of_headers_is_cut_short_quickly_in_bounded_memory(rgh_complaints: Cast, header: bytes) -> None:
    raw = (
        b"From: Sam <sam@mail.example>\nMessage-ID: <big@mail.example>\n"
        + header
        + (b"\nTo: complaints@rgh.example\nContent-Type: text/plain\n\nThe car park barrier is broken.\n")
    )
    assert len(raw) > 1_000_000

    started = time.monotonic()
    tracemalloc.start()
    try:
        result = inbound_message_ingest(raw=raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 64 * 1024 * 1024
    assert time.monotonic() - started < 20
    filed = InboundMessage.objects.get(pk=result.message.pk)
    assert filed.status == InboundStatus.NEW_CASE
    assert filed.case is not None
    assert filed.case.account == "The car park barrier is broken."
    assert "only the first 32 KB were read" in filed.reason or "headers were left out" in filed.reason
    assert len(filed.subject) <= 500


@pytest.mark.parametrize(
    "inner",
    [
        b"Content-Type: message/rfc822\n\nFrom: x@mail.example\nTo: " + b"a@b.example, " * 80_000 + b"\n\nFwd text\n",
        b'Content-Type: application/pdf; name="' + b"a " * 500_000 + b'"\n\nJVBERi0xLjcK\n',
        b'Content-Type: application/pdf\nContent-Disposition: attachment; filename="'
        + b"w " * 500_000
        + b'"\n\nJVBE\n',
    ],
    ids=["forwarded-long-to", "long-content-type", "long-content-disposition"],
)
def test_a_megabyte_header_inside_a_part_is_cut_short_too(rgh_complaints: Cast, inner: bytes) -> None:
    raw = (
        b"From: Sam <sam@mail.example>\nTo: complaints@rgh.example\nSubject: Parts\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nSee below.\n--b\n'
        + inner
        + b"--b--\n"
    )
    started = time.monotonic()
    tracemalloc.start()
    try:
        result = inbound_message_ingest(raw=raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 64 * 1024 * 1024
    assert time.monotonic() - started < 20
    filed = InboundMessage.objects.get(pk=result.message.pk)
    assert filed.status == InboundStatus.NEW_CASE
    assert filed.case is not None
    assert filed.case.account.startswith("See below.")
