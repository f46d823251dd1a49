"""sent.dm webhook events on the platform's webhook engine.

Each lifecycle step becomes at most one event (no event for ACCEPTED or PROCESSED):
``message.queued``, ``.scheduled``, ``.routed``, ``.sent``, ``.delivered``, ``.read``,
``.failed`` (also for expired and rejected, told apart by ``reason_code``), ``.blocked``,
``.filtered`` and ``.cancelled``.  The body is sent.dm's envelope::

    {"field": "message", "event": "message.delivered", "sub_type": "message.delivered",
     "timestamp": "2026-03-11T19:51:01Z", "request_id": "req_...", "payload": {...}}

(``sub_type`` repeats ``event`` for consumers of the older documentation; ``payload``
also has ``sequence``, increasing with every step of the message, for receivers that
order events, an extra field the SDK's models accept.)  Headers:
``x-webhook-id`` (the webhook's id), ``x-webhook-timestamp`` (Unix seconds),
``x-webhook-event-type`` (``message``), ``x-webhook-event-id`` (the event's id, the same
on every retry) and ``x-webhook-signature``: ``v1,`` and the base64 HMAC-SHA256, keyed by
the base64 key after ``whsec_``, of ``{webhook id}.{timestamp}.{raw body}``.
"""

from __future__ import annotations

from typing import Any

import orjson

from signalpost.api.sentdm.wire import REASONED, activity_status, request_id, webhook_time
from signalpost.messages.schemas import Message
from signalpost.messages.transitions import Applied
from signalpost.timeutil import new_id
from signalpost.webhooks import formats, signing
from signalpost.webhooks.formats import SigningContext
from signalpost.webhooks.schemas import DeliveryPolicy, DisableRule

__all__ = ["FAMILY", "FORMAT", "SENTDM", "TEST_EVENT", "SentDmFormat"]

SENTDM = "sentdm"
FAMILY = "message"
MAX_BODY = 3072
DISABLE_AFTER_FAILED_EVENTS = 10
_EVENTS = {
    "queued": "message.queued",
    "scheduled": "message.scheduled",
    "routed": "message.routed",
    "sent": "message.sent",
    "delivered": "message.delivered",
    "read": "message.read",
    "failed": "message.failed",
    "expired": "message.failed",
    "rejected": "message.failed",
    "blocked": "message.blocked",
    "filtered": "message.filtered",
    "cancelled": "message.cancelled",
}
TEST_EVENT = "message.test"


def message_payload(message: Message, status: str, at: int) -> dict[str, Any]:
    """The ``payload`` of a message event: the message as it stood at ``at``."""
    shown = activity_status(status)
    body = message.body
    out: dict[str, Any] = {
        "account_id": message.tenant_id,
        "message_id": message.id,
        "message_status": shown,
        "channel": message.channel,
        "outbound_number": message.to_number,
        "template_id": message.template_id,
        "template_name": message.template_name,
        "body": body[:MAX_BODY] if isinstance(body, str) else None,
        "updated_at": webhook_time(at),
    }
    if shown.lower() in REASONED and message.reason_code:
        out["reason_code"] = message.reason_code
        out["reason"] = message.reason or message.reason_code
    scheduled = message.scheduled_at
    if shown in ("SCHEDULED", "CANCELLED") and scheduled:
        out["scheduled_at"] = webhook_time(scheduled)
        if shown == "SCHEDULED":
            out["schedule_reason"] = "scheduled_at"
    return out


def envelope(event_type: str, payload: dict[str, Any], at: int) -> bytes:
    return orjson.dumps(
        {
            "field": FAMILY,
            "event": event_type,
            "sub_type": event_type,
            "timestamp": webhook_time(at),
            "request_id": request_id(),
            "payload": payload,
        }
    )


class SentDmFormat(formats.WebhookFormat):
    """The sent.dm v3 webhook vocabulary, envelope and signature."""

    dialect = SENTDM
    catalog = (*dict.fromkeys(_EVENTS.values()), TEST_EVENT)

    def event_types(self, applied: Applied) -> list[str]:
        name = _EVENTS.get(applied.activity.status)
        return [name] if name else []

    def payload(self, event_type: str, applied: Applied, event_id: str, occurred_at: int) -> bytes:
        del event_id
        payload = message_payload(applied.message, applied.activity.status, occurred_at)
        payload["sequence"] = applied.sequence  # orders a message's events (an extra field)
        return envelope(event_type, payload, occurred_at)

    def headers(
        self, endpoint_secret: str, event_id: str, timestamp: int, body: bytes
    ) -> dict[str, str]:
        # Without the endpoint known, the event id stands in for the webhook id.
        return _headers(endpoint_secret, event_id, event_id, timestamp, body)

    def sign(self, ctx: SigningContext) -> dict[str, str]:
        return _headers(ctx.secret, ctx.endpoint.id, ctx.event_id, ctx.timestamp, ctx.body)

    def disable_rule(self, policy: DeliveryPolicy) -> DisableRule:
        """sent.dm disables a webhook after ten consecutive failed events."""
        del policy
        return DisableRule(failed_events=DISABLE_AFTER_FAILED_EVENTS)

    def test_event(self, event_id: str, occurred_at: int) -> tuple[str, bytes]:
        payload = {
            "account_id": None,
            "message_id": new_id(),
            "message_status": "DELIVERED",
            "channel": "sms",
            "outbound_number": "+14155551234",
            "template_id": None,
            "template_name": None,
            "body": "A test event from Signalpost",
            "updated_at": webhook_time(occurred_at),
        }
        del event_id
        return TEST_EVENT, envelope(TEST_EVENT, payload, occurred_at)


def _headers(
    secret: str, webhook_id: str, event_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    return {
        "x-webhook-id": webhook_id,
        "x-webhook-timestamp": str(timestamp),
        "x-webhook-event-type": FAMILY,
        "x-webhook-event-id": event_id,
        "x-webhook-signature": signing.standard_signature(secret, webhook_id, timestamp, body),
    }


FORMAT = SentDmFormat()
