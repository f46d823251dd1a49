"""The one HTTP client for requests that leave the server (webhooks, callback checks, providers).

:class:`EgressClient` wraps an ``aiohttp`` session whose connector resolves names only
through an :class:`~signalpost.egress.guard.AddressGuard`: a host is resolved once, every
address it has is vetted, and the connection goes to one of those vetted addresses, while
the request keeps the name in ``Host`` and in the TLS server name (SNI) and the
certificate is checked against that name.  Literal addresses in URLs are vetted before
the request.  Redirects are never followed, the environment's proxy settings and cookies
are ignored, responses are not decompressed and only the first ``read_limit`` bytes of a
body are read.  Every failure is an :class:`~signalpost.egress.errors.EgressError`
with a message naming what happened and where.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from yarl import URL

from signalpost.egress.errors import (
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
from signalpost.egress.guard import AddressGuard

if TYPE_CHECKING:
    import aiohttp

# aiohttp is imported on the first request, not with the server: a process that never
# makes one does not pay for it at start.

__all__ = ["EgressClient", "Reply"]

_NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
_CONNECT_ERRORS = {
    errno.ECONNREFUSED: "connection refused by {where}",
    errno.ECONNRESET: "connection reset by {where} while connecting",
    errno.ENETUNREACH: "network unreachable for {where}",
    errno.EHOSTUNREACH: "no route to host {where}",
    errno.ETIMEDOUT: "timed out connecting to {where}",
}


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer: the status, the headers and the first ``read_limit`` bytes of the body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def _guarded_resolver(guard: AddressGuard) -> Any:
    """An aiohttp resolver whose answers are the guard's vetted addresses, nothing else."""
    from aiohttp.abc import AbstractResolver, ResolveResult

    class GuardedResolver(AbstractResolver):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            del family
            return [
                {
                    "hostname": host,
                    "host": str(ip),
                    "port": port,
                    "family": socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                    "proto": 0,
                    "flags": _NUMERIC,
                }
                for ip in await guard.addresses(host, port)
            ]

        async def close(self) -> None:
            return None

    return GuardedResolver()


class EgressClient:
    """Makes outbound HTTP requests through one guarded connection pool per process.

    ``connections`` bounds the connections open at once; ``ssl_context`` replaces the
    system's trust store (tests).
    """

    def __init__(
        self,
        guard: AddressGuard,
        *,
        user_agent: str = "Signalpost/1.0",
        connections: int = 100,
        connect_timeout: float = 5.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.guard = guard
        self.user_agent = user_agent
        self.connections = connections
        self.connect_timeout = connect_timeout
        self.ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.connections,
                resolver=_guarded_resolver(self.guard),
                use_dns_cache=False,  # the guard keeps answers; a second cache could skip it
                ssl=self.ssl_context if self.ssl_context is not None else True,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.user_agent},
                skip_auto_headers=("Accept-Encoding",),
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout: float,
        read_limit: int = 65536,
    ) -> Reply:
        """POST ``body`` to ``url``; raises :class:`EgressError` when there is no answer."""
        return await self.request(
            "POST", url, body=body, headers=headers, timeout=timeout, read_limit=read_limit
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float,
        read_limit: int = 65536,
    ) -> Reply:
        """One request, redirects not followed; any HTTP status is an answer."""
        import aiohttp

        target = self._target(url)
        limits = aiohttp.ClientTimeout(
            total=timeout, sock_connect=min(timeout, self.connect_timeout)
        )
        try:
            async with self._http().request(
                method,
                target,
                data=body,
                headers=headers,
                timeout=limits,
                allow_redirects=False,
            ) as response:
                answer = await _read(response, read_limit)
                return Reply(response.status, response.headers, answer)
        except EgressError:
            raise
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            raise self._mapped(exc, target, timeout) from exc

    def _target(self, url: str) -> URL:
        try:
            target = URL(url)
        except (ValueError, TypeError) as exc:
            raise InvalidTarget(f"not a valid URL: {exc}") from exc
        if target.scheme not in ("http", "https") or not target.raw_host:
            raise InvalidTarget("the URL must be http or https with a host")
        self.guard.check_host(target.raw_host)
        return target

    def _where(self, target: URL) -> str:
        host = target.raw_host or ""
        port = target.port or 0
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        known = self.guard.known(host, port)
        if known and str(known[0]) != host:
            shown += f" ({', '.join(str(ip) for ip in known)})"
        return shown

    def _mapped(self, exc: BaseException, target: URL, timeout: float) -> EgressError:
        import aiohttp

        where = self._where(target)
        connect = min(timeout, self.connect_timeout)
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return ConnectTimedOut(f"timed out after {connect:g} s connecting to {where}")
        if isinstance(exc, TimeoutError):
            return TimedOut(f"timed out after {timeout:g} s waiting for a response from {where}")
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            reason = getattr(exc.certificate_error, "verify_message", None) or str(
                exc.certificate_error
            )
            return TlsFailed(f"the TLS certificate of {where} was not accepted: {reason}")
        if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
            inner = exc.os_error if isinstance(exc, aiohttp.ClientSSLError) else exc
            reason = getattr(inner, "reason", None) or inner.strerror or str(inner)
            return TlsFailed(
                f"TLS handshake with {where} failed: {reason.lower().replace('_', ' ')}"
            )
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return ResolveFailed(f"cannot resolve {target.raw_host}: {exc.os_error}")
        if isinstance(exc, aiohttp.ClientConnectorError):
            return _connect_failed(exc.os_error, where)
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            return ConnectionClosed(f"{where} closed the connection before a response")
        if isinstance(exc, aiohttp.ClientPayloadError):
            return ConnectionClosed(f"{where} closed the connection during the response")
        if isinstance(exc, aiohttp.ClientResponseError):
            return InvalidResponse(f"invalid HTTP response from {where}: {_one_line(exc.message)}")
        if isinstance(exc, aiohttp.InvalidURL):
            return InvalidTarget(f"not a valid URL: {exc}")
        if isinstance(exc, ConnectionResetError | BrokenPipeError) or (
            isinstance(exc, OSError) and exc.errno in (errno.ECONNRESET, errno.EPIPE)
        ):
            return ConnectionClosed(f"{where} reset the connection before a response")
        if isinstance(exc, aiohttp.ClientConnectionError | OSError):
            return ConnectionClosed(f"connection to {where} failed: {_reason(exc)}")
        return EgressError(f"request to {where} failed: {_reason(exc)}")


def _one_line(text: str) -> str:
    """A parser's multi-line message on one line, without its caret marker."""
    parts = (line.strip() for line in text.splitlines())
    return " ".join(p for p in parts if p and set(p) != {"^"})


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _connect_failed(error: OSError, where: str) -> ConnectFailed:
    template = _CONNECT_ERRORS.get(error.errno or -1)
    if template is None and isinstance(error, ConnectionRefusedError):
        template = _CONNECT_ERRORS[errno.ECONNREFUSED]
    if template is not None:
        return ConnectFailed(template.format(where=where))
    return ConnectFailed(f"cannot connect to {where}: {_reason(error)}")


async def _read(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """At most ``limit`` bytes of the body (the connection is not reused if more remain)."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await response.content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
