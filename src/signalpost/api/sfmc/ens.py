"""ENS callbacks and subscriptions, kept as webhook endpoints of the engine.

A callback is one ``sfmc`` endpoint: its URL, its ``signatureKey`` (the endpoint secret)
and, in its attributes, the name, ``maxBatchSize``, the verification key and state and its
subscriptions.  The endpoint is enabled once the callback is verified; its event types are
the union of its active subscriptions' types with their filters (see :mod:`.events`), so
the engine writes, signs, delivers and retries the events.  An endpoint the engine
disabled for failing is a ``suspended`` callback.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.api.sfmc.errors import SfmcError
from signalpost.api.sfmc.events import EVENT_TYPES, NO_EVENTS, subscribed_type
from signalpost.egress import EgressClient, EgressError
from signalpost.errors import NotFound
from signalpost.webhooks import service as webhooks
from signalpost.webhooks.schemas import UNSET, Endpoint, EndpointPatch, EndpointSpec

if TYPE_CHECKING:
    from signalpost.context import Context
    from signalpost.storage import Connection

__all__ = [
    "Callback",
    "Subscription",
    "callback_of",
    "create_callback",
    "find_subscription",
    "load_callback",
    "load_callbacks",
    "present_callback",
    "present_subscription",
    "probe",
    "save",
    "secrets_match",
    "subscription_from",
]

DIALECT = "sfmc"
MAX_ATTEMPTS = 4  # the first delivery and three retries
TIMEOUT_SECONDS = 2  # a receiver must answer within two seconds
PROBE_TIMEOUT_SECONDS = 30.0
MAX_CALLBACKS = 1000
FILTER_NAMES = ("definitionKey", "statusCode")


@dataclass(slots=True)
class Subscription:
    id: str
    name: str
    event_types: list[str]
    filters: list[str]
    status: str = "active"  # active | paused
    status_reason: str = "none"

    def attributes(self) -> dict[str, Any]:
        return {
            "subscriptionId": self.id,
            "subscriptionName": self.name,
            "eventCategoryTypes": self.event_types,
            "filters": self.filters,
            "status": self.status,
            "statusReason": self.status_reason,
        }

    def filter_values(self) -> dict[str, str]:
        return dict(f.split("=", 1) for f in self.filters)


@dataclass(slots=True)
class Callback:
    endpoint: Endpoint
    name: str
    max_batch_size: int
    verification_key: str
    verified: bool
    subscriptions: list[Subscription] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.endpoint.id

    @property
    def status(self) -> tuple[str, str]:
        """``(status, statusReason)`` as the API shows them."""
        if not self.verified:
            return "unverified", "Verification pending"
        if not self.endpoint.enabled:
            return "suspended", self.endpoint.disabled_reason or "Delivery failures"
        return "verified", "none"

    def attributes(self) -> dict[str, Any]:
        return {
            "ens": "callback",
            "callbackName": self.name,
            "maxBatchSize": self.max_batch_size,
            "verificationKey": self.verification_key,
            "verified": self.verified,
            "subscriptions": [s.attributes() for s in self.subscriptions],
        }

    def event_types(self) -> tuple[str, ...]:
        names: list[str] = []
        for sub in self.subscriptions:
            if sub.status != "active":
                continue
            values = sub.filter_values()
            for event_type in sub.event_types:
                names.append(
                    subscribed_type(
                        event_type, values.get("definitionKey"), values.get("statusCode")
                    )
                )
        return tuple(dict.fromkeys(names)) or (NO_EVENTS,)


def subscription_from(data: Mapping[str, Any]) -> Subscription:
    return Subscription(
        id=str(data["subscriptionId"]),
        name=str(data["subscriptionName"]),
        event_types=list(data.get("eventCategoryTypes", [])),
        filters=list(data.get("filters", [])),
        status=str(data.get("status", "active")),
        status_reason=str(data.get("statusReason", "none")),
    )


def callback_of(endpoint: Endpoint) -> Callback | None:
    """The callback an endpoint is, or None for another kind of sfmc endpoint."""
    attrs = endpoint.attributes
    if endpoint.dialect != DIALECT or attrs.get("ens") != "callback":
        return None
    return Callback(
        endpoint=endpoint,
        name=str(attrs.get("callbackName", "")),
        max_batch_size=int(attrs.get("maxBatchSize", 1000)),
        verification_key=str(attrs.get("verificationKey", "")),
        verified=bool(attrs.get("verified")),
        subscriptions=[subscription_from(s) for s in attrs.get("subscriptions", [])],
    )


def _not_found(what: str) -> SfmcError:
    return SfmcError(
        f"MCMS_UWH_Runtime_ObjectNotFound: {what} not found", errorcode=30003, status=404
    )


async def load_callbacks(conn: Connection, scope: Scope) -> list[Callback]:
    endpoints = await webhooks.list_endpoints(conn, scope, dialect=DIALECT, limit=MAX_CALLBACKS)
    return [c for c in (callback_of(e) for e in endpoints) if c is not None]


async def load_callback(conn: Connection, scope: Scope, callback_id: str) -> Callback:
    try:
        endpoint = await webhooks.get_endpoint(conn, scope, callback_id)
    except NotFound as exc:
        raise _not_found("callbackId") from exc
    found = callback_of(endpoint)
    if found is None:
        raise _not_found("callbackId")
    return found


async def find_subscription(
    conn: Connection, scope: Scope, subscription_id: str
) -> tuple[Callback, Subscription]:
    for callback in await load_callbacks(conn, scope):
        for sub in callback.subscriptions:
            if sub.id == subscription_id:
                return callback, sub
    raise _not_found("subscriptionId")


async def save(
    conn: Connection, ctx: Context, scope: Scope, callback: Callback, *, enable: bool = False
) -> Callback:
    """Write a callback's attributes and event types back to its endpoint (``enable``: turn
    delivery on, as verification does; otherwise a suspension stays as the engine left it)."""
    patch = EndpointPatch(
        attributes=callback.attributes(),
        event_types=callback.event_types(),
        enabled=True if enable else UNSET,
    )
    endpoint = await webhooks.update_endpoint(conn, ctx.webhooks, scope, callback.id, patch)
    callback.endpoint = endpoint
    return callback


def check_url(ctx: Context, url: str) -> None:
    """https, no query string (plain http is allowed where private webhooks are)."""
    parts = urlsplit(url)
    allowed = ("https", "http") if ctx.settings.allow_private_webhooks else ("https",)
    if parts.scheme not in allowed or not parts.hostname or parts.query:
        raise SfmcError(
            "MCMS_UWH_Validation_InvalidUrl: the url must be https with no query string",
            errorcode=10003,
        )


async def create_callback(
    conn: Connection, ctx: Context, scope: Scope, *, name: str, url: str, max_batch_size: int
) -> Callback:
    """A new, unverified callback (disabled until verified)."""
    existing = await load_callbacks(conn, scope)
    if any(c.endpoint.url == url for c in existing):
        raise SfmcError(
            "MCMS_UWH_Validation_CallbackExists: the url is already registered",
            errorcode=30004,
            status=409,
        )
    attributes = {
        "ens": "callback",
        "callbackName": name,
        "maxBatchSize": max_batch_size,
        "verificationKey": secrets.token_urlsafe(32),
        "verified": False,
        "subscriptions": [],
    }
    spec = EndpointSpec(
        url=url,
        dialect=DIALECT,
        event_types=(NO_EVENTS,),
        description=f"ENS callback {name}"[:500],
        enabled=False,
        attributes=attributes,
        max_attempts=MAX_ATTEMPTS,
        timeout_seconds=TIMEOUT_SECONDS,
    )
    endpoint = await webhooks.create_endpoint(conn, ctx.webhooks, scope, spec)
    created = callback_of(endpoint)
    assert created is not None
    return created


async def probe(
    client: EgressClient, url: str, callback_id: str, verification_key: str
) -> str | None:
    """POST the verification payload to a callback URL; None when it answered 200.

    The request goes through the guarded client, so it reaches only an address that was
    vetted when the name was resolved; what went wrong is said in the client's words.
    """
    body = orjson.dumps({"callbackId": callback_id, "verificationKey": verification_key})
    headers = {"content-type": "application/json"}
    try:
        reply = await client.post(url, body, headers, timeout=PROBE_TIMEOUT_SECONDS, read_limit=0)
    except EgressError as exc:
        return exc.message
    if reply.status != 200:
        return f"Status: {reply.status}"
    return None


def new_subscription_id() -> str:
    return str(uuid.uuid4())


def check_event_types(names: Any) -> list[str]:
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise SfmcError(
            "MCMS_UWH_Validation_MissingRequiredField_eventCategoryTypes", errorcode=10002
        )
    unknown = [n for n in names if n not in EVENT_TYPES]
    if unknown:
        raise SfmcError(
            f"MCMS_UWH_Validation_InvalidValue_eventCategoryTypes: {', '.join(unknown)}",
            errorcode=10005,
        )
    return list(dict.fromkeys(names))


def check_filters(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
        raise SfmcError("MCMS_UWH_Validation_InvalidValue_filters", errorcode=10005)
    seen: dict[str, str] = {}
    for item in raw:
        name, sep, value = item.partition("=")
        if not sep or name.strip() not in FILTER_NAMES or not value.strip() or name in seen:
            raise SfmcError(
                f"MCMS_UWH_Validation_InvalidValue_filters: {item!r}"
                " (use definitionKey=… and statusCode=…, each once)",
                errorcode=10005,
            )
        seen[name.strip()] = value.strip()
    return [f"{k}={v}" for k, v in seen.items()]


def present_subscription(callback: Callback, sub: Subscription) -> dict[str, Any]:
    return {
        "subscriptionId": sub.id,
        "subscriptionName": sub.name,
        "callbackId": callback.id,
        "callbackName": callback.name,
        "url": callback.endpoint.url,
        "maxBatchSize": callback.max_batch_size,
        "eventCategoryTypes": sub.event_types,
        "filters": sub.filters,
        "status": sub.status,
        "statusReason": sub.status_reason,
    }


def present_callback(callback: Callback) -> dict[str, Any]:
    status, reason = callback.status
    return {
        "callbackId": callback.id,
        "callbackName": callback.name,
        "url": callback.endpoint.url,
        "maxBatchSize": callback.max_batch_size,
        "status": status,
        "statusReason": reason,
    }


def secrets_match(expected: str, given: str) -> bool:
    return secrets.compare_digest(expected.encode(), given.encode())


def names_in_use(callbacks: Sequence[Callback]) -> set[str]:
    return {s.name for c in callbacks for s in c.subscriptions}
