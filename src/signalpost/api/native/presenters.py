"""Native JSON shapes of messages, activities and templates."""

from __future__ import annotations

from typing import Any

import orjson

from signalpost.activities.schemas import Activity, ActivityWithMessage
from signalpost.domain.pricing import format_price
from signalpost.messages.schemas import CreatedMessage, Message
from signalpost.templates.schemas import Template
from signalpost.timeutil import iso

__all__ = ["activity", "created", "message", "template"]


def _price(micros: int | None) -> str | None:
    return None if micros is None else format_price(micros)


def event(a: Activity) -> dict[str, Any]:
    return {
        "id": a.id,
        "status": a.status,
        "timestamp": iso(a.created_at),
        "description": a.description,
        "reason_code": a.reason_code,
        "reason": a.reason,
        "error_code": a.error_code,
        "price": _price(a.price_micros),
    }


def message(m: Message, *, events: bool = True) -> dict[str, Any]:
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
        "price": _price(m.price_micros),
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
    if events:
        out["events"] = [event(a) for a in m.events]
    return out


def created(c: CreatedMessage) -> dict[str, Any]:
    return {
        "id": c.id,
        "to": c.to,
        "channel": c.channel,
        "status": c.status,
        "message_key": c.message_key,
        "segments": c.segments,
        "encoding": c.encoding,
        "price": _price(c.price_micros),
        "currency": c.currency,
    }


def activity(row: ActivityWithMessage) -> dict[str, Any]:
    out = event(row.activity)
    out["message_id"] = row.activity.message_id
    out["to"] = row.to_number
    out["from"] = row.from_number
    out["channel"] = row.channel
    return out


def template(t: Template) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "body": t.body,
        "category": t.category,
        "channels": list(t.channels),
        "variables": list(t.variables),
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
    }
