"""Which URLs webhooks may call: no loopback, link-local, private or otherwise local targets.

A tenant must not make the server call its own network (SSRF).  URLs are checked when an
endpoint is stored (:meth:`UrlGuard.check_static`: syntax, literal addresses and local
host names, no network) and when the API creates or changes one (:meth:`UrlGuard.check`:
the DNS answer too), so a tenant learns at once that a URL will be refused.  What protects
the server is the delivery itself: every request goes through
:class:`~signalpost.egress.EgressClient`, which resolves once, vets every address and
connects only to a vetted one (see :mod:`signalpost.egress`), sharing this guard's
:class:`~signalpost.egress.AddressGuard` and its DNS answers.

``allow_private`` (``SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS``) turns the address checks off for
local development and tests; the syntax checks stay.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from signalpost.egress import (
    AddressGuard,
    AddressRefused,
    ResolveFailed,
    Resolver,
    literal_address,
    system_resolver,
)
from signalpost.webhooks.exceptions import InvalidWebhookUrl, WebhookUrlNotAllowed

__all__ = ["MAX_URL_LENGTH", "UrlGuard"]

MAX_URL_LENGTH = 2048


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


class UrlGuard:
    """Checks webhook URLs; ``addresses`` is the guard the delivery client shares.

    ``resolver`` is a seam for tests (default: the system resolver).
    """

    def __init__(self, *, allow_private: bool, resolver: Resolver = system_resolver) -> None:
        self.addresses = AddressGuard(allow_private=allow_private, resolver=resolver)

    @property
    def allow_private(self) -> bool:
        return self.addresses.allow_private

    def check_static(self, url: str) -> SplitResult:
        """Syntax, literal addresses and local host names; no network access."""
        parts = _parse(url)
        try:
            self.addresses.check_host(parts.hostname or "")
        except AddressRefused as exc:
            raise WebhookUrlNotAllowed(exc.message) from exc
        return parts

    async def check(self, url: str) -> SplitResult:
        """:meth:`check_static` plus the DNS answer: every address must be public."""
        parts = self.check_static(url)
        host = parts.hostname or ""
        if self.allow_private or literal_address(host) is not None:
            return parts
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            await self.addresses.addresses(host, port)
        except ResolveFailed as exc:
            raise InvalidWebhookUrl(f"{host} does not resolve ({exc})") from exc
        except AddressRefused as exc:
            raise WebhookUrlNotAllowed(exc.message) from exc
        return parts
