"""MailerSend's webhook deliveries, on the platform's webhook engine.

An SMS webhook belongs to one sending number: its subscriptions are stored qualified by that
number's E.164 form (``sms.delivered#+18332647501``), the event types of a step name the
number the SMS was sent from, and an endpoint receives exactly the types it subscribed to.
``sms.sent``, ``sms.delivered`` and ``sms.failed`` carry the "fat" payload of the spec: the
activity row with the recipient's SMS and its recipient embedded.  Inbound routes are
endpoints of the same format: a received SMS to their number (``sms.inbound``) that passes
their filter is forwarded to them.  Every request is signed
in the ``Signature`` header: the lower-case hex HMAC-SHA256 of the raw body, keyed with the
webhook's signing secret.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any

import orjson

from signalpost.api.mailersend import ids, presenters, wire
from signalpost.api.mailersend.wire import event_name, subscribed
from signalpost.consent import service as consent
from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.messages.schemas import Message
from signalpost.messages.transitions import Applied
from signalpost.timeutil import iso
from signalpost.webhooks import formats, signing
from signalpost.webhooks.formats import EventContext
from signalpost.webhooks.schemas import EndpointRef

__all__ = ["DIALECT", "FORMAT", "INBOUND", "MailerSendFormat", "verify"]

DIALECT = "mailersend"
INBOUND = "sms.inbound"
_FAILED = (
    Status.FAILED,
    Status.EXPIRED,
    Status.REJECTED,
    Status.BLOCKED,
    Status.FILTERED,
    Status.CANCELLED,
)
_EVENT_OF: dict[str, str] = {
    Status.SENT: "sms.sent",
    Status.DELIVERED: "sms.delivered",
    **{s.value: "sms.failed" for s in _FAILED},
}


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is this body's ``Signature`` header (constant-time compare)."""
    expected = signing.hmac_sha256_hex(secret.encode(), body)
    return hmac.compare_digest(expected, signature.strip().lower())


def _recipient(message: Message) -> dict[str, Any]:
    opted_out = message.reason_code == ReasonCode.OPTED_OUT
    return {
        "id": ids.short_id(consent.recipient_id(message.tenant_id, message.to_number)),
        "number": message.to_number,
        "status": "opt_out" if opted_out else "active",
        "created_at": iso(message.created_at),
    }


def _data(applied: Applied) -> dict[str, Any]:
    message = applied.message
    sms = presenters.sms(message)
    sms.update(created_at=iso(message.created_at), recipient=_recipient(message))
    return {
        "from": message.from_number,
        "to": message.to_number,
        "created_at": iso(applied.activity.created_at),
        "status": wire.status(applied.activity.status),
        "sms_message_id": ids.object_id(message.batch_id),
        "sms": sms,
        "sequence": applied.sequence,  # orders a message's events (an extra field)
    }


def _inbound(event: EventContext, number_id: str | None) -> dict[str, Any]:
    """What an inbound route forwards: the received SMS (``sms.inbound``)."""
    message = event.applied.message
    short_number = ids.short_id(number_id) if number_id else None
    return {
        "type": INBOUND,
        "sms_number_id": short_number,
        "sms_inbound_id": ids.short_id(event.endpoint.id),
        "created_at": iso(event.occurred_at),
        "data": {
            "id": ids.sms_id(message.id),
            "from": message.from_number,
            "to": message.to_number,
            "text": message.body,
            "created_at": iso(message.created_at),
            "sms_number_id": short_number,
        },
    }


class MailerSendFormat(formats.WebhookFormat):
    """``sms.sent``, ``sms.delivered`` and ``sms.failed``, per sending number."""

    dialect = DIALECT
    catalog = ()  # subscriptions carry their number; the dialect validates event names

    def event_types(self, applied: Applied) -> list[str]:
        message, status = applied.message, applied.activity.status
        if status == Status.RECEIVED:
            return [subscribed(INBOUND, message.to_number)]
        name = _EVENT_OF.get(status)
        if name is None or message.channel != "sms" or not message.from_number:
            return []
        return [subscribed(name, message.from_number)]

    def matches(self, subscribed: Sequence[str], event_type: str) -> bool:
        return event_type in subscribed

    def accepts(self, endpoint: EndpointRef, applied: Applied) -> bool:
        """An inbound route takes the messages its filter lets through."""
        rule = endpoint.attributes.get("filter")
        if endpoint.attributes.get("kind") != "inbound" or not rule:
            return True
        return wire.passes(rule["comparer"], rule["value"], applied.message.body)

    def build(self, event: EventContext) -> bytes:
        attributes = event.endpoint.attributes
        number_id = attributes.get("sms_number_id")
        if attributes.get("kind") == "inbound":
            return orjson.dumps(_inbound(event, number_id))
        body = {
            "type": event_name(event.event_type),
            "sms_number_id": ids.short_id(number_id) if number_id else None,
            "created_at": iso(event.occurred_at),
            "sms_webhook_id": ids.short_id(event.endpoint.id),
            "url": event.endpoint.url,
            "data": _data(event.applied),
        }
        return orjson.dumps(body)

    def payload(self, event_type: str, applied: Applied, event_id: str, occurred_at: int) -> bytes:
        del event_id
        body = {"type": event_name(event_type), "created_at": iso(occurred_at)}
        return orjson.dumps({**body, "data": _data(applied)})

    def headers(
        self, endpoint_secret: str, event_id: str, timestamp: int, body: bytes
    ) -> dict[str, str]:
        del event_id, timestamp
        return {"Signature": signing.hmac_sha256_hex(endpoint_secret.encode(), body)}

    def new_secret(self) -> str:
        return signing.new_token(32)

    def test_event(self, event_id: str, occurred_at: int) -> tuple[str, bytes]:
        del event_id
        return "sms.test", orjson.dumps({"type": "sms.test", "created_at": iso(occurred_at)})


FORMAT = MailerSendFormat()
