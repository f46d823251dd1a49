"""The platform's own JSON shape of a message and of its steps, written once.

The native API answers with it (``GET /v1/messages/{id}``, listings, exports) and the
native webhook events carry it, so the two cannot drift apart.  Times are ISO 8601 in
UTC, prices decimal strings in the message's currency.
"""

from __future__ import annotations

from typing import Any

import orjson

from signalpost.activities.schemas import Activity
from signalpost.domain.pricing import format_price
from signalpost.messages.schemas import Message
from signalpost.timeutil import iso

__all__ = ["event", "message", "price"]


def price(micros: int | None) -> str | None:
    return None if micros is None else format_price(micros)


def event(a: Activity, *, with_id: bool = True) -> dict[str, Any]:
    """One step of a message; ``with_id=False`` leaves out its id (webhook events, written
    in the step's transaction, before the database numbers it)."""
    out: dict[str, Any] = {
        "id": a.id,
        "status": a.status,
        "timestamp": iso(a.created_at),
        "description": a.description,
        "reason_code": a.reason_code,
        "reason": a.reason,
        "error_code": a.error_code,
        "price": price(a.price_micros),
    }
    if not with_id:
        del out["id"]
    return out


def message(m: Message, *, events: bool = True, with_test: bool = True) -> dict[str, Any]:
    """A message, with its events (oldest first) unless ``events=False``; webhook events
    leave out ``test`` (``with_test=False``), which they never carried."""
    out: dict[str, Any] = {
        "id": m.id,
        "batch_id": m.batch_id,
        "message_key": m.message_key,
        "to": m.to_number,
        "from": m.from_number,
        "channel": m.channel,
        "status": m.status,
        "reason_code": m.reason_code,
        "reason": m.reason,
        "text": m.body,
        "template": {"id": m.template_id, "name": m.template_name} if m.template_id else None,
        "region_code": m.region_code,
        "segments": m.segments,
        "encoding": m.encoding,
        "price": price(m.price_micros),
        "currency": m.currency,
        "carrier": m.carrier,
        "test": bool(m.test),  # SQLite hands back 0 or 1
        "attempts": m.attempts,
        "metadata": orjson.loads(m.metadata) if m.metadata else None,
        "scheduled_at": iso(m.scheduled_at),
        "expires_at": iso(m.expires_at),
        "created_at": iso(m.created_at),
        "updated_at": iso(m.updated_at),
        "sent_at": iso(m.sent_at),
        "delivered_at": iso(m.delivered_at),
    }
    if not with_test:
        del out["test"]
    if events:
        out["events"] = [event(a) for a in m.events]
    return out
