"""The shapes of v3 bodies: requests (unknown keys are ignored, as SDK callers may add
some) and answers, for the OpenAPI document.

Answers are built by the presenters; these models are what they promise, every one in the
envelope (:class:`Envelope`) around the route's data.  Keys sent.dm leaves *out* (not
null) in some states are optional here, without a default.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AccountOut",
    "ActivitiesOut",
    "ContactIn",
    "ContactListOut",
    "ContactOut",
    "ContactPatch",
    "Envelope",
    "ErrorOut",
    "EventTypesOut",
    "MessageOut",
    "ProfileListOut",
    "ProfileOut",
    "SandboxIn",
    "SecretOut",
    "SendIn",
    "SenderEntry",
    "SentOut",
    "TemplateIn",
    "TemplateListOut",
    "TemplateOut",
    "TemplateRefIn",
    "TestOut",
    "WebhookEventsOut",
    "WebhookIn",
    "WebhookListOut",
    "WebhookOut",
    "WebhookTestIn",
    "WebhookToggleIn",
]

Scalar = str | int | float | bool


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    sandbox: bool = False


class SandboxIn(_Body):
    """A body that carries nothing but ``sandbox`` (cancel, resend, delete, rotate)."""


class TemplateRefIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    name: str | None = None
    parameters: dict[str, Scalar | None] | None = None


class SenderEntry(BaseModel):
    """One entry of a channel's sender list: ``{"from": [...], "country", "strategy"}``."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    from_: list[str] | None = Field(default=None, alias="from")
    country: str | None = None
    strategy: str | None = None


class SendIn(_Body):
    """``POST /v3/messages``."""

    to: list[str] | None = None
    channel: list[str] | None = None
    template: TemplateRefIn | None = None
    text: str | None = None
    channels: dict[str, list[SenderEntry]] | None = None
    scheduled_at: str | None = None
    media_urls: list[str] | None = None
    subject: str | None = None


class TemplateIn(_Body):
    """``POST /v3/templates`` and ``PUT /v3/templates/{id}``."""

    name: str | None = None
    category: str | None = None
    language: str | None = None
    definition: dict[str, Any] | None = None
    submit_for_review: bool = False
    creation_source: str | None = None
    auto_create_for_sp: bool = False


class ContactIn(_Body):
    """``POST /v3/contacts``."""

    phone_number: str | None = None


class ContactPatch(_Body):
    """``PATCH /v3/contacts/{id}``."""

    default_channel: str | None = None
    opt_out: bool | None = None


class WebhookIn(_Body):
    """``POST /v3/webhooks`` and ``PUT /v3/webhooks/{id}``."""

    display_name: str | None = None
    endpoint_url: str | None = None
    event_types: list[str] | None = None
    event_filters: dict[str, list[str]] | None = None
    retry_count: int | None = None
    timeout_seconds: int | None = None
    sender_profile: dict[str, Any] | None = None


class WebhookToggleIn(_Body):
    """``PATCH /v3/webhooks/{id}/toggle-status``."""

    is_active: bool | None = None


class WebhookTestIn(_Body):
    """``POST /v3/webhooks/{id}/test``."""

    event_type: str | None = None


# ----------------------------------------------------------------------------- answers

T = TypeVar("T")
Time = Field(description="ISO 8601, seven fractional digits, +00:00")
Channel = Literal["sms", "whatsapp", "rcs"]
MessageStatus = Literal[
    "accepted",
    "scheduled",
    "queued",
    "processed",
    "routed",
    "sent",
    "delivered",
    "read",
    "failed",
    "blocked",
    "filtered",
    "cancelled",
]
ActivityStatus = Literal[
    "ACCEPTED",
    "SCHEDULED",
    "QUEUED",
    "PROCESSED",
    "ROUTED",
    "SENT",
    "DELIVERED",
    "READ",
    "FAILED",
    "BLOCKED",
    "FILTERED",
    "CANCELLED",
]
Category = Literal["MARKETING", "UTILITY", "AUTHENTICATION"]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _absent(description: str) -> Any:
    """A key left out (never null) unless ``description`` says it is there."""
    return Field(default=None, description=description, json_schema_extra=_no_default)


class Meta(BaseModel):
    request_id: str = Field(description="the id in X-Request-Id")
    timestamp: str = Time
    version: Literal["v3"]


class Envelope(BaseModel, Generic[T]):
    """A v3 answer: the route's data in the envelope."""

    success: Literal[True]
    data: T
    error: None
    meta: Meta


class ErrorDetail(BaseModel):
    code: str = Field(description="sent.dm's error code, e.g. VALIDATION_001")
    message: str
    details: dict[str, list[str]] | None = Field(description="messages per field")
    doc_url: str


class ErrorOut(BaseModel):
    """A v3 error: the envelope with ``error`` and no data."""

    success: Literal[False]
    data: None
    error: ErrorDetail
    meta: Meta


class Pagination(BaseModel):
    page: int
    page_size: int
    total_count: int
    total_pages: int
    has_more: bool
    cursors: None


class _Reasoned(BaseModel):
    reason_code: str = _absent("only on failed, filtered and blocked")
    reason: str = _absent("only on failed, filtered and blocked")


class MessageEvent(_Reasoned):
    status: MessageStatus
    timestamp: str = Time
    description: str


class MessageBody(BaseModel):
    header: None
    content: str | None
    footer: None
    buttons: None


