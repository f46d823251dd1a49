"""Resolve a host once and vet every address it has, before anything connects to it.

:class:`AddressGuard` is the only place outbound requests turn a host name into
addresses.  It asks the resolver (a seam: the system's ``getaddrinfo`` by default), keeps
the answer for ``resolve_ttl`` seconds, and refuses the whole host when any address is
not public, so a name that answers one public and one private address cannot be used to
reach the private one.  The client connects only to addresses this guard returned, which
is what makes a DNS answer that changes between a check and a connect (rebinding)
harmless: there is no second lookup.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable

from signalpost.egress.addresses import IPAddress, is_local_name, refusal
from signalpost.egress.errors import AddressRefused, ResolveFailed

__all__ = ["AddressGuard", "Refusal", "Resolver", "literal_address", "system_resolver"]

Resolver = Callable[[str, int], Awaitable[list[str]]]
Refusal = Callable[[IPAddress], str | None]
_CACHE_LIMIT = 10_000


async def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver (``getaddrinfo`` off the loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def literal_address(host: str) -> IPAddress | None:
    """The address a URL host spells literally (brackets allowed), or ``None`` for a name."""
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


class AddressGuard:
    """Vets hosts and addresses for outbound requests.

    ``allow_private`` turns the address checks off (local development and tests); names
    are still resolved once and connected to as resolved.  ``resolver`` and ``refuse``
    (which addresses are refused, default :func:`~signalpost.egress.addresses.refusal`)
    are seams for tests.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver = system_resolver,
        refuse: Refusal = refusal,
        resolve_ttl: float = 30.0,
        resolve_timeout: float = 5.0,
    ) -> None:
        self.allow_private = allow_private
        self.resolver = resolver
        self.refuse = refuse
        self.resolve_ttl = resolve_ttl
        self.resolve_timeout = resolve_timeout
        self._cache: dict[tuple[str, int], tuple[float, list[IPAddress]]] = {}

    def check_host(self, host: str) -> IPAddress | None:
        """Vet what can be vetted without DNS: a literal address (returned) or a local name.

        Raises :class:`AddressRefused`; returns ``None`` for a name that needs resolving.
        """
        ip = literal_address(host)
        if self.allow_private:
            return ip
        if ip is not None:
            reason = self.refuse(ip)
            if reason:
                raise AddressRefused(f"{ip} is {reason}")
        elif is_local_name(host):
            raise AddressRefused(f"{host} is a loopback host name")
        return ip

    async def addresses(self, host: str, port: int) -> list[IPAddress]:
        """Every address of ``host``, each one vetted (resolved at most once per TTL).

        Raises :class:`ResolveFailed` or :class:`AddressRefused`.
        """
        literal = self.check_host(host)
        if literal is not None:
            return [literal]
        found = await self._resolve(host, port)
        if not self.allow_private:
            for ip in found:
                reason = self.refuse(ip)
                if reason:
                    raise AddressRefused(f"{host} resolves to {ip}, {reason}")
        return found

    def known(self, host: str, port: int) -> list[IPAddress]:
        """The addresses last resolved for ``host`` (for messages; never resolves)."""
        literal = literal_address(host)
        if literal is not None:
            return [literal]
        hit = self._cache.get((host.lower(), port))
        return [] if hit is None else hit[1]

    async def _resolve(self, host: str, port: int) -> list[IPAddress]:
        key = (host.lower(), port)
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            async with asyncio.timeout(self.resolve_timeout):
                answers = await self.resolver(host, port)
        except TimeoutError as exc:
            raise ResolveFailed(
                f"cannot resolve {host}: no answer within {self.resolve_timeout:g} s"
            ) from exc
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise ResolveFailed(f"cannot resolve {host}: {reason}") from exc
        try:
            found = list(dict.fromkeys(ipaddress.ip_address(a.split("%")[0]) for a in answers))
        except ValueError as exc:
            raise ResolveFailed(f"cannot resolve {host}: {exc}") from exc
        if not found:
            raise ResolveFailed(f"cannot resolve {host}: no addresses")
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = (now + self.resolve_ttl, found)
        return found
