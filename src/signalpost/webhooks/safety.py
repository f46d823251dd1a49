"""Which URLs webhooks may call: no loopback, link-local, private or otherwise local targets.

A tenant must not make the server call its own network (SSRF).  URLs are checked three
times: the syntax and literal addresses when an endpoint is stored
(:meth:`UrlGuard.check_static`), the DNS answer when the API creates or changes one
(:meth:`UrlGuard.check`), and again at every delivery (:meth:`UrlGuard.target`), which
then *pins* the connection to the address it checked so a DNS answer that changes between
check and connect (rebinding) cannot redirect the request.  Redirects are never followed.

``allow_private`` (``SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS``) turns the address checks off for
local development and tests; the syntax checks stay.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from signalpost.webhooks.exceptions import (
    ConnectFailed,
    InvalidWebhookUrl,
    TargetRefused,
    WebhookUrlNotAllowed,
)

__all__ = ["MAX_URL_LENGTH", "Resolver", "Target", "UrlGuard", "refusal", "system_resolver"]

MAX_URL_LENGTH = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


@dataclass(frozen=True, slots=True)
class Target:
    """Where one delivery goes: the URL to request and how to present the original host."""

    url: str
    host_header: str | None = None  # the original host when the URL was pinned to an address
    sni_hostname: str | None = None  # the TLS server name when pinned over https


def refusal(ip: IPAddress) -> str | None:
    """Why webhooks may not call this address, or ``None`` when it is public."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return refusal(ip.ipv4_mapped)
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


def _parse(url: str) -> SplitResult:
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl(f"longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() for c in url):
        raise InvalidWebhookUrl("contains whitespace")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidWebhookUrl(str(exc)) from exc
    if parts.scheme not in ("http", "https"):
        raise InvalidWebhookUrl("the scheme must be http or https")
    if not parts.hostname:
        raise InvalidWebhookUrl("a host is required")
    if port == 0:
        raise InvalidWebhookUrl("port 0 is not valid")
    return parts


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_local_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name in _LOCAL_NAMES or name.endswith(".localhost")


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver (``getaddrinfo`` off the loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class UrlGuard:
    """Checks webhook URLs; caches DNS answers for ``resolve_ttl`` seconds.

    ``resolver`` is a seam for tests (default: the system resolver).
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolve_ttl: float = 30.0,
        resolve_timeout: float = 5.0,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.allow_private = allow_private
        self.resolve_ttl = resolve_ttl
        self.resolve_timeout = resolve_timeout
        self.resolver = resolver
        self._cache: dict[tuple[str, int], tuple[float, list[IPAddress]]] = {}

    def check_static(self, url: str) -> SplitResult:
        """Syntax, literal addresses and local host names; no network access."""
        parts = _parse(url)
        if self.allow_private:
            return parts
        host = parts.hostname or ""
        ip = _literal(host)
        if ip is not None:
            reason = refusal(ip)
            if reason:
                raise WebhookUrlNotAllowed(f"{host} is {reason}")
        elif _is_local_name(host):
            raise WebhookUrlNotAllowed(f"{host} is a loopback host name")
        return parts

    async def check(self, url: str) -> SplitResult:
        """:meth:`check_static` plus the DNS answer: every address must be public."""
        parts = self.check_static(url)
        if self.allow_private or _literal(parts.hostname or "") is not None:
            return parts
        try:
            addresses = await self._resolve(parts)
        except ConnectFailed as exc:
            raise InvalidWebhookUrl(f"{parts.hostname} does not resolve ({exc})") from exc
        self._refuse_local(parts, addresses, WebhookUrlNotAllowed)
        return parts

    async def target(self, url: str) -> Target:
        """Where to send a delivery: checked and pinned to the checked address.

        Raises :class:`TargetRefused` for a local address and :class:`ConnectFailed` when
        the host does not resolve.
        """
        try:
            parts = self.check_static(url)
        except (InvalidWebhookUrl, WebhookUrlNotAllowed) as exc:
            raise TargetRefused(exc.message) from exc
        if self.allow_private:
            return Target(url)
        host = parts.hostname or ""
        if _literal(host) is not None:
            return Target(url)
        addresses = await self._resolve(parts)
        self._refuse_local(parts, addresses, TargetRefused)
        return _pinned(parts, addresses[0])

    @staticmethod
    def _refuse_local(
        parts: SplitResult,
        addresses: list[IPAddress],
        error: type[WebhookUrlNotAllowed] | type[TargetRefused],
    ) -> None:
        for ip in addresses:
            reason = refusal(ip)
            if reason:
                raise error(f"{parts.hostname} resolves to {ip}, {reason}")

    async def _resolve(self, parts: SplitResult) -> list[IPAddress]:
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (host, port)
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            async with asyncio.timeout(self.resolve_timeout):
                answers = await self.resolver(host, port)
        except (OSError, TimeoutError) as exc:
            raise ConnectFailed(f"cannot resolve {host}: {exc or 'timed out'}") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(a.split("%")[0]) for a in answers))
        if not addresses:
            raise ConnectFailed(f"cannot resolve {host}")
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (now + self.resolve_ttl, addresses)
        return addresses


def _pinned(parts: SplitResult, ip: IPAddress) -> Target:
    host = parts.hostname or ""
    literal = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    url = parts._replace(netloc=netloc).geturl()
    return Target(url, host_header, host if parts.scheme == "https" else None)
