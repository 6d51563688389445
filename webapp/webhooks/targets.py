"""Where a webhook may be sent: http or https only, and never to link-local or cloud metadata addresses; private,
loopback and other internal ranges only when an admin allows them (`WEBHOOK_ALLOW_PRIVATE`). The name is
resolved and checked when a subscription is made and again at every delivery, and the connection goes to the
address that was checked (so a name that re-resolves to an internal address later is refused, not followed)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from surveys.errors import CxroiError

METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16", "192.0.0.192"))
"""Cloud metadata and host services (AWS, GCP, Alibaba, Azure's WireServer, Oracle): never a webhook target."""
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class TargetRefused(CxroiError):
    """(A `CxroiError` with the web status, like the hosting errors; not one of them, so this module imports
    nothing of `webapp.services`.)"""

    status = 422
    title = "Webhook address refused"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str
    """The checked IP address the delivery connects to."""


def _embedded(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The address and any IPv4 address it carries (mapped, 6to4, Teredo, NAT64, IPv4-compatible)."""
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        carried = [address.ipv4_mapped, address.sixtofour, address.teredo[1] if address.teredo else None]
        if any(address in network for network in NAT64) or int(address) >> 32 == 0 and int(address) > 1:
            carried.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if int(address) >> 32 == 0xFFFF0000:  # SIIT ::ffff:0:a.b.c.d
            carried.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        found += [a for a in carried if a is not None]
    return found


def _kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is refused always (metadata, link-local, unspecified), 'internal' (allowed only by the
    setting), or None."""
    kinds = []
    for each in _embedded(address):
        if each in METADATA:
            return "a cloud metadata address"
        if each.is_link_local:
            return "a link-local address"
        if each.is_unspecified:
            return "an unspecified address (this host)"
        if each.is_loopback or each.is_private or each.is_reserved or each.is_multicast or not each.is_global \
                or (isinstance(each, ipaddress.IPv6Address) and each.is_site_local):
            kinds.append("internal")
    return "internal" if kinds else None


def check_target(url: str, *, allow_private: bool) -> Target:
    """The URL's checked target, or `TargetRefused` saying why."""
    try:
        parts = urlsplit(url.strip())
        hostname = parts.hostname
    except ValueError:
        raise TargetRefused(f"{url[:200]!r} is not a URL") from None
    if not url.isascii() or any(char in url for char in " \t\r\n\x00"):
        raise TargetRefused(f"{url[:200]!r}: percent-encode spaces and non-ASCII characters in the URL")
    if parts.scheme not in ("http", "https"):
        raise TargetRefused(f"{url[:200]!r}: a webhook URL starts with https:// (or http://)")
    if not hostname or parts.username or parts.password:
        raise TargetRefused(f"{url[:200]!r}: give a host name, without a user name or password")
    try:
        port = parts.port if parts.port is not None else (443 if parts.scheme == "https" else 80)
        if port == 0:
            raise ValueError(port)
    except ValueError:
        raise TargetRefused(f"{url[:200]!r}: the port is not a number from 1 to 65535") from None
    try:
        found = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise TargetRefused(f"{hostname!r} cannot be resolved to an address") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    for address in addresses:
        kind = _kind(address)
        if kind == "internal" and not allow_private:
            raise TargetRefused(f"{hostname} resolves to {address}, an internal address; an admin can allow "
                                "private ranges (CXROI_WEBHOOK_ALLOW_PRIVATE=1) for targets inside the network")
        if kind not in (None, "internal"):
            raise TargetRefused(f"{hostname} resolves to {address}, {kind}: never a webhook target")
    path = parts.path or "/"
    return Target(parts.scheme, hostname, port, path + (f"?{parts.query}" if parts.query else ""),
                  str(addresses[0]))
