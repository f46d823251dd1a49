"""HTTP providers in the carriers file, next to SMPP connections.

```toml
[[providers]]
name = "upstream"             # the carrier name messages record
kind = "sentdm"               # or "mailersend"
base_url = "https://api.sent.dm"
api_key = "..."
profile_id = "..."            # sent.dm: x-profile-id (optional)
webhook_secret = "whsec_..."  # verifies events posted to /carriers/{name}/events
channels = ["sms", "whatsapp"]  # default: what the provider carries
rate = 0                      # requests per second, every worker process together; 0: none
default_sender = "+1..."      # MailerSend: the account's number for messages without one
allow_private = false         # true: base_url may be on loopback, private or link-local networks
inbound = { organization_id = "…", profile_id = "…" }  # owner of messages the provider receives
inbound_numbers = { "+14155550100" = { organization_id = "…" } }  # per number of ours
```

Messages the provider receives for the platform's numbers (sent.dm's ``message.received``
events) are stored as ``received`` messages of the owner named for the number they were
sent to, else of ``inbound``; an event for a number nobody owns is answered 503, so the
provider delivers it again once the file names an owner.

Requests to a provider go through the guarded egress client: its host is resolved once and
every address vetted.  Without ``allow_private`` a ``base_url`` that names a loopback,
private, link-local (or otherwise non-public) address or ``localhost`` is refused when the
file is read, and a host that resolves to such an address is refused at each request (see
``signalpost.carriers.http.base`` for what happens to the message).
``SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS`` is about webhook URLs and does not apply here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from signalpost.carriers.base import InboundOwner, read_owners
from signalpost.egress import AddressGuard, AddressRefused

__all__ = ["KINDS", "ProviderConfig", "ProviderConfigError", "parse_providers"]

KINDS: dict[str, frozenset[str]] = {
    "sentdm": frozenset({"sms", "whatsapp"}),
    "mailersend": frozenset({"sms"}),
}


class ProviderConfigError(ValueError):
    """An HTTP provider's configuration is invalid."""


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    name: str
    kind: str
    base_url: str
    api_key: str
    profile_id: str | None = None
    webhook_secret: str | None = None
    channels: frozenset[str] = frozenset()
    rate: float = 0.0
    concurrency: int = 16
    timeout_seconds: float = 10.0
    poll_after_seconds: float = 60.0  # a sent message without news this long is polled
    poll_interval_seconds: float = 5.0
    failure_threshold: int = 5  # consecutive failures that open the circuit
    open_seconds: float = 30.0  # how long an open circuit waits before a probe
    default_sender: str | None = None  # MailerSend: "from" of messages without a sender
    allow_private: bool = False  # the provider may be on loopback, private or link-local networks
    inbound: InboundOwner | None = None  # owner of the messages the provider receives
    inbound_numbers: Mapping[str, InboundOwner] = field(default_factory=dict)

    def owner_for(self, our_number: str) -> InboundOwner | None:
        """Who owns a message the provider received on ``our_number``."""
        return self.inbound_numbers.get(our_number) or self.inbound


_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "kind": str,
    "base_url": str,
    "api_key": str,
    "profile_id": str,
    "webhook_secret": str,
    "channels": list,
    "rate": (int, float),
    "concurrency": int,
    "timeout_seconds": (int, float),
    "poll_after_seconds": (int, float),
    "poll_interval_seconds": (int, float),
    "failure_threshold": int,
    "open_seconds": (int, float),
    "default_sender": str,
    "allow_private": bool,
}
_REQUIRED = ("name", "kind", "base_url", "api_key")


def _provider(raw: Any, index: int) -> ProviderConfig:
    where = f"providers[{index}]"
    if not isinstance(raw, Mapping):
        raise ProviderConfigError(f"{where} must be a table")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise ProviderConfigError(f"{where}: missing {', '.join(missing)}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("inbound", "inbound_numbers"):
            continue
        expected = _TYPES.get(key)
        if expected is None:
            raise ProviderConfigError(f"{where}: unknown setting {key!r}")
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise ProviderConfigError(f"{where}.{key} has the wrong type")
        values[key] = value
    kind = values["kind"]
    if kind not in KINDS:
        raise ProviderConfigError(f"{where}.kind must be one of {', '.join(KINDS)}")
    channels = frozenset(values.pop("channels", KINDS[kind]))
    if not channels or not channels <= KINDS[kind]:
        raise ProviderConfigError(
            f"{where}.channels must be among {', '.join(sorted(KINDS[kind]))}"
        )
    values["inbound"], values["inbound_numbers"] = read_owners(raw, where, ProviderConfigError)
    config = ProviderConfig(**values, channels=channels)
    _check(config, where)
    return config


def _check(c: ProviderConfig, where: str) -> None:
    if not c.base_url.startswith(("http://", "https://")):
        raise ProviderConfigError(f"{where}.base_url must be an http(s) URL")
    try:
        host = urlsplit(c.base_url).hostname
    except ValueError as exc:
        raise ProviderConfigError(f"{where}.base_url is not a valid URL: {exc}") from exc
    if not host:
        raise ProviderConfigError(f"{where}.base_url has no host")
    try:
        AddressGuard(allow_private=c.allow_private).check_host(host)
    except AddressRefused as exc:
        raise ProviderConfigError(
            f"{where}.base_url: {exc}; set allow_private = true on this provider to reach it"
        ) from exc
    if not c.name or len(c.name) > 32:
        raise ProviderConfigError(f"{where}.name must have 1 to 32 characters")
    if c.rate < 0 or c.concurrency < 1 or c.failure_threshold < 1:
        raise ProviderConfigError(f"{where}: rate >= 0, concurrency and failure_threshold >= 1")
    positive = (c.timeout_seconds, c.poll_after_seconds, c.poll_interval_seconds, c.open_seconds)
    if min(positive) <= 0:
        raise ProviderConfigError(f"{where}: timeouts and intervals must be > 0")


def parse_providers(raw: Any) -> tuple[ProviderConfig, ...]:
    """Validate the ``providers`` list of a carriers file."""
    if not isinstance(raw, list):
        raise ProviderConfigError("providers must be a list")
    return tuple(_provider(p, i) for i, p in enumerate(raw))
