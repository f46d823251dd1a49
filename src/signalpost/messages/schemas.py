"""Value types of the messages domain: what a send asks for and what a message is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from signalpost.activities.schemas import Activity
from signalpost.domain.lifecycle import CHANNELS
from signalpost.values import quick_init

__all__ = [
    "CHANNELS",
    "CreatedMessage",
    "Message",
    "MessageFilter",
    "RecipientSpec",
    "SendResult",
    "SendSpec",
    "TemplateRef",
]


@quick_init
@dataclass(frozen=True, slots=True)
class RecipientSpec:
    to: str
    message_key: str | None = None
    variables: Mapping[str, Any] | None = None  # per-recipient template parameters
    text: str | None = None  # this recipient's own text (personalised by a dialect)
    metadata: Mapping[str, Any] | None = None  # merged over the request's metadata


@dataclass(frozen=True, slots=True)
class TemplateRef:
    id: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class SendSpec:
    """One send request: it fans out into one message per (recipient, channel)."""

    recipients: tuple[RecipientSpec, ...]
    channels: tuple[str, ...] = ("sms",)
    text: str | None = None
    template: TemplateRef | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    sender: str | None = None
    scheduled_at: int | None = None  # microseconds
    validity_seconds: int | None = None
    metadata: Mapping[str, Any] | None = None
    dialect: str = "native"
    dedupe_recipients: bool = True
    batch_id: str | None = None  # set by a dialect whose wire ids need their own shape
    hold_key: str | None = None  # the queue group the messages wait with (dispatch.holds)
    held: bool = False  # enqueue held: not dispatched until the group is released
    consent_exempt: bool = False  # answers owed to opted-out numbers (STOP confirmations)
    category: str | None = None  # transactional | marketing; marketing respects quiet hours


@quick_init
@dataclass(frozen=True, slots=True)
class CreatedMessage:
    id: str
    to: str
    channel: str
    status: str
    message_key: str | None
    segments: int
    encoding: str
    price_micros: int
    currency: str
    body: str
    created_at: int


@dataclass(frozen=True, slots=True)
class SendResult:
    batch_id: str
    messages: list[CreatedMessage]


@dataclass(slots=True)
class Message:
    """A stored message as services hand it to the dialects (not frozen: one is built for
    every lookup, and a frozen dataclass pays for each of its thirty fields)."""

    id: str
    organization_id: str
    tenant_id: str
    batch_id: str
    message_key: str | None
    channel: str
    to_number: str
    from_number: str | None
    region_code: str | None
    body: str
    template_id: str | None
    template_name: str | None
    encoding: str
    segments: int
    price_micros: int
    currency: str
    status: str
    reason_code: str | None
    reason: str | None
    carrier: str | None
    carrier_message_id: str | None
    dialect: str
    metadata: str | None
    scheduled_at: int | None
    expires_at: int
    created_at: int
    updated_at: int
    sent_at: int | None
    delivered_at: int | None
    attempts: int
    revision: int  # moves with every update, by the lifecycle steps it records (at least 1)
    test: bool = False  # sent with a test key: through the simulator only
    request_id: str | None = None  # the request that accepted it
    events: list[Activity] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MessageFilter:
    statuses: tuple[str, ...] = ()
    channel: str | None = None
    to_number: str | None = None
    from_number: str | None = None
    batch_id: str | None = None
    created_from: int | None = None
    created_to: int | None = None
