"""Re-filing a message kept aside: from the command line, from the admin, or by ingesting the same bytes again.

The stored original is read with today's parser and filed as an ingest would file it, on the same row.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.cases.models import Case, TimelineKind
from liaison.inbound.models import InboundMessage, InboundStatus
from liaison.inbound.services import inbound_message_ingest, inbound_message_refile
from liaison.inbound.tests import samples
from liaison.lib.errors import ApplicationError

MESSAGES = Path(__file__).parent / "messages"


def refile(*args: str) -> list[str]:
    out = StringIO()
    call_command("mail", "refile", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def without_site(rgh_complaints: Cast) -> InboundMessage:
    """A complaint addressed to a mailbox no site claims, kept aside."""
    message = inbound_message_ingest(raw=samples.webmail_complaint(to="pals@hpm.example")).message
    assert message.status == InboundStatus.QUARANTINED
    return message


def test_the_command_refiles_a_message_kept_aside_at_the_site_given(rgh_complaints: Cast, without_site) -> None:
    lines = refile(str(without_site.pk), "--site", "hpm")

    assert lines == [f"Inbound message {without_site.pk}  re-filed: new case  HPM-2026-00001"]
    message = InboundMessage.objects.get(pk=without_site.pk)
    assert message.status == InboundStatus.NEW_CASE
    assert message.site == rgh_complaints.hpm
    assert message.reason == ""
    assert message.case is not None
    assert message.case.reference == "HPM-2026-00001"
    assert "Nobody answered his call bell at night" in message.case.account
    assert message.case.timeline.filter(kind=TimelineKind.EMAIL).count() == 1
    assert InboundMessage.objects.count() == 1
    audit = AuditEvent.objects.get(action="inbound.refile", object_id=str(message.pk))
    # The sha256 and the outcome only: no address, subject or name.
    assert audit.details == {"sha256": message.sha256, "status": "new_case"}
    assert audit.actor is None


def test_refiling_without_a_site_keeps_it_aside_with_todays_reason(without_site: InboundMessage) -> None:
    lines = refile(str(without_site.pk))
    assert lines[0].startswith(f"Inbound message {without_site.pk}  re-filed: quarantined  -  No site for recipient")
    message = InboundMessage.objects.get(pk=without_site.pk)
    assert message.status == InboundStatus.QUARANTINED
    assert AuditEvent.objects.get(action="inbound.refile").details["status"] == "quarantined"
    assert not Case.objects.exists()


def test_a_filed_message_cannot_be_refiled(rgh_complaints: Cast) -> None:
    filed = inbound_message_ingest(raw=samples.webmail_complaint()).message
    with pytest.raises(CommandError, match="Only a message kept aside can be re-filed"):
        refile(str(filed.pk))
    with pytest.raises(ApplicationError):
        inbound_message_refile(acting_user=rgh_complaints.admin, message=filed)
    assert Case.objects.count() == 1
    assert not AuditEvent.objects.filter(action="inbound.refile").exists()


def test_an_unknown_number_or_site_is_a_clear_error(without_site: InboundMessage) -> None:
    with pytest.raises(CommandError, match="No inbound message has the number 999"):
        refile("999")
    with pytest.raises(CommandError, match="No site has the code XYZ"):
        refile(str(without_site.pk), "--site", "XYZ")


def test_the_same_bytes_ingested_again_with_a_site_are_filed_on_the_same_row(
    rgh_complaints: Cast, without_site: InboundMessage
) -> None:
    again = inbound_message_ingest(raw=samples.webmail_complaint(to="pals@hpm.example"), site=rgh_complaints.hpm)

    assert again.refiled and not again.created
    assert again.message.pk == without_site.pk
    message = InboundMessage.objects.get(pk=without_site.pk)
    assert message.status == InboundStatus.NEW_CASE
    assert message.site == rgh_complaints.hpm
    assert InboundMessage.objects.count() == 1
    # Once filed, the same bytes are only recognised.
    third = inbound_message_ingest(raw=samples.webmail_complaint(to="pals@hpm.example"), site=rgh_complaints.hpm)
    assert not third.created and not third.refiled
    assert Case.objects.count() == 1


def test_a_message_the_old_parser_kept_aside_is_read_by_todays(rgh_complaints: Cast) -> None:
    """As if kept aside before this parser: the row says quarantined, the original is on disk."""
    raw = (MESSAGES / "outlook-express-unquoted-boundary.eml").read_bytes()
    filed = inbound_message_ingest(raw=raw).message
    case_pk = filed.case_id
    InboundMessage.objects.filter(pk=filed.pk).update(
        status=InboundStatus.QUARANTINED, case=None, site=None, reason="The message is malformed: ..."
    )
    Case.objects.filter(pk=case_pk).update(reference="RGH-2026-00999")  # out of the way, not deleted

    result = inbound_message_refile(acting_user=rgh_complaints.admin, message=filed)

    message = InboundMessage.objects.get(pk=filed.pk)
    assert result.refiled
    assert message.status == InboundStatus.NEW_CASE
    assert message.case is not None and message.case.pk != case_pk
    assert "broken for weeks" in message.case.account
    audit = AuditEvent.objects.get(action="inbound.refile")
    assert audit.actor == rgh_complaints.admin


# -- The admin action -------------------------------------------------------------------------------------


def test_an_administrator_refiles_from_the_admin_list(rgh_complaints: Cast, as_user) -> None:
    kept = inbound_message_ingest(raw=samples.webmail_complaint()).message
    aside = inbound_message_ingest(
        raw=samples.webmail_complaint(to="nobody@elsewhere.example", message_id="<aside@mail.example>")
    ).message
    assert aside.status == InboundStatus.QUARANTINED
    # The office sets up the address, then re-files what waited for it.
    rgh_complaints.hpm.complaints_contact_email = "nobody@elsewhere.example"
    rgh_complaints.hpm.save()

    client = as_user(rgh_complaints.admin)
    url = reverse("admin:inbound_inboundmessage_changelist")
    listing = client.get(url)
    assert "Re-file" in listing.content.decode()
    response = client.post(url, {"action": "refile", "_selected_action": [aside.pk, kept.pk]}, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert f"{aside.pk}: opened a new case (HPM-2026-00001)" in page
    assert "1 message was not kept aside, so not re-filed." in page
    aside.refresh_from_db()
    assert aside.status == InboundStatus.NEW_CASE
    assert aside.site == rgh_complaints.hpm
    audit = AuditEvent.objects.get(action="inbound.refile")
    assert audit.actor == rgh_complaints.admin
    assert audit.details == {"sha256": aside.sha256, "status": "new_case"}


def test_only_administrators_can_refile(rgh_complaints: Cast, without_site: InboundMessage, as_user) -> None:
    client = as_user(rgh_complaints.manager)
    url = reverse("admin:inbound_inboundmessage_changelist")
    response = client.post(url, {"action": "refile", "_selected_action": [without_site.pk]})
    assert response.status_code == 302  # to the login page: the admin is for administrators only
    without_site.refresh_from_db()
    assert without_site.status == InboundStatus.QUARANTINED
    assert not AuditEvent.objects.filter(action="inbound.refile").exists()
