"""Where a webhook may be sent: http or https only, and never to link-local or cloud metadata addresses; private,
loopback and other internal ranges only when an admin allows them (`WEBHOOK_ALLOW_PRIVATE`). The name is
resolved and checked when a subscription is made and again at every delivery, and the connection goes to the
address that was checked (so a name that re-resolves to an internal address later is refused, not followed)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from webapp.services.errors import HostingError

METADATA = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200"))
"""Cloud metadata services: never a webhook target."""


class TargetRefused(HostingError):
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


def _kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is refused always ('link-local', 'metadata'), 'internal' (allowed only by setting), or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_loopback or address.is_private or address.is_reserved or address.is_multicast \
            or address.is_unspecified or not address.is_global:
        return "internal"
    return None


def check_target(url: str, *, allow_private: bool) -> Target:
    """The URL's checked target, or `TargetRefused` saying why."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise TargetRefused(f"{url[:200]!r}: a webhook URL starts with https:// (or http://)")
    if not parts.hostname or parts.username or parts.password:
        raise TargetRefused(f"{url[:200]!r}: give a host name, without a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetRefused(f"{url[:200]!r}: the port is not a number from 1 to 65535") from None
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise TargetRefused(f"{parts.hostname!r} cannot be resolved to an address") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    for address in addresses:
        kind = _kind(address)
        if kind == "internal" and not allow_private:
            raise TargetRefused(f"{parts.hostname} resolves to {address}, an internal address; an admin can allow "
                                "private ranges (CXROI_WEBHOOK_ALLOW_PRIVATE=1) for targets inside the network")
        if kind not in (None, "internal"):
            raise TargetRefused(f"{parts.hostname} resolves to {address}, {kind}: never a webhook target")
    path = parts.path or "/"
    return Target(parts.scheme, parts.hostname, port, path + (f"?{parts.query}" if parts.query else ""),
                  str(addresses[0]))
