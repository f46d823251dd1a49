"""MailerSend JSON shapes of sends, SMS, activity rows, numbers and recipients."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from signalpost.activities.schemas import Activity, ActivityWithMessage
from signalpost.api.mailersend import ids, wire
from signalpost.consent.schemas import ConsentStatus, Recipient
from signalpost.messages.schemas import Message
from signalpost.numbers.schemas import SenderNumber
from signalpost.timeutil import iso
from signalpost.webhooks.schemas import Endpoint

__all__ = [
    "activity",
    "message",
    "message_activity",
    "number",
    "recipient",
    "sms",
    "summary",
    "webhook",
]

RECIPIENT_STATUS = {ConsentStatus.ACTIVE: "active", ConsentStatus.OPTED_OUT: "opt_out"}


def sms(m: Message) -> dict[str, Any]:
    """One recipient's SMS of a send."""
    return {
        "id": ids.sms_id(m.id),
        "from": m.from_number,
        "to": m.to_number,
        "text": m.body,
        "status": wire.status(m.status),
        "segment_count": m.segments,
        "error_type": wire.error_type(m.status),
        "error_description": wire.error_description(m.status, m.reason),
    }


def summary(batch: Sequence[Message]) -> dict[str, Any]:
    """A send as lists show it.

    ``paused`` is false: a send from a paused number is refused, so no send waits on one.
    """
    first = batch[0]
    return {
        "id": ids.object_id(first.batch_id),
        "from": first.from_number,
        "to": [m.to_number for m in batch],
        "text": first.body,
        "paused": False,
        "created_at": iso(first.created_at),
    }


def message_activity(a: Activity, m: Message) -> dict[str, Any]:
    """An activity row inside one send.

    The seed shows these rows without ``content``; the official SDK's ``SmsMessage`` model
    requires it, so it is there (the text of the recipient's SMS).
    """
    return {
        "from": m.from_number,
        "to": m.to_number,
        "created_at": iso(a.created_at),
        "content": m.body,
        "status": wire.status(a.status),
        "sms_message_id": ids.object_id(m.batch_id),
    }


def message(batch: Sequence[Message], rows: Sequence[ActivityWithMessage]) -> dict[str, Any]:
    """A send with every recipient's SMS and its activity rows (newest first)."""
    by_id = {m.id: m for m in batch}
    return {
        **summary(batch),
        "sms": [sms(m) for m in batch],
        "sms_activity": [
            message_activity(r.activity, by_id[r.activity.message_id])
            for r in rows
            if r.activity.message_id in by_id
        ],
    }


def activity(row: ActivityWithMessage) -> dict[str, Any]:
    """A row of ``GET /v1/sms-activity``."""
    return {
        "from": row.from_number,
        "to": row.to_number,
        "created_at": iso(row.activity.created_at),
        "content": row.body,
        "status": wire.status(row.activity.status),
        "sms_message_id": ids.object_id(row.batch_id) if row.batch_id else None,
    }


def number(n: SenderNumber) -> dict[str, Any]:
    return {
        "id": ids.short_id(n.id),
        "telephone_number": n.phone_number,
        "paused": n.paused,
        "created_at": iso(n.created_at),
    }


def recipient(r: Recipient) -> dict[str, Any]:
    return {
        "id": ids.short_id(r.id),
        "number": r.phone_number,
        "status": RECIPIENT_STATUS[r.status],
        "created_at": iso(r.created_at),
    }


def webhook(e: Endpoint, sender: SenderNumber | None) -> dict[str, Any]:
    """An SMS webhook with its number (``sms_number`` is null once the number is removed)."""
    number_id = e.attributes.get("sms_number_id")
    return {
        "id": ids.short_id(e.id),
        "url": e.url,
        "name": e.description,
        "events": [wire.event_name(t) for t in e.event_types],
        "enabled": e.enabled,
        "signing_secret": e.secret,
        "sms_number_id": ids.short_id(number_id) if number_id else None,
        "sms_number": number(sender) if sender is not None else None,
        "created_at": iso(e.created_at),
        "updated_at": iso(e.updated_at),
    }
