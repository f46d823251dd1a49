"""Which addresses outbound requests may reach: pure functions, no I/O.

An address is refused when it is not publicly routable: loopback, private, link-local,
shared (CGNAT), multicast, reserved, documentation and the like.  IPv6 forms that carry
an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``,
IPv4-translated ``::ffff:0:a.b.c.d``, 6to4 ``2002:AABB:CCDD::/48``, NAT64
``64:ff9b::a.b.c.d`` and Teredo) are judged by the IPv4 address they reach: the
loopback address written as ``2002:7f00:1::`` is refused like ``127.0.0.1``, and a public
one written as NAT64 is allowed like the public address it stands for.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

__all__ = ["Embedded", "IPAddress", "embedded_ipv4", "is_local_name", "refusal"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # local-use prefixes, any length
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_LOW32 = 0xFFFF_FFFF
# Forms whose IPv6 address is only a way of writing the IPv4 one: a public IPv4 address
# written so is as public as itself.
_TRANSPARENT = frozenset({"IPv4-mapped", "6to4", "NAT64"})


@dataclass(frozen=True, slots=True)
class Embedded:
    """An IPv4 address carried inside an IPv6 one, and the form that carries it."""

    ipv4: ipaddress.IPv4Address
    form: str


def embedded_ipv4(ip: ipaddress.IPv6Address) -> Embedded | None:
    """The IPv4 address an IPv6 address reaches or carries, if it is of such a form."""
    if ip.ipv4_mapped is not None:
        return Embedded(ip.ipv4_mapped, "IPv4-mapped")
    if ip.sixtofour is not None:
        return Embedded(ip.sixtofour, "6to4")
    if ip in _NAT64:
        return Embedded(ipaddress.IPv4Address(int(ip) & _LOW32), "NAT64")
    if ip in _TRANSLATED:
        return Embedded(ipaddress.IPv4Address(int(ip) & _LOW32), "IPv4-translated")
    if ip in _COMPATIBLE and int(ip) > 1:  # :: and ::1 are not IPv4-compatible forms
        return Embedded(ipaddress.IPv4Address(int(ip) & _LOW32), "IPv4-compatible")
    if ip.teredo is not None:
        return Embedded(ip.teredo[1], "Teredo")
    return None


def _own_refusal(ip: IPAddress) -> str | None:
    checks = (
        (ip.is_unspecified, "an unspecified"),
        (ip.is_loopback, "a loopback"),
        (ip.is_link_local, "a link-local"),
        (ip.is_multicast, "a multicast"),
        (ip.is_private, "a private"),
        (ip.is_reserved, "a reserved"),
        (not ip.is_global, "a non-public"),
    )
    for hit, kind in checks:
        if hit:
            return f"{kind} address"
    return None


def refusal(ip: IPAddress) -> str | None:
    """Why outbound requests may not go to this address, or ``None`` when it is public."""
    if isinstance(ip, ipaddress.IPv4Address):
        return _own_refusal(ip)
    if ip in _NAT64_LOCAL:
        return "a non-public address (local-use NAT64)"
    embedded = embedded_ipv4(ip)
    if embedded is not None:
        inner = _own_refusal(embedded.ipv4)
        if inner is not None:
            return f"{inner} ({embedded.form} form of {embedded.ipv4})"
        if embedded.form in _TRANSPARENT:
            return None
    return _own_refusal(ip)


def is_local_name(host: str) -> bool:
    """Whether a host name names this machine whatever DNS says (``localhost``, ``*.localhost``)."""
    name = host.rstrip(".").lower()
    return name in _LOCAL_NAMES or name.endswith(".localhost")
