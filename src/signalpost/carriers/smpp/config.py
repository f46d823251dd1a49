"""SMPP connections and routes of a deployment, from a JSON or TOML file.

```toml
[[connections]]
name = "carrier-a"          # the carrier name messages record; receipts match by it
host = "smsc.example.net"
port = 2775
system_id = "signalpost"
password = "secret"
system_type = ""
bind = "transceiver"        # or "transmitter+receiver" (two sessions per bind)
binds = 1                   # parallel binds of this account, over every worker process
window = 64                 # outstanding submit_sm per session
rate = 0                    # submit_sm per second for the whole connection (every worker
                            # process together); 0: no limit
bind_lease_seconds = 10     # a process holds a bind slot this long without renewing it
default_source = "Signalpost"  # when a message has no sender
force_source = false        # always send default_source
receipt_id = "same"         # how receipt texts write the submit_sm_resp id (see below)
inbound = { organization_id = "…", profile_id = "…" }  # owner of mobile-originated messages
inbound_numbers = { "+14155550100" = { organization_id = "…" } }  # per our number

[[providers]]                # HTTP providers (see signalpost.carriers.http.config)
name = "upstream"
kind = "sentdm"
base_url = "https://api.sent.dm"
api_key = "..."

[[routes]]
prefix = "+1"
connections = ["upstream", "carrier-a"]   # the first that can take it; the rest are failover
channels = ["sms"]           # optional: only these channels (of those every carrier carries)

[[routes]]
prefix = "+44"
connections = [{ name = "upstream", weight = 3 }, { name = "carrier-a", weight = 1 }]
```

A route with the empty prefix is the default for SMS.  Numbers are E.164 with ``+``.

``connections`` is either a list of names, in order of preference, or a list of tables
``{ name = "...", weight = N }`` (integers >= 0, at least one > 0; each carrier once):
traffic is then split in proportion to the weights among the carriers that can take it
(available, circuit not open), each message's choice fixed by its id so a retry meets the
carriers in the same order; a failed-over message goes to the next carrier in that order.
Weight 0 is a standby, used only when no weighted carrier can take the message.  See
``signalpost.domain.routing``.

``receipt_id`` says how a receipt names the part it is for, and is never guessed: a receipt
applies only to the part whose ``submit_sm_resp`` carried that very id on this connection.
``"same"`` (the default): the receipt text's ``id:`` is the ``submit_sm_resp`` id, character
for character.  ``"hex-to-dec"``: ``submit_sm_resp`` gives a hexadecimal id and the receipt
text writes it in decimal (``"1f4"`` then ``id:500``); ``"dec-to-hex"``: the reverse.  The
``receipted_message_id`` TLV, when the SMSC sends it, is the ``submit_sm_resp`` id unchanged
and is preferred over the text.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signalpost.carriers.base import InboundOwner, read_owners
from signalpost.carriers.http.config import ProviderConfig, ProviderConfigError, parse_providers
from signalpost.carriers.smpp.status import ReceiptIds

__all__ = ["ConfigError", "ConnectionConfig", "InboundOwner", "Route", "SmppConfig", "load_config"]

BIND_MODES = ("transceiver", "transmitter+receiver")


class ConfigError(ValueError):
    """The SMPP configuration is invalid."""


@dataclass(frozen=True, slots=True)
class ConnectionConfig:
    name: str
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    bind: str = "transceiver"
    binds: int = 1
    window: int = 64
    rate: float = 0.0
    enquire_link_seconds: float = 30.0
    response_timeout: float = 10.0
    connect_timeout: float = 5.0
    reconnect_min_seconds: float = 0.2
    reconnect_max_seconds: float = 30.0
    throttle_retries: int = 8
    throttle_pause_seconds: float = 0.05
    throttle_pause_max_seconds: float = 2.0
    bind_wait_seconds: float = 2.0
    bind_lease_seconds: float = 10.0
    registered_delivery: int = 1
    receipt_id: ReceiptIds = ReceiptIds.SAME
    default_source: str | None = None
    force_source: bool = False
    source_ton: int | None = None
    source_npi: int | None = None
    inbound: InboundOwner | None = None
    inbound_numbers: Mapping[str, InboundOwner] = field(default_factory=dict)

    def owner_for(self, our_number: str) -> InboundOwner | None:
        """Who owns a message received on ``our_number`` over this connection."""
        return self.inbound_numbers.get(our_number) or self.inbound


@dataclass(frozen=True, slots=True)
class Route:
    prefix: str
    connections: tuple[str, ...]
    channels: tuple[str, ...] | None = None
    weights: tuple[int, ...] | None = None  # one per connection; None: in order of preference


@dataclass(frozen=True, slots=True)
class SmppConfig:
    connections: tuple[ConnectionConfig, ...]
    routes: tuple[Route, ...] = ()
    providers: tuple[ProviderConfig, ...] = ()


_REQUIRED = ("name", "host", "port", "system_id", "password")
_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "host": str,
    "port": int,
    "system_id": str,
    "password": str,
    "system_type": str,
    "bind": str,
    "binds": int,
    "window": int,
    "rate": (int, float),
    "enquire_link_seconds": (int, float),
    "response_timeout": (int, float),
    "connect_timeout": (int, float),
    "reconnect_min_seconds": (int, float),
    "reconnect_max_seconds": (int, float),
    "throttle_retries": int,
    "throttle_pause_seconds": (int, float),
    "throttle_pause_max_seconds": (int, float),
    "bind_wait_seconds": (int, float),
    "bind_lease_seconds": (int, float),
    "registered_delivery": int,
    "receipt_id": str,
    "default_source": str,
    "force_source": bool,
    "source_ton": int,
    "source_npi": int,
}


def _connection(raw: Any, index: int) -> ConnectionConfig:
    where = f"connections[{index}]"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a table")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("inbound", "inbound_numbers"):
            continue
        expected = _TYPES.get(key)
        if expected is None:
            raise ConfigError(f"{where}: unknown setting {key!r}")
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
            raise ConfigError(f"{where}.{key} has the wrong type")
        values[key] = value
    values["inbound"], values["inbound_numbers"] = read_owners(raw, where, ConfigError)
    if "receipt_id" in values:
        values["receipt_id"] = _receipt_ids(values["receipt_id"], where)
    config = ConnectionConfig(**values)
    _check_connection(config, where)
    return config


def _receipt_ids(value: str, where: str) -> ReceiptIds:
    try:
        return ReceiptIds(value)
    except ValueError:
        names = ", ".join(repr(m.value) for m in ReceiptIds)
        raise ConfigError(f"{where}.receipt_id must be one of {names}") from None


def _check_connection(c: ConnectionConfig, where: str) -> None:
    if c.bind not in BIND_MODES:
        raise ConfigError(f"{where}.bind must be one of {', '.join(BIND_MODES)}")
    if not 0 < c.port < 65536:
        raise ConfigError(f"{where}.port must be between 1 and 65535")
    if c.binds < 1 or c.window < 1:
        raise ConfigError(f"{where}: binds and window must be at least 1")
    if c.rate < 0 or c.response_timeout <= 0 or c.enquire_link_seconds <= 0:
        raise ConfigError(f"{where}: rate must be >= 0 and timeouts > 0")
    if c.bind_lease_seconds < 1:
        raise ConfigError(f"{where}.bind_lease_seconds must be at least 1")
    if len(c.name) > 32 or not c.name:
        raise ConfigError(f"{where}.name must have 1 to 32 characters")
    if len(c.system_id) > 15 or len(c.password) > 8:
        raise ConfigError(f"{where}: system_id is at most 15 and password at most 8 characters")


def _targets(raw: Any, where: str) -> tuple[tuple[str, ...], tuple[int, ...] | None]:
    """A route's carrier names, and their weights when it gives them."""
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}.connections must be a non-empty list of connection names")
    if all(isinstance(t, str) for t in raw):
        return tuple(raw), None
    if not all(isinstance(t, Mapping) for t in raw):
        raise ConfigError(
            f"{where}.connections must be all names (in order of preference) "
            "or all {name, weight} tables"
        )
    names: list[str] = []
    weights: list[int] = []
    for i, entry in enumerate(raw):
        name, weight = entry.get("name"), entry.get("weight")
        unknown = set(entry) - {"name", "weight"}
        if unknown:
            raise ConfigError(f"{where}.connections[{i}]: unknown setting {sorted(unknown)[0]!r}")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}.connections[{i}] needs a name")
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
            raise ConfigError(f"{where}.connections[{i}].weight must be an integer >= 0")
        names.append(name)
        weights.append(weight)
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}.connections names a connection twice")
    if sum(weights) <= 0:
        raise ConfigError(f"{where}.connections: at least one weight must be > 0")
    return tuple(names), tuple(weights)


