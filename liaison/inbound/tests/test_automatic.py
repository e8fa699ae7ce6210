"""Bounces, read receipts, abuse reports and automatic replies: kept, never a new case, noted on their case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case, TimelineKind
from liaison.correspondence import services as letters
from liaison.correspondence.models import Letter, LetterStatus
from liaison.inbound.models import AutomaticKind, InboundMessage, InboundStatus
from liaison.inbound.services import inbound_message_ingest
from liaison.lib.pdf import PDF_MISSING_REASON, pdf_available

MESSAGES = Path(__file__).parent / "messages"


def eml(name: str) -> bytes:
    return (MESSAGES / f"automatic-{name}.eml").read_bytes()


def case_page(client: Any, case: Case) -> str:
    response = client.get(reverse("cases:detail", args=[case.reference]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def emailed_letter(
    riverside_case: Case, rgh_complaints: Cast, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> Letter:
    """The acknowledgement of RGH-2026-00001, signed and emailed to the complainant through a real SMTP server."""
    if not pdf_available():
        pytest.skip(PDF_MISSING_REASON)
    cast = rgh_complaints
    letter = letters.letter_draft(acting_user=cast.officer, case=riverside_case, kind="acknowledgement")
    letter = letters.letter_submit(acting_user=cast.officer, letter=letter)
    letter = letters.letter_sign(acting_user=cast.manager, letter=letter)
    with django_capture_on_commit_callbacks(execute=True):
        letter = letters.letter_send(acting_user=cast.officer, letter=letter, by="email")
    [sent] = smtp_server.to("jane.doe@example.net")
    # What the bounces below rely on: the letter's subject carries the case reference.
    assert riverside_case.reference == "RGH-2026-00001" and riverside_case.reference in sent["Subject"]
    assert letter.status == LetterStatus.SENT and letter.sent_to == "jane.doe@example.net"
    return letter


def test_a_bounce_of_an_emailed_letter_is_flagged_on_its_case_and_opens_no_case(
    riverside_case: Case, rgh_complaints: Cast, emailed_letter: Letter, as_user: Any
) -> None:
    cases_before = Case.objects.count()

    message = inbound_message_ingest(raw=eml("postfix-bounce")).message

    assert Case.objects.count() == cases_before
    message.refresh_from_db()
    assert (message.status, message.automatic_kind) == (InboundStatus.AUTOMATIC, AutomaticKind.DSN)
    assert message.case == riverside_case
    assert "not delivered to jane.doe@example.net" in message.reason
    note = riverside_case.timeline.get(kind=TimelineKind.EMAIL, data__inbound_message=message.pk)
    assert note.summary == "Not delivered: the acknowledgement letter emailed to jane.doe@example.net came back"
    assert "5.1.1" in note.body and "User unknown" in note.body
    assert note.data["letter"] == emailed_letter.pk and note.data["delivery"] == "failed"
    assert AuditEvent.objects.filter(action="case.email_received", object_id=str(riverside_case.pk)).exists()

    page = case_page(as_user(rgh_complaints.officer), riverside_case)
    assert "Letter not delivered." in page
    assert "The acknowledgement letter emailed to jane.doe@example.net came back" in page
    assert reverse("correspondence:detail", args=[emailed_letter.pk]) in page
    assert "Not delivered: the acknowledgement letter emailed to jane.doe@example.net came back" in page


def test_a_bounce_is_not_shown_to_those_who_may_not_see_the_complainant(
    riverside_case: Case, rgh_complaints: Cast, emailed_letter: Letter, as_user: Any
) -> None:
    inbound_message_ingest(raw=eml("postfix-bounce"))
    # The executive sees the case's figures and course, not who complained.
    response = as_user(rgh_complaints.executive).get(reverse("cases:detail", args=[riverside_case.reference]))
    assert response.status_code == 200
    assert "jane.doe@example.net" not in response.content.decode()
    assert "Letter not delivered." not in response.content.decode()


def test_an_old_style_bounce_from_the_mailer_daemon_is_recognised(riverside_case: Case, emailed_letter: Letter) -> None:
    message = inbound_message_ingest(raw=eml("qmail-failure-notice")).message

    assert (message.status, message.automatic_kind) == (InboundStatus.AUTOMATIC, AutomaticKind.DSN)
    assert Case.objects.count() == 1
    note = riverside_case.timeline.get(kind=TimelineKind.EMAIL)
    assert note.summary == "Not delivered: the acknowledgement letter emailed to jane.doe@example.net came back"
    assert note.data["letter"] == emailed_letter.pk


def test_a_delayed_delivery_is_noted_but_not_flagged(
    riverside_case: Case, rgh_complaints: Cast, emailed_letter: Letter, as_user: Any
) -> None:
    message = inbound_message_ingest(raw=eml("delayed")).message

    assert message.status == InboundStatus.AUTOMATIC and message.case == riverside_case
    note = riverside_case.timeline.get(kind=TimelineKind.EMAIL)
    assert note.summary.startswith("Delivery delayed: the acknowledgement letter emailed to jane.doe@example.net")
    assert note.data["delivery"] == "delayed"
    assert "Letter not delivered." not in case_page(as_user(rgh_complaints.officer), riverside_case)


def test_a_read_receipt_is_noted_on_the_case(riverside_case: Case, emailed_letter: Letter) -> None:
    message = inbound_message_ingest(raw=eml("read-receipt")).message

    assert (message.status, message.automatic_kind) == (InboundStatus.AUTOMATIC, AutomaticKind.MDN)
    assert Case.objects.count() == 1
    note = riverside_case.timeline.get(kind=TimelineKind.EMAIL)
    assert note.summary == "Read receipt: the acknowledgement letter was opened"
    assert note.data["letter"] == emailed_letter.pk
    assert not riverside_case.attachments.exists()


def test_an_abuse_report_is_noted_on_the_case(riverside_case: Case, emailed_letter: Letter) -> None:
    message = inbound_message_ingest(raw=eml("abuse-report")).message

    assert (message.status, message.automatic_kind) == (InboundStatus.AUTOMATIC, AutomaticKind.ARF)
    assert Case.objects.count() == 1
    note = riverside_case.timeline.get(kind=TimelineKind.EMAIL)
    assert note.summary.startswith("Reported as unwanted mail: the acknowledgement letter")
    assert "abuse" in note.body


def test_an_out_of_office_reply_goes_on_the_case_timeline_not_a_new_case(
    riverside_case: Case, rgh_complaints: Cast, as_user: Any
) -> None:
    message = inbound_message_ingest(raw=eml("out-of-office")).message

    assert (message.status, message.automatic_kind) == (InboundStatus.AUTOMATIC, AutomaticKind.AUTO_REPLY)
    assert message.case == riverside_case and Case.objects.count() == 1
    note = riverside_case.timeline.get(kind=TimelineKind.EMAIL)
    assert note.summary == (
        "Automatic reply from jane.doe@example.net: Automatic reply: We have received your complaint (RGH-2026-00001)"
    )
    assert "I am away until Monday 16 March" in note.body
    page = case_page(as_user(rgh_complaints.officer), riverside_case)
    assert "I am away until Monday 16 March" in page
    assert "Letter not delivered." not in page


def test_an_automatic_reply_naming_no_case_is_only_kept(rgh_complaints: Cast) -> None:
    message = inbound_message_ingest(raw=eml("autoreply-no-reference")).message

    assert (message.status, message.automatic_kind) == (InboundStatus.AUTOMATIC, AutomaticKind.AUTO_REPLY)
    assert message.case is None and not Case.objects.exists()
    assert "names no case" in message.reason
    assert AuditEvent.objects.filter(action="inbound.automatic", object_id=str(message.pk)).exists()


def test_a_web_form_relay_marked_auto_generated_still_opens_a_case(rgh_complaints: Cast) -> None:
    message = inbound_message_ingest(raw=eml("web-form-relay")).message

    assert message.status == InboundStatus.NEW_CASE and message.automatic_kind == ""
    assert message.case is not None and "eye clinic" in message.case.account


def test_a_person_forwarding_a_bounce_has_written_to_us(rgh_complaints: Cast) -> None:
    message = inbound_message_ingest(raw=eml("forwarded-bounce")).message

    assert message.status == InboundStatus.NEW_CASE and message.automatic_kind == ""
    assert "it bounced" in message.case.account  # type: ignore[union-attr]


def test_the_same_bounce_twice_is_noted_once(riverside_case: Case, emailed_letter: Letter) -> None:
    first = inbound_message_ingest(raw=eml("postfix-bounce"))
    again = inbound_message_ingest(raw=eml("postfix-bounce"))

    assert again.message == first.message and not again.created
    assert riverside_case.timeline.filter(kind=TimelineKind.EMAIL).count() == 1
    assert InboundMessage.objects.filter(status=InboundStatus.AUTOMATIC).count() == 1


def test_a_bounce_naming_no_case_is_kept_without_one(rgh_complaints: Cast) -> None:
    raw = eml("postfix-bounce").replace(b"RGH-2026-00001", b"RGH-2026-09999")
    message = inbound_message_ingest(raw=raw).message

    assert message.status == InboundStatus.AUTOMATIC and message.case is None
    assert not Case.objects.exists()
    assert "not delivered to jane.doe@example.net" in message.reason


def test_the_flag_goes_once_the_letter_is_sent_again_by_post(
    riverside_case: Case, rgh_complaints: Cast, emailed_letter: Letter, as_user: Any
) -> None:
    cast = rgh_complaints
    inbound_message_ingest(raw=eml("postfix-bounce"))
    client = as_user(cast.officer)
    assert "Letter not delivered." in case_page(client, riverside_case)

    again = letters.letter_draft(acting_user=cast.officer, case=riverside_case, kind="acknowledgement")
    again = letters.letter_submit(acting_user=cast.officer, letter=again)
    again = letters.letter_sign(acting_user=cast.manager, letter=again)
    letters.letter_send(acting_user=cast.officer, letter=again, by="post")

    page = case_page(client, riverside_case)
    assert "Letter not delivered." not in page
    # The history stays: the bounce is still on the timeline.
    assert "Not delivered: the acknowledgement letter emailed to jane.doe@example.net came back" in page
