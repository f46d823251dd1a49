"""Why an outbound request got no usable answer: one documented tree.

Every failure of :class:`~signalpost.egress.client.EgressClient` is an
:class:`EgressError` whose message a receiver's developer can act on ("connection refused
by 127.0.0.1:9001", "timed out after 10 s waiting for a response"); library exceptions are
mapped onto it at the client's boundary and never escape.  ``kind`` is a short stable word
for the family, stored before the message on a webhook attempt (``connect: ...``).
"""

from __future__ import annotations

__all__ = [
    "AddressRefused",
    "ConnectFailed",
    "ConnectTimedOut",
    "ConnectionClosed",
    "EgressError",
    "InvalidResponse",
    "InvalidTarget",
    "ResolveFailed",
    "TimedOut",
    "TlsFailed",
]


class EgressError(Exception):
    """The outbound request got no usable answer."""

    kind = "error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (type(self).__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0])

    def __str__(self) -> str:
        return self.message


class InvalidTarget(EgressError):
    """The URL cannot be requested (scheme, host or port)."""

    kind = "invalid"


class AddressRefused(EgressError):
    """The target is, or resolves to, an address outbound requests may not reach."""

    kind = "refused"


class ResolveFailed(EgressError):
    """The host name does not resolve."""

    kind = "dns"


class ConnectFailed(EgressError):
    """No connection could be made to the target."""

    kind = "connect"


class TlsFailed(EgressError):
    """The TLS handshake with the target failed."""

    kind = "tls"


class ConnectionClosed(EgressError):
    """The connection was closed before a complete response."""

    kind = "closed"


class TimedOut(EgressError):
    """The target did not answer in time."""

    kind = "timeout"


class InvalidResponse(EgressError):
    """The target's answer is not valid HTTP."""

    kind = "protocol"


class ConnectTimedOut(TimedOut):
    """No connection could be made in time: the request never left."""