def _route(raw: Any, index: int, names: set[str]) -> Route:
    where = f"routes[{index}]"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("prefix", ""), str):
        raise ConfigError(f"{where} needs a prefix string")
    targets, weights = _targets(raw.get("connections"), where)
    unknown = [t for t in targets if t not in names]
    if unknown:
        raise ConfigError(f"{where}: unknown connection {unknown[0]!r}")
    channels = raw.get("channels")
    if channels is not None and (
        not isinstance(channels, list) or not all(isinstance(c, str) for c in channels)
    ):
        raise ConfigError(f"{where}.channels must be a list of channel names")
    return Route(raw.get("prefix", ""), targets, tuple(channels) if channels else None, weights)


def parse_config(data: Mapping[str, Any]) -> SmppConfig:
    """Validate a parsed configuration document."""
    try:
        providers = parse_providers(data.get("providers", []))
    except ProviderConfigError as exc:
        raise ConfigError(str(exc)) from exc
    raw_connections = data.get("connections", [])
    if not isinstance(raw_connections, list) or not (raw_connections or providers):
        raise ConfigError("at least one entry in connections or providers is required")
    connections = tuple(_connection(c, i) for i, c in enumerate(raw_connections))
    names = [c.name for c in connections] + [p.name for p in providers]
    if len(set(names)) != len(names):
        raise ConfigError("connection and provider names must be unique")
    raw_routes = data.get("routes", [])
    if not isinstance(raw_routes, list):
        raise ConfigError("routes must be a list")
    routes = tuple(_route(r, i, set(names)) for i, r in enumerate(raw_routes))
    if not any(r.prefix == "" for r in routes):
        routes += (Route("", (names[0],)),)
    return SmppConfig(connections, routes, providers)


def load_config(path: Path) -> SmppConfig:
    """Read ``path`` (``.toml`` or ``.json``) and validate it."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read SMPP configuration {path}: {exc}") from exc
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the document must be a table/object")
    return parse_config(data)
