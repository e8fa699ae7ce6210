"""Behind a trusted reverse proxy, the audit trail and the rate limits see the client's address."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from conftest import Cast, login_verified
from liaison.audit.models import AuditEvent
from liaison.cases.services import case_open
from liaison.lib.clientip import MAX_HOPS, client_address, parse_networks

PROXIES = parse_networks(["10.0.0.5", "10.1.0.0/16", "fd00::/8"])


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        # One proxy in front: the address it appended is the client's.
        ("10.0.0.5", "203.0.113.7", "203.0.113.7"),
        # A client writing its own header: only the hop our proxy appended counts.
        ("10.0.0.5", "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        # Two of our proxies (a load balancer, then nginx): both are skipped.
        ("10.0.0.5", "203.0.113.7, 10.1.2.3", "203.0.113.7"),
        # A connection that does not come from a trusted proxy: its header is not believed at all.
        ("192.0.2.50", "203.0.113.7", "192.0.2.50"),
        # No header, or nothing but our own proxies in it: the connection's address stays.
        ("10.0.0.5", "", "10.0.0.5"),
        ("10.0.0.5", "10.1.0.9", "10.0.0.5"),
        # An unreadable hop: nothing beyond it is believed.
        ("10.0.0.5", "203.0.113.7, not-an-address", "10.0.0.5"),
        # Ports and IPv6, as proxies write them.
        ("10.0.0.5", "203.0.113.7:51234", "203.0.113.7"),
        ("fd00::1", "[2001:db8::42]:443", "2001:db8::42"),
        ("::ffff:10.0.0.5", "203.0.113.7", "203.0.113.7"),
        # A padded header is not walked.
        ("10.0.0.5", ", ".join(["203.0.113.7"] * (MAX_HOPS + 1)), "10.0.0.5"),
    ],
)
def test_the_client_is_the_first_address_from_the_right_that_is_not_our_proxy(
    remote: str, forwarded: str, expected: str
) -> None:
    assert client_address(remote, forwarded, PROXIES) == expected


def test_without_trusted_proxies_no_header_is_believed() -> None:
    assert client_address("10.0.0.5", "203.0.113.7", []) == "10.0.0.5"


def test_a_misconfigured_proxy_list_stops_the_start_with_a_clear_message() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"'10\.0\.0\.300' is not an IP address or network"):
        parse_networks(["10.0.0.300"])


def _case_page_audited_ip(cast: Cast, **headers: str) -> str | None:
    case = case_open(acting_user=cast.officer, site=cast.rgh, case_type="concern", channel="phone", patient_name="A")
    client = login_verified(Client(**headers), cast.officer)
    assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 200
    event = AuditEvent.objects.filter(action="view", object_id=str(case.pk)).order_by("-id").first()
    assert event is not None
    return event.ip_address


def test_the_audit_trail_records_the_client_behind_a_trusted_proxy(cast: Cast, settings) -> None:
    settings.LIAISON_TRUSTED_PROXIES = ["127.0.0.1"]  # the test client connects from 127.0.0.1
    assert _case_page_audited_ip(cast, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7") == "203.0.113.7"


def test_without_the_setting_the_audit_trail_records_the_connection(cast: Cast, settings) -> None:
    settings.LIAISON_TRUSTED_PROXIES = []
    assert _case_page_audited_ip(cast, HTTP_X_FORWARDED_FOR="203.0.113.7") == "127.0.0.1"
