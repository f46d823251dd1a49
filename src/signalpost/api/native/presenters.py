"""Native JSON shapes of messages, activities and templates (a message and its steps are
shaped by :mod:`signalpost.messages.native`, which the native webhook events share)."""

from __future__ import annotations

from typing import Any

from signalpost.activities.schemas import ActivityWithMessage
from signalpost.messages.native import event, message
from signalpost.messages.native import price as _price
from signalpost.messages.schemas import Message
from signalpost.templates.schemas import Template
from signalpost.timeutil import iso

__all__ = ["activity", "created", "event", "message", "template"]


def created(c: Message) -> dict[str, Any]:
    return {
        "id": c.id,
        "to": c.to_number,
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
