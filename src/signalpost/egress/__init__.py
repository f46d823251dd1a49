"""Outbound HTTP that cannot be steered to the server's own networks.

Every request leaving Signalpost (webhook deliveries and tests, callback verification,
upstream HTTP providers) goes through one :class:`EgressClient`: hosts are resolved once
by an :class:`AddressGuard`, every address is vetted (:func:`refusal`, which judges IPv6
forms carrying an IPv4 address by that address), and the connection goes to a vetted
address.  Failures are :class:`EgressError` subclasses with actionable messages.
"""

from __future__ import annotations

from signalpost.egress.addresses import IPAddress, embedded_ipv4, is_local_name, refusal
from signalpost.egress.client import EgressClient, Reply
from signalpost.egress.errors import (
    AddressRefused,
    ConnectFailed,
    ConnectionClosed,
    ConnectTimedOut,
    EgressError,
    InvalidResponse,
    InvalidTarget,
    ResolveFailed,
    TimedOut,
    TlsFailed,
)
from signalpost.egress.guard import AddressGuard, Resolver, literal_address, system_resolver

__all__ = [
    "AddressGuard",
    "AddressRefused",
    "ConnectFailed",
    "ConnectTimedOut",
    "ConnectionClosed",
    "EgressClient",
    "EgressError",
    "IPAddress",
    "InvalidResponse",
    "InvalidTarget",
    "Reply",
    "ResolveFailed",
    "Resolver",
    "TimedOut",
    "TlsFailed",
    "embedded_ipv4",
    "is_local_name",
    "literal_address",
    "refusal",
    "system_resolver",
]
