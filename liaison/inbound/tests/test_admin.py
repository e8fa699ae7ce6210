"""The admin lists inbound messages for administrators, read-only, and audits who opened one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import Cast
from liaison.audit.models import AuditEvent
from liaison.inbound.services import inbound_message_ingest
from liaison.inbound.tests import samples


@pytest.fixture
def quarantined(rgh_complaints: Cast) -> int:
    return inbound_message_ingest(raw=samples.truncated_multipart()).message.pk


@pytest.mark.parametrize("role", ["officer", "manager", "investigator", "executive", "auditor", "outsider"])
def test_only_administrators_reach_the_list(rgh_complaints: Cast, quarantined: int, as_user, role: str) -> None:
    client = as_user(getattr(rgh_complaints, role))
    response = client.get(reverse("admin:inbound_inboundmessage_changelist"))
    assert response.status_code == 302


def test_an_administrator_sees_the_messages_and_why_one_was_kept_aside(
    rgh_complaints: Cast, quarantined: int, as_user
) -> None:
    client = as_user(rgh_complaints.admin)
    listing = client.get(reverse("admin:inbound_inboundmessage_changelist"))
    assert listing.status_code == 200
    assert "My complaint (with photos)" in listing.content.decode()

    detail = client.get(reverse("admin:inbound_inboundmessage_change", args=[quarantined]))
    assert detail.status_code == 200
    assert "may have been cut short" in detail.content.decode()
    assert AuditEvent.objects.filter(action="view", object_id=str(quarantined)).exists()


def test_nobody_can_add_change_or_delete_a_message_there(rgh_complaints: Cast, quarantined: int, as_user) -> None:
    client = as_user(rgh_complaints.admin)
    assert client.get(reverse("admin:inbound_inboundmessage_add")).status_code == 403
    assert client.get(reverse("admin:inbound_inboundmessage_delete", args=[quarantined])).status_code == 403
    change = client.post(reverse("admin:inbound_inboundmessage_change", args=[quarantined]), {"status": "attached"})
    assert change.status_code == 403
