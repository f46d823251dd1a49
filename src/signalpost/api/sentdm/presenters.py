"""v3 JSON shapes of messages, activities, send results, templates, contacts and accounts.

Keys sent.dm documents as *absent* (not null) in some states are left out then:
``reason``/``reason_code`` outside FAILED, FILTERED and BLOCKED, and ``scheduled_at`` on
messages that were never held.  Signalpost charges no active-contact markup, so
``active_contact_price`` is zero wherever a price is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from signalpost.activities.schemas import Activity
from signalpost.api.sentdm.wire import (
    REASONED,
    activity_status,
    message_status,
    price_text,
    timestamp,
)
from signalpost.contacts.schemas import Contact
from signalpost.contacts.service import contact_id
from signalpost.domain.phone import parse_phone
from signalpost.domain.pricing import micros_to_float
from signalpost.messages.schemas import CHANNELS, Message
from signalpost.templates.schemas import Template

__all__ = [
    "activities",
    "contact",
    "message",
    "send_result",
    "template",
]

_AFTER_HAND_OFF = frozenset({"SENT", "DELIVERED", "READ", "FAILED"})
_HELD = frozenset({"SCHEDULED", "CANCELLED"})
_NO_MARKUP = "0.0000"


def _with_reason(out: dict[str, Any], status: str, code: str | None, reason: str | None) -> None:
    if status in REASONED and code:
        out["reason_code"] = code
        out["reason"] = reason or code


def event(a: Activity) -> dict[str, Any]:
    """One entry of a message's ``events`` (lower case, oldest first)."""
    status = message_status(a.status)
    out: dict[str, Any] = {
        "status": status,
        "timestamp": timestamp(a.created_at),
        "description": a.description,
    }
    _with_reason(out, status, a.reason_code, a.reason)
    return out


def message(m: Message, template_category: str | None = None) -> dict[str, Any]:
    """``GET /v3/messages/{id}`` data."""
    status = message_status(m.status)
    out: dict[str, Any] = {
        "id": m.id,
        "customer_id": m.tenant_id,
        "contact_id": contact_id(m.tenant_id, m.to_number),
        "phone": m.to_number,
        "phone_international": parse_phone(m.to_number).international,
        "region_code": m.region_code,
        "direction": "outbound",
        "template_id": m.template_id,
        "template_name": m.template_name,
        "template_category": template_category,
        "channel": m.channel,
        "message_body": {"header": None, "content": m.body, "footer": None, "buttons": None},
        "status": status,
        "created_at": timestamp(m.created_at),
        "price": micros_to_float(m.price_micros),
        "active_contact_price": 0.0,
        "events": [event(a) for a in m.events],
    }
    _with_reason(out, status, m.reason_code, m.reason)
    if m.scheduled_at is not None:
        out["scheduled_at"] = timestamp(m.scheduled_at)
    return out


def _activity(a: Activity, m: Message) -> dict[str, Any]:
    status = activity_status(a.status)
    priced = a.price_micros is not None
    out: dict[str, Any] = {
        "status": status,
        "description": a.description,
        "timestamp": timestamp(a.created_at),
        "price": price_text(a.price_micros),
        "active_contact_price": _NO_MARKUP if priced else None,
        "from": m.from_number if status in _AFTER_HAND_OFF else None,
    }
    _with_reason(out, status.lower(), a.reason_code, a.reason)
    if status in _HELD and m.scheduled_at is not None:
        out["scheduled_at"] = timestamp(m.scheduled_at)
    return out


def activities(m: Message) -> dict[str, Any]:
    """``GET /v3/messages/{id}/activities`` data: newest first."""
    return {"message_id": m.id, "activities": [_activity(a, m) for a in reversed(m.events)]}


def send_result(
    pairs: Sequence[tuple[str, str]],
    created: Sequence[Message],
    *,
    auto: bool,
    template: Template | None,
    scheduled_at: int | None,
) -> dict[str, Any]:
    """``POST /v3/messages`` data: one recipient entry per message, in request order."""
    by_pair = {(c.to_number, c.channel): c for c in created}
    recipients = []
    for number, channel in pairs:
        made = by_pair[(number, channel)]
        recipients.append(
            {
                "message_id": made.id,
                "to": number,
                "channel": None if auto else channel,
                "body": None if auto else made.body,
            }
        )
    out: dict[str, Any] = {
        "status": "QUEUED",
        "template_id": template.id if template else None,
        "template_name": template.name if template else None,
        "recipients": recipients,
    }
    if scheduled_at is not None:
        out["scheduled_at"] = timestamp(scheduled_at)
    return out


def template(t: Template) -> dict[str, Any]:
    """A template: Signalpost has no review step, so every stored template is APPROVED."""
    return {
        "id": t.id,
        "customer_id": t.tenant_id,
        "name": t.name,
        "category": t.category,
        "language": "en_US",
        "status": "APPROVED",
        "channels": list(t.channels),
        "variables": list(t.variables),
        "is_published": True,
        "created_at": timestamp(t.created_at),
        "updated_at": timestamp(t.updated_at),
    }


def contact(c: Contact) -> dict[str, Any]:
    phone = parse_phone(c.phone_number)
    digits = phone.national
    return {
        "id": c.id,
        "customer_id": c.tenant_id,
        "phone_number": c.phone_number,
        "format_e164": phone.e164,
        "format_international": phone.international,
        "format_national": digits,
        "format_rfc": "tel:" + phone.international.replace(" ", "-"),
        "country_code": str(phone.country_code),
        "region_code": phone.region_code,
        "available_channels": ",".join(CHANNELS),
        "default_channel": c.default_channel or "sms",
        "opt_out": c.opt_out,
        "is_inherited": False,
        "created_at": timestamp(c.created_at),
        "updated_at": timestamp(c.updated_at),
    }
