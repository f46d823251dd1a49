"""The native API's answers and its error envelope, as the OpenAPI document shows them
(the routes write them with their presenters)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from signalpost.domain.lifecycle import Status

__all__ = [
    "ActivityOut",
    "ActivityPage",
    "AttemptList",
    "AttemptOut",
    "ComplianceOut",
    "Cost",
    "CreatedOut",
    "DefaultReplies",
    "DeliveryDetail",
    "DeliveryOut",
    "DeliveryPage",
    "DeliveryTime",
    "DeliveryWithAttempts",
    "EventOut",
    "EventTypes",
    "File",
    "KeyCreated",
    "KeyList",
    "KeyOut",
    "KeywordLists",
    "MeOut",
    "MessageActivitiesOut",
    "MessageFields",
    "MessageOut",
    "MessagePage",
    "NativeError",
    "NativeErrorDetail",
    "ProfileList",
    "ProfileOut",
    "RefusedRow",
    "SendAccepted",
    "StatsOut",
    "StatsPeriod",
    "StatsSummary",
    "SuppressionOut",
    "SuppressionPage",
    "SuppressionsAdded",
    "SuppressionsImported",
    "TemplateList",
    "TemplateOut",
    "TemplateUsed",
    "WebhookCreated",
    "WebhookList",
    "WebhookOut",
    "WebhookRotated",
    "WebhookTested",
]


Channel = Literal["sms", "whatsapp", "rcs"]
Time = Field(description="ISO 8601, UTC")
When = str | None


class File(RootModel[str]):
    """A file, streamed."""


class NativeErrorDetail(BaseModel):
    code: str = Field(description="machine-readable, e.g. validation_failed, not_found")
    message: str
    details: dict[str, list[str]] | None = Field(description="messages per field")


class NativeError(BaseModel):
    """The native error envelope."""

    error: NativeErrorDetail


class EventOut(BaseModel):
    """One step of a message."""

    id: int
    status: Status
    timestamp: str = Time
    description: str
    reason_code: str | None
    reason: str | None
    error_code: str | None
    price: str | None = Field(description="decimal text, in the message's currency")


class TemplateUsed(BaseModel):
    id: str
    name: str | None


class MessageFields(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str
    batch_id: str = Field(description="the send request that made it")
    message_key: str | None
    to: str = Field(description="E.164")
    sender: str | None = Field(alias="from")
    channel: Channel
    status: Status
    reason_code: str | None
    reason: str | None
    text: str
    template: TemplateUsed | None
    region_code: str | None = Field(description="the recipient's country (ISO 3166 alpha-2)")
    segments: int
    encoding: Literal["GSM-7", "UCS-2"]
    price: str | None
    currency: str
    carrier: str | None
    test: bool = Field(description="sent with a test key (to the simulator only)")
    attempts: int
    metadata: dict[str, Any] | None
    scheduled_at: When
    expires_at: When
    created_at: When
    updated_at: When
    sent_at: When
    delivered_at: When


class MessageOut(MessageFields):
    """A message with its events, oldest first."""

    events: list[EventOut]


class MessagePage(BaseModel):
    """A page of messages, newest first."""

    data: list[MessageFields]
    next_cursor: str | None = Field(description="for the next page; null on the last")


class CreatedOut(BaseModel):
    id: str
    to: str
    channel: Channel
    status: Status
    message_key: str | None
    segments: int
    encoding: Literal["GSM-7", "UCS-2"]
    price: str | None
    currency: str


class SendAccepted(BaseModel):
    """A send accepted: one message per (recipient, channel)."""

    batch_id: str
    messages: list[CreatedOut]


class MessageActivitiesOut(BaseModel):
    """A message's activities, newest first."""

    message_id: str
    activities: list[EventOut]


class ActivityOut(EventOut):
    model_config = ConfigDict(populate_by_name=True)
    message_id: str
    to: str
    sender: str | None = Field(alias="from")
    channel: Channel


class ActivityPage(BaseModel):
    """A page of activities, newest first (oldest first in a live tail)."""

    data: list[ActivityOut]
    next_cursor: str | None


class TemplateOut(BaseModel):
    """A template."""

    id: str
    name: str
    body: str
    category: Literal["UTILITY", "MARKETING", "AUTHENTICATION"]
    channels: list[str]
    variables: list[str] = Field(description="its {{variable}} names")
    created_at: str
    updated_at: str


class TemplateList(BaseModel):
    """Templates."""

    data: list[TemplateOut]


class MeOut(BaseModel):
    """The calling key and the tenant it acts for."""

    key_id: str
    organization_id: str
    profile_id: str | None
    tenant_id: str


class ProfileOut(BaseModel):
    """A profile of the organization."""

    id: str
    organization_id: str
    name: str
    created_at: str


class ProfileList(BaseModel):
    """Profiles."""

    data: list[ProfileOut]


class WebhookOut(BaseModel):
    """A webhook endpoint (never its secret)."""

    id: str
    url: str
    dialect: Literal["native"]
    event_types: list[str] = Field(description="empty: every event")
    description: str | None
    enabled: bool
    disabled_reason: str | None = Field(description="why it was disabled, if it was")
    disabled_at: When
    consecutive_failures: int
    failing_since: When
    last_attempt_at: When
    last_success_at: When
    created_at: str
    updated_at: str