class MessageOut(_Reasoned):
    """A message with its events, oldest first (statuses in lower case)."""

    id: str
    customer_id: str
    contact_id: str
    phone: str
    phone_international: str
    region_code: str | None
    direction: Literal["outbound"]
    template_id: str | None
    template_name: str | None
    template_category: Category | None
    channel: Channel
    message_body: MessageBody
    status: MessageStatus
    created_at: str = Time
    price: float | None
    active_contact_price: float
    events: list[MessageEvent]
    scheduled_at: str = _absent("only on a message that was held for a time")


class Activity(_Reasoned):
    status: ActivityStatus
    description: str
    timestamp: str = Time
    price: str | None = Field(description="four decimals")
    active_contact_price: str | None
    from_: str | None = Field(alias="from", description="the sender, once handed off")
    scheduled_at: str = _absent("only on SCHEDULED and CANCELLED of a held message")


class ActivitiesOut(BaseModel):
    """A message's activities, newest first (statuses in upper case)."""

    message_id: str
    activities: list[Activity]


class SentRecipient(BaseModel):
    message_id: str
    to: str
    channel: Channel | None = Field(description="null when the channel is auto-detected")
    body: str | None = Field(description="null when the channel is auto-detected")


class SentOut(BaseModel):
    """A send accepted: a message per recipient and channel, in request order."""

    status: Literal["QUEUED"]
    template_id: str | None
    template_name: str | None
    recipients: list[SentRecipient]
    scheduled_at: str = _absent("only on a scheduled send")


class TemplateOut(BaseModel):
    """A template (every stored template is approved)."""

    id: str
    customer_id: str
    name: str
    category: Category
    language: Literal["en_US"]
    status: Literal["APPROVED"]
    channels: list[Channel]
    variables: list[str]
    is_published: Literal[True]
    created_at: str = Time
    updated_at: str = Time


class TemplateListOut(BaseModel):
    """A page of templates."""

    templates: list[TemplateOut]
    pagination: Pagination


class ContactOut(BaseModel):
    """A contact."""

    id: str
    customer_id: str
    phone_number: str
    format_e164: str
    format_international: str
    format_national: str
    format_rfc: str
    country_code: str
    region_code: str | None
    available_channels: str = Field(description="comma-separated channels")
    default_channel: Channel
    opt_out: bool
    is_inherited: Literal[False]
    created_at: str = Time
    updated_at: str = Time


class ContactListOut(BaseModel):
    """A page of contacts."""

    contacts: list[ContactOut]
    pagination: Pagination


class ChannelState(BaseModel):
    configured: bool


class ProfileSummary(BaseModel):
    id: str
    name: str
    short_name: None
    description: None
    icon: None
    role: Literal["admin"]
    status: Literal["approved"]
    created_at: str = Time
    settings: None


class AccountOut(BaseModel):
    """The organization behind the key (with its profiles), or the profile acted for."""

    id: str
    type: Literal["organization", "profile"]
    name: str
    email: None
    description: None
    icon: None
    created_at: str = Time
    organization_id: str | None = Field(description="a profile's organization")
    short_name: None
    status: Literal["approved"] | None = Field(description="a profile's status")
    settings: None
    sending_phone_number: None
    sending_phone_number_profile_id: None
    enable_template_auto_creation_for_sp: Literal[False]
    channels: dict[Channel, ChannelState]
    profiles: list[ProfileSummary] = Field(description="an organization's profiles")


class ProfileOut(BaseModel):
    """A child profile of the organization."""

    id: str
    name: str
    short_name: None
    description: None
    icon: None
    email: None
    status: Literal["approved"]
    organization_id: str
    sending_phone_number: None
    sending_phone_number_profile_id: None
    created_at: str = Time
    updated_at: str = Time
    allow_contact_sharing: Literal[False]
    allow_template_sharing: Literal[False]
    inherit_contacts: Literal[False]
    inherit_templates: Literal[False]
    inherit_tcr_brand: Literal[False]
    inherit_tcr_campaign: Literal[False]
    billing_model: None


class ProfileListOut(BaseModel):
    """A page of profiles."""

    profiles: list[ProfileOut]
    pagination: Pagination


class EventType(BaseModel):
    name: str
    display_name: str
    description: str
    event_type: str
    is_active: bool
    sub_types: list[EventType] | None


class EventTypesOut(BaseModel):
    """The event families and their sub-types."""

    event_types: list[EventType]
    pagination: Pagination


class WebhookOut(BaseModel):
    """A webhook, with its signing secret."""

    id: str
    customer_id: str
    display_name: str | None
    endpoint_url: str
    event_types: list[str]
    event_filters: dict[str, list[str]] | None
    is_active: bool
    signing_secret: str
    retry_count: int
    timeout_seconds: int
    consecutive_failures: int
    last_delivery_attempt_at: str | None
    last_successful_delivery_at: str | None
    created_at: str = Time
    updated_at: str = Time


class WebhookListOut(BaseModel):
    """A page of webhooks."""

    webhooks: list[WebhookOut]
    pagination: Pagination


class SecretOut(BaseModel):
    """The webhook's new signing secret."""

    signing_secret: str


class TestOut(BaseModel):
    """Whether the receiver took the test event."""

    success: bool
    message: str


class WebhookEvent(BaseModel):
    id: str
    event_type: str
    delivery_status: Literal["PENDING", "RETRYING", "DELIVERED", "FAILED", "ABANDONED"]
    delivery_attempts: int
    http_status_code: int | None
    response_body: None
    error_message: str | None
    event_data: dict[str, Any] | None
    created_at: str = Time
    processing_started_at: None
    processing_completed_at: str | None


class WebhookEventsOut(BaseModel):
    """A page of a webhook's delivery log."""

    events: list[WebhookEvent]
    pagination: Pagination
