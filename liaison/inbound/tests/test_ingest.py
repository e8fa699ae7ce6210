"""``inbound_message_ingest``: replies land on their case, new complaints open a case, bad mail is kept aside."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Attachment, Case, TimelineEvent, TimelineKind
from liaison.cases.services import case_merge, case_open
from liaison.inbound import services
from liaison.inbound.models import InboundMessage, InboundStatus
from liaison.inbound.services import inbound_message_ingest
from liaison.inbound.tests import samples
from liaison.lib.errors import ApplicationError
from liaison.lib.uploads import MAX_UPLOAD_BYTES


def download(client: Client, attachment: Attachment) -> bytes:
    response = client.get(reverse("cases:attachment", args=[attachment.case.reference, attachment.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


# -- Replies to a case ---------------------------------------------------------------------------------


def test_an_outlook_reply_goes_on_its_case_timeline_with_its_pdf(
    riverside_case: Case, rgh_complaints: Cast, as_user
) -> None:
    raw = samples.outlook_reply(riverside_case.reference)
    result = inbound_message_ingest(raw=raw)

    message = result.message
    assert result.created
    assert message.status == InboundStatus.ATTACHED
    assert message.case == riverside_case
    assert message.from_address == "jane.doe@example.net"
    # The clocks start at our mail server's Received trace; the sender's Date is kept as information.
    assert message.received_at == datetime(2026, 3, 3, 9, 14, 25, tzinfo=UTC)
    assert message.sender_date == datetime(2026, 3, 3, 9, 14, 22, tzinfo=UTC)

    email = riverside_case.timeline.get(kind=TimelineKind.EMAIL)
    assert email.summary == f"RE: Your complaint {riverside_case.reference}"
    assert email.actor is None
    assert email.occurred_at == message.received_at
    # The plain text part, decoded from Windows-1252 quoted-printable; the quoted history stays.
    assert "discharge summary my mother was given on 14 February – the medication list" in email.body
    assert "We have received your complaint" in email.body
    assert "HTML VERSION" not in email.body
    assert email.data["inbound_message"] == message.pk
    assert email.data["from"] == "jane.doe@example.net"
    assert email.data["message_id"] == "<DB9PR01MB1234ABCD5678@DB9PR01MB1234.eurprd01.prod.outlook.com>"

    attachment = riverside_case.attachments.get()
    assert attachment.original_name == "Discharge summary.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.uploaded_by is None
    assert download(as_user(rgh_complaints.officer), attachment) == samples.PDF
    assert riverside_case.timeline.filter(kind=TimelineKind.ATTACHMENT, summary__contains="Discharge summary").exists()

    assert samples.raw_on_disk(message) == raw
    assert message.raw_file.name == f"inbound/2026/{message.sha256}.eml"
    assert AuditEvent.objects.filter(action="case.email_received", object_id=str(riverside_case.pk)).exists()


def test_a_reference_in_lower_case_still_finds_the_case(riverside_case: Case) -> None:
    raw = samples.outlook_reply(riverside_case.reference.lower())
    assert inbound_message_ingest(raw=raw).message.case == riverside_case


def test_a_reply_about_a_merged_duplicate_goes_on_the_case_that_carries_on(
    riverside_case: Case, rgh_complaints: Cast
) -> None:
    duplicate = case_open(
        acting_user=rgh_complaints.officer, site=rgh_complaints.rgh, case_type="complaint", channel="email"
    )
    case_merge(acting_user=rgh_complaints.officer, duplicate=duplicate, into=riverside_case)

    message = inbound_message_ingest(raw=samples.outlook_reply(duplicate.reference)).message

    assert message.case == riverside_case
    assert riverside_case.timeline.filter(kind=TimelineKind.EMAIL).exists()
    assert not duplicate.timeline.filter(kind=TimelineKind.EMAIL).exists()


def test_a_disguised_executable_is_withheld_and_the_timeline_says_why(riverside_case: Case) -> None:
    raw = samples.outlook_reply(riverside_case.reference, attachment=samples.EXE, filename="letter.pdf")
    result = inbound_message_ingest(raw=raw)

    message = result.message
    assert message.status == InboundStatus.ATTACHED
    assert not riverside_case.attachments.exists()
    assert "letter.pdf" in message.reason
    assert "cannot be attached" in message.reason
    email = riverside_case.timeline.get(kind=TimelineKind.EMAIL)
    assert email.data["withheld"] == [{"name": "letter.pdf", "reason": result.withheld[0].split(": ", 1)[1]}]
    note = riverside_case.timeline.get(kind=TimelineKind.ATTACHMENT)
    assert note.summary == "Not attached from the email: letter.pdf"
    assert "This kind of file cannot be attached" in note.body
    # Nothing is lost: the executable's bytes are still in the stored original.
    assert samples.b64(samples.EXE).splitlines()[0].encode() in samples.raw_on_disk(message)


def test_an_attachment_over_the_size_limit_is_withheld_but_kept_in_the_original(riverside_case: Case, settings) -> None:
    # Encoded, a file just over the 20 MB upload limit makes an email over the default 25 MB limit for email.
    settings.LIAISON_INBOUND_MAX_MESSAGE_BYTES = 40 * 1024 * 1024
    big = b"%PDF-1.7\n" + b"\0" * (MAX_UPLOAD_BYTES + 1)
    raw = samples.outlook_reply(riverside_case.reference, attachment=big, filename="scan.pdf")
    message = inbound_message_ingest(raw=raw).message

    assert message.status == InboundStatus.ATTACHED
    assert not riverside_case.attachments.exists()
    assert "scan.pdf withheld: The file is 20.0 MB; the limit is 20 MB." in message.reason
    assert riverside_case.timeline.filter(kind=TimelineKind.EMAIL).exists()
    assert samples.raw_on_disk(message) == raw


# -- New complaints ------------------------------------------------------------------------------------


def test_a_new_complaint_opens_an_unassigned_email_case_at_the_addressed_site(rgh_complaints: Cast, as_user) -> None:
    raw = samples.webmail_complaint()
    message = inbound_message_ingest(raw=raw).message

    assert message.status == InboundStatus.NEW_CASE
    case = message.case
    assert case is not None
    assert case.site == rgh_complaints.rgh
    assert case.reference == "RGH-2026-00001"
    assert case.owner is None
    assert case.channel == "email"
    assert case.case_type == "complaint"
    assert case.status == "new"
    assert case.received_at == datetime(2026, 3, 3, 21, 47, 6, tzinfo=UTC)  # the Received trace, 13:47:06 -0800
    assert message.received_at == case.received_at
    assert message.sender_date == datetime(2026, 3, 3, 21, 47, 5, tzinfo=UTC)
    assert case.patient_known is False
    assert case.complainant_is_patient is False
    assert case.complainant_name == "Sam Carter"
    assert case.complainant_email == "sam.carter@mail.example"
    assert "Nobody answered his call bell at night" in case.account
    assert "HTML VERSION" not in case.account

    logged = case.timeline.get(kind=TimelineKind.STATUS)
    assert logged.data == {"source": "email"}
    email = case.timeline.get(kind=TimelineKind.EMAIL)
    assert email.summary == "Complaint about my father's care on Ward 7"
    assert email.body == case.account
    assert download(as_user(rgh_complaints.officer), case.attachments.get()) == samples.PDF
    assert message.site == rgh_complaints.rgh
    assert message.to_addresses == ["Complaints@RGH.example"]


def test_a_message_delivered_to_the_complaints_mailbox_in_copy_finds_its_site(rgh_complaints: Cast) -> None:
    raw = b"Delivered-To: complaints@rgh.example\n" + samples.webmail_complaint(to="Ward 7 <ward7@rgh.example>")
    message = inbound_message_ingest(raw=raw).message
    assert message.status == InboundStatus.NEW_CASE
    assert message.site == rgh_complaints.rgh


def test_without_a_matching_recipient_the_site_given_is_used(rgh_complaints: Cast) -> None:
    raw = samples.webmail_complaint(to="pals@hpm.example")
    message = inbound_message_ingest(raw=raw, site=rgh_complaints.hpm).message
    assert message.status == InboundStatus.NEW_CASE
    assert message.case is not None
    assert message.case.site == rgh_complaints.hpm
    assert message.case.reference.startswith("HPM-2026-")


def test_a_mailbox_shared_by_two_sites_needs_the_site_given(rgh_complaints: Cast) -> None:
    rgh_complaints.hpm.complaints_contact_email = "complaints@rgh.example"
    rgh_complaints.hpm.save()

    unsure = inbound_message_ingest(raw=samples.webmail_complaint()).message
    assert unsure.status == InboundStatus.QUARANTINED
    assert unsure.reason == "The recipients match the complaints address of several sites (RGH, HPM); choose one."

    chosen = inbound_message_ingest(
        raw=samples.webmail_complaint(message_id="<other@mail.example>"), site=rgh_complaints.hpm
    )
    assert chosen.message.status == InboundStatus.NEW_CASE
    assert chosen.message.site == rgh_complaints.hpm


def test_an_unknown_recipient_without_a_site_is_kept_aside(rgh_complaints: Cast) -> None:
    raw = samples.webmail_complaint(to="someone@elsewhere.example")
    message = inbound_message_ingest(raw=raw).message

    assert message.status == InboundStatus.QUARANTINED
    assert message.reason.startswith("No site for recipient someone@elsewhere.example")
    assert message.case is None
    assert not Case.objects.exists()
    assert samples.raw_on_disk(message) == raw
    audit = AuditEvent.objects.get(action="inbound.quarantine")
    assert audit.details == {"sha256": message.sha256, "kind": "no_site"}


def test_a_subject_naming_no_real_case_opens_a_new_case_and_says_so(rgh_complaints: Cast) -> None:
    raw = samples.webmail_complaint(subject="About RGH-2025-00999")
    message = inbound_message_ingest(raw=raw).message
    assert message.status == InboundStatus.NEW_CASE
    assert "RGH-2025-00999, which is not a case" in message.reason


def test_an_html_only_message_becomes_readable_text(rgh_complaints: Cast) -> None:
    message = inbound_message_ingest(raw=samples.html_only()).message

    assert message.status == InboundStatus.NEW_CASE
    case = message.case
    assert case is not None
    assert case.complainant_name == "Priya Náir"
    assert message.subject == "Parking charges – blue badge"
    assert case.account == (
        "Dear Sir or Madam,\n\n"
        "I was charged £12 for parking although I have a blue badge.\n"
        "The machine at the main entrance was broken.\n\n"
        "- Date: 2 March\n"
        "- Car park: B\n\n"
        "Regards,\n"
        "Priya Náir"
    )


def test_a_date_in_the_future_does_not_move_the_clocks(rgh_complaints: Cast) -> None:
    raw = samples.webmail_complaint(date="Fri, 1 Jan 2027 09:00:00 +0000")
    message = inbound_message_ingest(raw=raw).message
    assert message.status == InboundStatus.NEW_CASE
    assert message.received_at == datetime(2026, 3, 3, 21, 47, 6, tzinfo=UTC)
    assert message.sender_date == datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
    assert message.case is not None
    assert message.case.received_at == message.received_at


def test_without_a_received_trace_the_clocks_start_when_liaison_read_it(rgh_complaints: Cast) -> None:
    raw = samples.webmail_complaint(date="sometime on Tuesday").split(b"\n", 2)[2]  # no Received header
    message = inbound_message_ingest(raw=raw).message
    assert message.status == InboundStatus.NEW_CASE
    assert message.sender_date is None
    assert abs((message.received_at - timezone.now()).total_seconds()) < 60


# -- Kept aside ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (samples.truncated_multipart(), "its last part is never closed, so the message may have been cut short"),
        (samples.no_sender(), "It has no sender address (From)"),
        (b"", "It has no sender address (From)"),
    ],
    ids=["never-closed-boundary", "no-from", "empty-file"],
)
def test_a_malformed_message_is_kept_aside_with_its_reason_and_raw_bytes(
    rgh_complaints: Cast, raw: bytes, reason: str
) -> None:
    message = inbound_message_ingest(raw=raw).message

    assert message.status == InboundStatus.QUARANTINED
    assert reason in message.reason
    assert samples.raw_on_disk(message) == raw
    assert message.case is None
    assert not Case.objects.exists()
    assert not TimelineEvent.objects.exists()
    assert AuditEvent.objects.filter(action="inbound.quarantine", object_id=str(message.pk)).exists()


def test_a_message_with_a_broken_body_still_keeps_its_headers(rgh_complaints: Cast) -> None:
    message = inbound_message_ingest(raw=samples.truncated_multipart()).message
    assert message.from_address == "tom.reyes@mail.example"
    assert message.subject == "My complaint (with photos)"


def test_a_message_that_a_case_service_refuses_is_kept_aside(
    rgh_complaints: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**kwargs: object) -> Case:
        raise ApplicationError("The site is closed to new cases.")

    monkeypatch.setattr(services, "case_open_by_system", refuse)
    raw = samples.webmail_complaint()
    message = inbound_message_ingest(raw=raw).message

    assert message.status == InboundStatus.QUARANTINED
    assert message.reason == "It could not be filed: The site is closed to new cases."
    assert samples.raw_on_disk(message) == raw
    assert not Case.objects.exists()


# -- Idempotency ---------------------------------------------------------------------------------------


def test_the_same_bytes_twice_are_filed_once(riverside_case: Case) -> None:
    raw = samples.outlook_reply(riverside_case.reference)
    first = inbound_message_ingest(raw=raw)
    again = inbound_message_ingest(raw=raw)

    assert first.created and not again.created
    assert again.message == first.message
    assert InboundMessage.objects.count() == 1
    assert riverside_case.timeline.filter(kind=TimelineKind.EMAIL).count() == 1
    assert riverside_case.attachments.count() == 1


def test_a_quarantined_message_sent_again_is_tried_again_on_the_same_row(rgh_complaints: Cast) -> None:
    raw = samples.truncated_multipart()
    first = inbound_message_ingest(raw=raw).message
    again = inbound_message_ingest(raw=raw)
    assert not again.created
    assert again.refiled
    assert again.message.pk == first.pk
    assert again.message.status == InboundStatus.QUARANTINED
    assert InboundMessage.objects.count() == 1
    assert AuditEvent.objects.filter(action="inbound.quarantine").count() == 1
    assert AuditEvent.objects.filter(action="inbound.refile", object_id=str(first.pk)).count() == 1
