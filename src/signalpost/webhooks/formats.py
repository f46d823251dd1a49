"""Webhook formats: how one dialect names, shapes and signs its status events.

The engine is dialect-neutral: it stores endpoints, writes events in the same transaction as
the state change (the outbox), delivers, retries and records attempts.  A dialect plugs in
with a :class:`WebhookFormat` for its ``dialect`` name (the value endpoints carry in their
``dialect`` column), listed in its ``Dialect`` value::

    from signalpost.webhooks import formats

    class MyFormat(formats.WebhookFormat):
        dialect = "mydialect"

        def event_types(self, applied): ...           # names this step produces, [] = none
        def payload(self, event_type, applied, event_id, occurred_at): ...   # -> bytes
        def headers(self, endpoint_secret, event_id, timestamp, body): ...   # -> dict

    DIALECT = Dialect(..., webhook_formats=(MyFormat(),))

``payload`` runs when the event is written (inside the transaction of the state change), so
it reflects the message as it was at that step: ``applied.message`` is the
:class:`~signalpost.messages.schemas.Message` after the step and ``applied.activity`` the
step's :class:`~signalpost.activities.schemas.Activity`; ``occurred_at`` is in microseconds.
``headers`` runs at each delivery attempt; ``timestamp`` is the attempt time in Unix
seconds.  Both must be pure and fast: they run on the send and dispatch hot paths.

Consent changes (a number opted out or back in) are events too, for the formats that name
them: :meth:`WebhookFormat.consent_event_types` (default: none, so a dialect without such
events ignores them) and :meth:`WebhookFormat.build_consent`.

Formats that need more context override the richer hooks, whose defaults call the three
methods above: :meth:`WebhookFormat.build` receives an :class:`EventContext` (with the
endpoint: id, url, attributes) and :meth:`WebhookFormat.sign` a :class:`SigningContext`
(with the endpoint, the event type, the attempt number and every valid secret).  Further
hooks with defaults: :meth:`~WebhookFormat.matches` (subscription filter),
:meth:`~WebhookFormat.accepts` (a filter by the endpoint's attributes),
:meth:`~WebhookFormat.new_secret`, :meth:`~WebhookFormat.test_event`,
:meth:`~WebhookFormat.is_success`, :meth:`~WebhookFormat.disable_rule` (when a failing
endpoint is disabled), :attr:`~WebhookFormat.keeps_events_while_disabled` and
:attr:`~WebhookFormat.catalog`.

A format must be registered in every process that records state changes or delivers
(servers and workers): a dialect lists its formats in its ``Dialect`` value, and every
process registers those of the dialect list (``signalpost.api.dialects``) when it starts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from signalpost.consent.schemas import ConsentChange
from signalpost.domain.lifecycle import Status
from signalpost.messages import native
from signalpost.messages.transitions import Applied
from signalpost.timeutil import iso
from signalpost.webhooks import signing
from signalpost.webhooks.schemas import DeliveryPolicy, DisableRule, EndpointRef

__all__ = [
    "ConsentEventContext",
    "DisableRule",
    "EndpointInfo",
    "EventContext",
    "NativeFormat",
    "SigningContext",
    "UnknownDialect",
    "WebhookFormat",
    "dialects",
    "get",
    "register",
]


@dataclass(frozen=True, slots=True)
class EndpointInfo:
    """What a format may know about the endpoint an event is for."""

    id: str
    tenant_id: str
    organization_id: str
    dialect: str
    url: str
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, endpoint: _EndpointFields) -> EndpointInfo:
        """The info of a stored endpoint (its full row or the outbox's reference)."""
        return cls(
            endpoint.id,
            endpoint.tenant_id,
            endpoint.organization_id,
            endpoint.dialect,
            endpoint.url,
            endpoint.attributes,
        )


class _EndpointFields(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def organization_id(self) -> str: ...
    @property
    def dialect(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def attributes(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class EventContext:
    """Everything known when an event is written."""

    event_type: str
    applied: Applied
    event_id: str
    occurred_at: int  # microseconds
    endpoint: EndpointInfo


@dataclass(frozen=True, slots=True)
class ConsentEventContext:
    """Everything known when the event of a consent change is written."""

    event_type: str
    change: ConsentChange
    event_id: str
    occurred_at: int  # microseconds
    endpoint: EndpointInfo


@dataclass(frozen=True, slots=True)
class SigningContext:
    """Everything known when a delivery attempt is signed."""

    secret: str  # the current secret
    secrets: tuple[str, ...]  # the current secret first, then a rotated-out one still valid
    event_id: str
    event_type: str
    timestamp: int  # Unix seconds of this attempt
    body: bytes
    endpoint: EndpointInfo
    attempt_no: int


class UnknownDialect(KeyError):
    """No webhook format is registered for this dialect."""


class WebhookFormat(ABC):
    """One dialect's webhook vocabulary, payload shape and signature scheme."""

    dialect: str = ""
    content_type: str = "application/json"
    catalog: tuple[str, ...] = ()
    """Every event type this format can produce (for validation and documentation)."""
    keeps_events_while_disabled: bool = True
    """Whether events of a disabled endpoint are kept and delivered once it is enabled
    again (within the retry window); otherwise they are not written at all."""

    @abstractmethod
    def event_types(self, applied: Applied) -> list[str]:
        """The event types a lifecycle step produces in this dialect (empty: none)."""

    @abstractmethod
    def payload(self, event_type: str, applied: Applied, event_id: str, occurred_at: int) -> bytes:
        """The request body, built when the event is written."""

    @abstractmethod
    def headers(
        self, endpoint_secret: str, event_id: str, timestamp: int, body: bytes
    ) -> dict[str, str]:
        """Signature and other headers of one attempt (``content-type`` is added)."""

    def build(self, event: EventContext) -> bytes:
        """The request body with the endpoint known; defaults to :meth:`payload`."""
        return self.payload(event.event_type, event.applied, event.event_id, event.occurred_at)

    def sign(self, ctx: SigningContext) -> dict[str, str]:
        """Headers of one attempt with full context; defaults to :meth:`headers`."""
        return self.headers(ctx.secret, ctx.event_id, ctx.timestamp, ctx.body)

    def matches(self, subscribed: Sequence[str], event_type: str) -> bool:
        """Whether an endpoint subscribed to ``subscribed`` wants ``event_type``.

        Empty means every event; ``"*"`` too; ``"message"`` matches ``"message.sent"``.
        """
        if not subscribed:
            return True
        for name in subscribed:
            if name in ("*", event_type) or event_type.startswith(name + "."):
                return True
        return False

    def accepts(self, endpoint: EndpointRef, applied: Applied) -> bool:
        """Whether the endpoint wants this step at all, by its attributes (e.g. a filter on
        the text); runs after :meth:`matches`.  Default: yes."""
        del endpoint, applied
        return True

    def consent_event_types(self, change: ConsentChange) -> list[str]:
        """The event types a consent change produces in this dialect (default: none)."""
        del change
        return []

    def build_consent(self, event: ConsentEventContext) -> bytes:
        """The request body of a consent change's event (formats that name such events)."""
        raise NotImplementedError(f"{self.dialect} names no consent events")

    def new_secret(self) -> str:
        """A fresh signing secret for a new endpoint or a rotation."""
        return signing.new_whsec()

    def test_event(self, event_id: str, occurred_at: int) -> tuple[str, bytes]:
        """The event type and body of a test delivery."""
        body = {
            "type": "webhook.test",
            "id": event_id,
            "timestamp": iso(occurred_at),
            "data": {"message": "A test event from Signalpost"},
        }
        return "webhook.test", orjson.dumps(body)

    def is_success(self, status_code: int, body: bytes) -> bool:
        """Whether the receiver's answer acknowledges the event (default: any 2xx)."""
        del body
        return 200 <= status_code < 300

    def disable_rule(self, policy: DeliveryPolicy) -> DisableRule:
        """When this dialect's endpoints are disabled for failing.  Default: every attempt
        failed for ``policy.disable_after_seconds``, at least ``disable_min_failures`` times."""
        return DisableRule(
            failing_for_seconds=policy.disable_after_seconds,
            min_failed_attempts=policy.disable_min_failures,
        )


_REGISTRY: dict[str, WebhookFormat] = {}


def register(fmt: WebhookFormat) -> WebhookFormat:
    """Register (or replace) the format of ``fmt.dialect``; returns it."""
    if not isinstance(fmt, WebhookFormat):
        raise TypeError(f"a webhook format derives from WebhookFormat, not {type(fmt).__name__}")
    if not fmt.dialect:
        raise ValueError("a webhook format needs a dialect name")
    _REGISTRY[fmt.dialect] = fmt
    return fmt


def get(dialect: str) -> WebhookFormat:
    """The format of a dialect, or :class:`UnknownDialect`."""
    try:
        return _REGISTRY[dialect]
    except KeyError:
        raise UnknownDialect(dialect) from None


def dialects() -> list[str]:
    return sorted(_REGISTRY)


# --------------------------------------------------------------------------- native

NATIVE_STATUSES: tuple[Status, ...] = (
    Status.SCHEDULED,
    Status.QUEUED,
    Status.SENT,
    Status.DELIVERED,
    Status.READ,
    Status.FAILED,
    Status.EXPIRED,
    Status.REJECTED,
    Status.BLOCKED,
    Status.FILTERED,
    Status.CANCELLED,
)
_NATIVE_TYPES = {s.value: f"message.{s.value}" for s in (*NATIVE_STATUSES, Status.RECEIVED)}
OPTED_OUT = "recipient.opted_out"
OPTED_IN = "recipient.opted_in"


def _scope_fields(organization_id: str, tenant_id: str) -> dict[str, Any]:
    """Whose the event is: the organization, and the profile when it is a profile's."""
    profile = None if tenant_id == organization_id else tenant_id
    return {"organization_id": organization_id, "profile_id": profile}


def native_inbound(applied: Applied) -> dict[str, Any]:
    """An inbound message as ``message.received`` carries it."""
    m = applied.message
    return {
        "id": m.id,
        "from": m.from_number,
        "to": m.to_number,
        "text": m.body,
        "channel": m.channel,
        "status": m.status,
        "segments": m.segments,
        "encoding": m.encoding,
        "region_code": m.region_code,
        "received_at": iso(m.created_at),
        **_scope_fields(m.organization_id, m.tenant_id),
        "keyword": applied.keyword.value if applied.keyword is not None else None,
    }


def native_consent(change: ConsentChange) -> dict[str, Any]:
    """A consent change as ``recipient.opted_out`` and ``recipient.opted_in`` carry it."""
    r = change.recipient
    return {
        "phone_number": r.phone_number,
        "status": r.status.value,
        **_scope_fields(change.organization_id, r.tenant_id),
        "reason": r.reason,
        "source": r.source.value if r.source else None,
        "keyword": change.keyword,
        "message_id": change.message_id,
        "changed_at": iso(r.updated_at),
    }


class NativeFormat(WebhookFormat):
    """The native API's events, signed with Standard Webhooks.

    Body: ``{"type": "message.delivered", "id": <event id>, "timestamp": <ISO 8601>,
    "data": {<the message as the API shows it>, "activity": {<the step>}}}``; the step's
    ``sequence`` increases with every step of the message, so a receiver can order events
    that arrive out of order.  ``message.received`` (an inbound message) carries the
    inbound message, with the keyword it was if any, and its step; ``recipient.opted_out``
    and ``recipient.opted_in`` carry a number whose consent changed (:func:`native_consent`).
    Headers:
    ``webhook-id`` (the event id, stable across retries), ``webhook-timestamp`` and
    ``webhook-signature`` (one ``v1,`` signature per valid secret, space separated, so a
    receiver keeps verifying during a secret rotation).
    """

    dialect = "native"
    catalog = (*_NATIVE_TYPES.values(), OPTED_OUT, OPTED_IN)

    def event_types(self, applied: Applied) -> list[str]:
        name = _NATIVE_TYPES.get(applied.activity.status)
        return [name] if name else []

    def consent_event_types(self, change: ConsentChange) -> list[str]:
        return [OPTED_OUT if change.opted_out else OPTED_IN]

    def build_consent(self, event: ConsentEventContext) -> bytes:
        body = {
            "type": event.event_type,
            "id": event.event_id,
            "timestamp": iso(event.occurred_at),
            "data": native_consent(event.change),
        }
        return orjson.dumps(body)

    def payload(self, event_type: str, applied: Applied, event_id: str, occurred_at: int) -> bytes:
        if applied.activity.status == Status.RECEIVED.value:
            data = native_inbound(applied)
        else:
            data = native.message(applied.message, events=False, with_test=False)
        data["activity"] = native.event(applied.activity, with_id=False)
        data["activity"]["sequence"] = applied.sequence  # orders a message's events
        body = {"type": event_type, "id": event_id, "timestamp": iso(occurred_at), "data": data}
        return orjson.dumps(body)

    def headers(
        self, endpoint_secret: str, event_id: str, timestamp: int, body: bytes
    ) -> dict[str, str]:
        return {
            "webhook-id": event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signing.standard_signature(
                endpoint_secret, event_id, timestamp, body
            ),
        }

    def sign(self, ctx: SigningContext) -> dict[str, str]:
        headers = self.headers(ctx.secret, ctx.event_id, ctx.timestamp, ctx.body)
        if len(ctx.secrets) > 1:
            headers["webhook-signature"] = " ".join(
                signing.standard_signature(s, ctx.event_id, ctx.timestamp, ctx.body)
                for s in ctx.secrets
            )
        return headers


register(NativeFormat())