class WebhookCreated(WebhookOut):
    """A webhook endpoint with its signing secret (shown only now)."""

    secret: str = Field(description="the Standard Webhooks signing secret (whsec_...)")


class WebhookRotated(WebhookCreated):
    """A webhook endpoint with its new secret; the old one signs too until it expires."""

    previous_secret_expires_at: When


class WebhookList(BaseModel):
    """Webhook endpoints, oldest first."""

    data: list[WebhookOut]


class EventTypes(BaseModel):
    """The event types native webhooks send."""

    data: list[str]


class AttemptOut(BaseModel):
    """One try at delivering an event: the receiver's answer, or why there was none."""

    id: int
    delivery_id: str
    webhook_id: str
    event_type: str | None
    attempt: int
    ok: bool
    status_code: int | None
    latency_ms: int
    response_body: str | None
    error: str | None
    created_at: str


class DeliveryOut(BaseModel):
    """One event for one endpoint, and where its delivery stands."""

    id: str
    webhook_id: str
    event_type: str
    message_id: str | None
    status: Literal["pending", "paused", "delivered", "failed"]
    attempts: int
    next_attempt_at: When
    last_status_code: int | None
    last_error: str | None
    created_at: str
    finished_at: When


class DeliveryWithAttempts(DeliveryOut):
    """A delivery with its attempts."""

    attempt_log: list[AttemptOut]


class DeliveryDetail(DeliveryWithAttempts):
    """A delivery with its payload (the JSON sent, or its text) and every attempt."""

    payload: Any


class DeliveryPage(BaseModel):
    """An endpoint's deliveries, newest first."""

    data: list[DeliveryOut]
    next_cursor: str | None


class WebhookTested(BaseModel):
    """The test delivery and the receiver's answer."""

    success: bool = Field(description="the receiver acknowledged it")
    delivery: DeliveryWithAttempts


class AttemptList(BaseModel):
    """Delivery attempts, newest first (oldest first in a live tail)."""

    data: list[AttemptOut]


class KeyOut(BaseModel):
    """An API key (never its secret: the prefix identifies it)."""

    id: str
    name: str | None
    prefix: str
    kind: Literal["live", "test"]
    organization_id: str
    profile_id: str | None
    state: Literal["active", "expiring", "expired", "revoked"]
    created_at: str
    revoked_at: When
    expires_at: When = Field(description="set by a rotation: the key works until then")
    replaced_by: str | None
    last_used_at: When = Field(description="recorded in batches: may lag by a minute")


class KeyList(BaseModel):
    """API keys."""

    data: list[KeyOut]


class KeyCreated(BaseModel):
    """A new API key with its secret (shown only now)."""

    id: str
    name: str | None
    prefix: str
    kind: Literal["live", "test"]
    organization_id: str
    profile_id: str | None
    api_key: str


class KeywordLists(BaseModel):
    opt_out: list[str]
    opt_in: list[str]
    help: list[str]


class DefaultReplies(BaseModel):
    opt_out: str
    opt_in: str
    help: str


class ComplianceOut(BaseModel):
    """The keyword lists and auto-replies in force."""

    auto_reply: bool
    opt_out_reply: str | None
    opt_in_reply: str | None
    help_reply: str | None
    opt_out_words: list[str]
    opt_in_words: list[str]
    help_words: list[str]
    quiet_hours: dict[str, str]
    quiet_categories: list[str]
    default_replies: DefaultReplies
    keywords: KeywordLists = Field(description="every word in force, the defaults included")


class SuppressionOut(BaseModel):
    phone_number: str = Field(description="E.164")
    reason: str | None
    source: Literal["keyword", "api", "import", "carrier"] | None
    created_at: str
    updated_at: str


class SuppressionPage(BaseModel):
    """Suppressed numbers, most recently changed first."""

    data: list[SuppressionOut]
    next_cursor: str | None


class SuppressionsAdded(BaseModel):
    """The numbers added."""

    data: list[SuppressionOut]


class RefusedRow(BaseModel):
    row: int
    value: str
    error: str


class SuppressionsImported(BaseModel):
    """How many rows were imported, and the refused ones."""

    imported: int
    refused: list[RefusedRow]


class DeliveryTime(BaseModel):
    median: int | None
    p95: int | None


class Cost(BaseModel):
    amount_micros: int
    currency: str


class StatsSummary(BaseModel):
    messages: int
    statuses: dict[str, int]
    delivered: int
    undelivered: int
    delivery_rate: float | None
    delivery_time_ms: DeliveryTime
    segments: int
    cost: Cost


class StatsPeriod(StatsSummary):
    period: str
    group: str | None = Field(None, description="only with group_by")


class StatsOut(BaseModel):
    """Delivery statistics per period (and group), with totals."""

    model_config = ConfigDict(populate_by_name=True)
    start: str = Field(alias="from")
    to: str
    interval: Literal["hour", "day"]
    group_by: Literal["status", "channel", "country", "carrier", "profile"] | None
    totals: StatsSummary
    data: list[StatsPeriod]
