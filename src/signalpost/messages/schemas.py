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


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a send stored: its batch and each message as accepted, in request order."""

    batch_id: str
    messages: list[Message]


@quick_init
@dataclass(frozen=True, slots=True)
class Message:
    """A message, the one value every layer passes: what a send stores, what each recorded
    step hands its observers (the webhook formats among them), what a lookup reads with
    its events, and what presenters show.  Repositories translate it to and from rows.

    Its fields follow the messages table's columns, in order, then its events.
    """

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
    metadata: str | None  # JSON text
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
    events: tuple[Activity, ...] = ()  # its activities, oldest first, when read with them

    def moved(
        self,
        status: str,
        reason_code: str | None,
        reason: str | None,
        updated_at: int,
        carrier: str | None,
        carrier_message_id: str | None,
        sent_at: int | None,
        delivered_at: int | None,
        attempts: int,
    ) -> Message:
        """The message after a lifecycle step: these fields changed, every other one kept
        (positional, as the recorder builds one per step)."""
        return Message(
            self.id,
            self.organization_id,
            self.tenant_id,
            self.batch_id,
            self.message_key,
            self.channel,
            self.to_number,
            self.from_number,
            self.region_code,
            self.body,
            self.template_id,
            self.template_name,
            self.encoding,
            self.segments,
            self.price_micros,
            self.currency,
            status,
            reason_code,
            reason,
            carrier,
            carrier_message_id,
            self.dialect,
            self.metadata,
            self.scheduled_at,
            self.expires_at,
            self.created_at,
            updated_at,
            sent_at,
            delivered_at,
            attempts,
            self.revision,
            self.test,
            self.request_id,
            self.events,
        )


@dataclass(frozen=True, slots=True)
class MessageFilter:
    statuses: tuple[str, ...] = ()
    channel: str | None = None
    to_number: str | None = None
    from_number: str | None = None
    batch_id: str | None = None
    created_from: int | None = None
    created_to: int | None = None
