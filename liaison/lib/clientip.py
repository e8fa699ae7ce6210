"""The address a request really came from, when Liaison runs behind reverse proxies it trusts.

Behind nginx (or a load balancer) every request reaches gunicorn from the proxy's address, so without this
the audit trail would record the proxy for every event and the public forms' rate limits would count the
whole hospital as one visitor. The proxy passes the client's address in ``X-Forwarded-For``; a client can
write that header too, so it is believed only when the connection itself comes from an address in
``LIAISON_TRUSTED_PROXIES`` (addresses or networks, comma-separated; empty, the default, believes no header).

The header is read from the right: each proxy appends the address it was connected from, so the rightmost
entries were written by our own proxies. Entries from trusted proxies are skipped; the first address that is
not one is the client. Anything unreadable leaves the connection's address in place. A library was
considered (python-ipware): it takes the header without asking whether the connection came from a proxy at
all, and reads a dozen vendor headers a client could forge, so it is not used for this.

``ClientAddressMiddleware`` puts the result in ``REMOTE_ADDR`` (the proxy's own address is kept in
``LIAISON_PROXY_ADDR``), so the audit trail, the rate limits and django-axes all see the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Proxies do not write more than a few hops; a longer header is someone padding it.
MAX_HOPS = 20


def parse_networks(values: Iterable[str]) -> list[Network]:
    """``LIAISON_TRUSTED_PROXIES`` as networks; a bad entry is a configuration error, never silently ignored."""
    networks: list[Network] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"LIAISON_TRUSTED_PROXIES: {value!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)."
            ) from None
    return networks


def _address(value: str) -> Address | None:
    text = value.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def client_address(remote_addr: str, forwarded_for: str, proxies: Sequence[Network]) -> str:
    """The client's address: ``remote_addr`` unless it is a trusted proxy that forwarded the request."""
    peer = _address(remote_addr)
    if peer is None or not proxies or not _trusted(peer, proxies) or not forwarded_for:
        return remote_addr
    hops = forwarded_for.split(",")
    if len(hops) > MAX_HOPS:
        return remote_addr
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return remote_addr  # a hop nobody can read: believe none of what lies beyond it
        if not _trusted(address, proxies):
            return str(address)
    return remote_addr  # every hop was one of our proxies: the request started inside


class ClientAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.proxies = parse_networks(getattr(settings, "LIAISON_TRUSTED_PROXIES", []))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.proxies:
            remote = request.META.get("REMOTE_ADDR") or ""
            client = client_address(remote, request.META.get("HTTP_X_FORWARDED_FOR") or "", self.proxies)
            if client != remote:
                request.META["LIAISON_PROXY_ADDR"] = remote
                request.META["REMOTE_ADDR"] = client
        return self.get_response(request)
