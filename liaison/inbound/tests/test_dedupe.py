"""The same message in other bytes is not filed twice, and replies find their case by the thread headers."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

from django.core.management import call_command

from conftest import Cast
from liaison.cases.models import Case, TimelineKind
from liaison.inbound.models import InboundMessage, InboundStatus
from liaison.inbound.services import inbound_message_ingest
from liaison.inbound.tests import samples


def test_the_same_message_with_crlf_line_endings_is_a_duplicate(rgh_complaints: Cast) -> None:
    lf = samples.webmail_complaint()
    first = inbound_message_ingest(raw=lf)
    again = inbound_message_ingest(raw=lf.replace(b"\n", b"\r\n"))

    assert first.created
    assert not again.created
    assert again.duplicate
    assert again.message.pk == first.message.pk
    assert InboundMessage.objects.count() == 1
    assert Case.objects.count() == 1
    assert first.message.body_sha256 == InboundMessage.objects.get().body_sha256 != ""


def test_the_same_message_with_one_more_received_header_is_a_duplicate(riverside_case: Case) -> None:
    raw = samples.outlook_reply(riverside_case.reference)
    inbound_message_ingest(raw=raw)
    relayed = b"Received: from mx2.rgh.example by mx1.rgh.example; Wed, 4 Mar 2026 09:50:00 +0000\r\n" + raw
    again = inbound_message_ingest(raw=relayed)

    assert again.duplicate
    assert riverside_case.timeline.filter(kind=TimelineKind.EMAIL).count() == 1
    assert riverside_case.attachments.count() == 1


def test_the_same_message_id_with_other_text_is_a_new_message(rgh_complaints: Cast) -> None:
    inbound_message_ingest(raw=samples.webmail_complaint())
    other = samples.webmail_complaint().replace(b"Nobody answered", b"No nurse answered")
    result = inbound_message_ingest(raw=other)
    assert result.created and not result.duplicate
    assert Case.objects.count() == 2


def test_a_message_kept_aside_does_not_stop_the_same_message_being_filed(rgh_complaints: Cast) -> None:
    aside = inbound_message_ingest(raw=samples.webmail_complaint(to="nobody@elsewhere.example")).message
    assert aside.status == InboundStatus.QUARANTINED
    filed = inbound_message_ingest(raw=samples.webmail_complaint()).message
    assert filed.status == InboundStatus.NEW_CASE


def test_the_command_says_which_message_it_duplicates(rgh_complaints: Cast, tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(samples.webmail_complaint())
    (tmp_path / "b.eml").write_bytes(samples.webmail_complaint().replace(b"\n", b"\r\n"))
    out = StringIO()
    call_command("mail", "ingest", str(tmp_path), stdout=out)

    first = InboundMessage.objects.get()
    assert out.getvalue().splitlines() == [
        "a.eml  new case  RGH-2026-00001",
        f"b.eml  duplicate of inbound message {first.pk}  RGH-2026-00001",
        "2 messages: 0 attached to a case, 1 new case, 0 quarantined, 1 already ingested.",
    ]


def test_a_reply_without_the_reference_finds_its_case_by_in_reply_to(rgh_complaints: Cast) -> None:
    complaint = inbound_message_ingest(raw=samples.webmail_complaint()).message
    reply = (
        b"From: Sam Carter <sam.carter@mail.example>\n"
        b"To: complaints@rgh.example\n"
        b"Subject: Re: Complaint about my father's care\n"
        b"Message-ID: <reply.1@mail.example>\n"
        b"In-Reply-To: <CAF3kq9Ue1x7=Zt2p0wKk2@mail.gmail.example>\n"
        b"References: <older@mail.example>\n <CAF3kq9Ue1x7=Zt2p0wKk2@mail.gmail.example>\n"
        b"\n"
        b"I forgot to say: it happened again on the last night.\n"
    )
    message = inbound_message_ingest(raw=reply).message

    assert message.status == InboundStatus.ATTACHED
    assert message.case == complaint.case
    assert Case.objects.count() == 1
    assert complaint.case is not None
    assert complaint.case.timeline.filter(kind=TimelineKind.EMAIL).count() == 2


def test_a_reply_to_a_message_kept_aside_opens_a_case(rgh_complaints: Cast) -> None:
    inbound_message_ingest(raw=samples.webmail_complaint(to="nobody@elsewhere.example"))
    reply = (
        b"From: Sam Carter <sam.carter@mail.example>\nTo: complaints@rgh.example\nSubject: Re: my complaint\n"
        b"Message-ID: <reply.2@mail.example>\nIn-Reply-To: <CAF3kq9Ue1x7=Zt2p0wKk2@mail.gmail.example>\n\nAnyone?\n"
    )
    message = inbound_message_ingest(raw=reply).message
    assert message.status == InboundStatus.NEW_CASE


def test_every_regular_file_in_a_folder_is_read_whatever_its_name(rgh_complaints: Cast, tmp_path: Path) -> None:
    # Files copied out of a Maildir's cur/ and new/ have no extension.
    (tmp_path / "1772574425.M2P100.mx1:2,S").write_bytes(samples.webmail_complaint())
    (tmp_path / "1772574499.M3P100.mx1").write_bytes(samples.html_only())
    (tmp_path / ".1772574500.M4P100.mx1").write_bytes(samples.html_only())
    (tmp_path / "sub").mkdir()
    out = StringIO()
    call_command("mail", "ingest", str(tmp_path), stdout=out)

    assert out.getvalue().splitlines() == [
        "1772574425.M2P100.mx1:2,S  new case  RGH-2026-00001",
        "1772574499.M3P100.mx1  new case  RGH-2026-00002",
        "2 messages: 0 attached to a case, 2 new cases, 0 quarantined, 0 already ingested; 2 skipped.",
        ".1772574500.M4P100.mx1  skipped  -  a hidden file",
        "sub  skipped  -  a folder, not a file",
    ]
    assert Case.objects.count() == 2
