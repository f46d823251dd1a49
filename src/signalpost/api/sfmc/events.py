"""ENS event deliveries: SFMC's event payloads and signature as a webhook format.

Each event is POSTed as a JSON array (one event per request) with the header
``x-sfmc-ens-signature``: the HMAC-SHA256 of the raw body, keyed with the callback's
``signatureKey`` after base64-decoding it, base64-encoded.  Only 200-204 acknowledge.

Subscription filters ride on the event type: a step of a message sent through definition
``k`` produces the plain type (``TransactionalSendEvents.SmsDelivered``) and qualified ones
(``…#d<hash of k>``, ``…#s<statusCode>``, ``…#d<hash>#s<code>``); a subscription subscribes
its callback's endpoint to the one form its filters name (:func:`subscribed_type`), so the
engine's exact-match routing applies ``definitionKey=`` and ``statusCode=`` filters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence
from typing import Any

import orjson

from signalpost.api.sfmc import wire
from signalpost.messages.schemas import Message
from signalpost.messages.transitions import Applied
from signalpost.webhooks import formats

__all__ = [
    "EVENT_TYPES",
    "NO_EVENTS",
    "SfmcEnsFormat",
    "sign_body",
    "subscribed_type",
]

PREFIX = "TransactionalSendEvents."
EVENT_TYPES: tuple[str, ...] = tuple(
    PREFIX + name
    for name in ("SmsSent", "SmsNotSent", "SmsDelivered", "SmsBounced", "SmsTransient")
)
NO_EVENTS = "#none"
"""The event type of a callback without active subscriptions: nothing produces it."""

_BOUNCE_BY_REASON = {"DELIVERY_004": ("4502", "Deleted"), "DELIVERY_005": ("3400", "Unknown")}
_BOUNCE_BY_STATUS = {
    "failed": ("4500", "Undeliverable"),
    "expired": ("4501", "Expired"),
    "rejected": ("4503", "Rejected"),
}
_NOT_SENT = frozenset({"failed", "expired", "rejected", "blocked", "filtered", "cancelled"})


def _key_hash(definition_key: str) -> str:
    return hashlib.sha256(definition_key.encode()).hexdigest()[:12]


def subscribed_type(event_type: str, definition_key: str | None, status_code: str | None) -> str:
    """The event type a subscription with these filters listens to."""
    name = event_type
    if definition_key is not None:
        name += "#d" + _key_hash(definition_key)
    if status_code is not None:
        name += "#s" + status_code
    return name


def sign_body(signature_key: str, body: bytes) -> str:
    """``x-sfmc-ens-signature``: base64 HMAC-SHA256 of the body with the decoded key."""
    digest = hmac.new(base64.b64decode(signature_key), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _classify(applied: Applied) -> tuple[str, str | None, str | None] | None:
    """``(event name, statusCode, status text)`` of a step, or None when it has no event."""
    status = applied.activity.status
    reason_code = applied.activity.reason_code
    if status == "queued":
        return "SmsTransient", "1000", "QueuedToSfmcSendService"
    if status == "sent":
        return "SmsSent", None, None
    if status in ("delivered",):
        return "SmsDelivered", "4000", "Delivered"
    if status in _BOUNCE_BY_STATUS and applied.message.sent_at is not None:
        code, text = _BOUNCE_BY_REASON.get(reason_code or "", _BOUNCE_BY_STATUS[status])
        return "SmsBounced", code, text
    if status in _NOT_SENT:
        code_number, text = wire.not_sent_code(status, reason_code)
        return "SmsNotSent", str(code_number), text
    return None


def _metadata(message: Message) -> dict[str, Any]:
    raw = message.metadata
    data = orjson.loads(raw) if raw else {}
    return data if isinstance(data, dict) else {}


def _event(applied: Applied, name: str, code: str | None, text: str | None) -> dict[str, Any]:
    message = applied.message
    meta = _metadata(message)
    to = wire.phone_digits(message.to_number)
    info: dict[str, Any] = {
        "to": to,
        "subscriberKey": meta.get("contactKey") or to,
        "messageKey": message.message_key,
    }
    event: dict[str, Any] = {
        "eventCategoryType": PREFIX + name,
        "timestampUTC": applied.activity.created_at // 1000,
        "compositeId": wire.composite_id(message.id, message.tenant_id, message.batch_id),
    }
    if name == "SmsNotSent":
        info["reason"] = applied.activity.reason or text
        info["statusCode"] = code
    elif code is not None:
        event["composite"] = {
            "Tsid": f"api.{message.batch_id}",
            "jobId": meta.get("definitionId"),
            "batchId": str(wire.number_id(message.batch_id, 6)),
            "mobileNumber": to,
            "subscriberId": "0",
        }
        info.update(
            ordinal="0",
            statusCode=code,
            statusMessage=text,
            fromAddress=message.from_number,
            countryCode=message.region_code,
        )
    event.update(
        definitionKey=meta.get("definitionKey"),
        definitionId=meta.get("definitionId"),
        mid=wire.number_id(message.tenant_id),
        eid=wire.number_id(message.organization_id),
        info=info,
    )
    return event


class SfmcEnsFormat(formats.WebhookFormat):
    """Marketing Cloud's Event Notification Service events (SMS transactional sends)."""

    dialect = "sfmc"
    catalog = ()  # subscriptions are validated by the dialect (types carry filter qualifiers)
    keeps_events_while_disabled = False  # ENS drops events while a callback is suspended

    def event_types(self, applied: Applied) -> list[str]:
        if applied.message.dialect != "sfmc":
            return []
        found = _classify(applied)
        if found is None:
            return []
        base = PREFIX + found[0]
        key = _metadata(applied.message).get("definitionKey")
        names = [base]
        if key is not None:
            names.append(subscribed_type(base, str(key), None))
        if found[1] is not None:
            names.append(subscribed_type(base, None, found[1]))
            if key is not None:
                names.append(subscribed_type(base, str(key), found[1]))
        return names

    def matches(self, subscribed: Sequence[str], event_type: str) -> bool:
        return event_type in subscribed

    def payload(self, event_type: str, applied: Applied, event_id: str, occurred_at: int) -> bytes:
        del event_id, occurred_at
        found = _classify(applied)
        if found is None:  # not reached: event_types named none
            return b"[]"
        return orjson.dumps([_event(applied, *found)])

    def headers(
        self, endpoint_secret: str, event_id: str, timestamp: int, body: bytes
    ) -> dict[str, str]:
        del event_id, timestamp
        return {"x-sfmc-ens-signature": sign_body(endpoint_secret, body)}

    def new_secret(self) -> str:
        return base64.b64encode(os.urandom(32)).decode()

    def test_event(self, event_id: str, occurred_at: int) -> tuple[str, bytes]:
        del event_id
        event = {
            "eventCategoryType": PREFIX + "SmsTransient",
            "timestampUTC": occurred_at // 1000,
            "info": {"statusCode": "1000", "statusMessage": "QueuedToSfmcSendService"},
        }
        return PREFIX + "SmsTransient", orjson.dumps([event])

    def is_success(self, status_code: int, body: bytes) -> bool:
        del body
        return 200 <= status_code <= 204
