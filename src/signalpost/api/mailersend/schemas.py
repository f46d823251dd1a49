"""Bodies of the MailerSend SMS API: requests (strict: JSON types are not coerced) and the
answers the routes promise, in their wire shape (the presenters build them; these models
document them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ActivityListOut",
    "ErrorOut",
    "InboundFilter",
    "InboundIn",
    "InboundListOut",
    "InboundOut",
    "InboundPatch",
    "NumberListOut",
    "NumberOut",
    "NumberPatch",
    "Personalization",
    "RecipientListOut",
    "RecipientOut",
    "RecipientPatch",
    "RecipientWithSmsOut",
    "SmsIn",
    "SmsMessageListOut",
    "SmsMessageOut",
    "WebhookIn",
    "WebhookListOut",
    "WebhookOut",
    "WebhookPatch",
]

Event = Literal["sms.sent", "sms.delivered", "sms.failed"]
Status = Literal["processed", "queued", "sent", "delivered", "failed"]
ErrorType = Literal["undeliverable", "expired", "rejected", "blocked", "opted_out", "cancelled"]
RecipientStatus = Literal["active", "opt_out"]
Comparer = Literal[
    "equal",
    "not-equal",
    "contains",
    "not-contains",
    "starts-with",
    "ends-with",
    "not-starts-with",
    "not-ends-with",
]


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True)


class Personalization(_Body):
    phone_number: str
    data: dict[str, Any]


class SmsIn(_Body):
    """``POST /v1/sms``: one text to up to 50 US/CA numbers from a registered number."""

    from_: str = Field(alias="from", min_length=1)
    to: list[str] = Field(min_length=1, max_length=50)
    text: str = Field(min_length=1, max_length=2048)
    personalization: list[Personalization] | None = None


class NumberPatch(_Body):
    """``PUT /v1/sms-numbers/{id}``."""

    paused: bool | None = None


class RecipientPatch(_Body):
    """``PUT /v1/sms-recipients/{id}``."""

    status: RecipientStatus


class WebhookIn(_Body):
    """``POST /v1/sms-webhooks``."""

    sms_number_id: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=191)
    url: str = Field(min_length=1, max_length=2048)
    events: list[Event] = Field(min_length=1)
    enabled: bool = True


class WebhookPatch(_Body):
    """``PUT /v1/sms-webhooks/{id}``: any of the fields."""

    name: str | None = Field(default=None, min_length=1, max_length=191)
    url: str | None = Field(default=None, min_length=1, max_length=2048)
    events: list[Event] | None = Field(default=None, min_length=1)
    enabled: bool | None = None


class InboundFilter(_Body):
    comparer: Comparer
    value: str = Field(min_length=1, max_length=255)


class InboundIn(_Body):
    """``POST /v1/sms-inbounds``."""

    sms_number_id: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=191)
    forward_url: str = Field(min_length=1, max_length=255)
    filter: InboundFilter | None = None
    enabled: bool | None = None  # the SDK sends null for "not given": enabled


class InboundPatch(_Body):
    """``PUT /v1/sms-inbounds/{id}``: any of the fields."""

    sms_number_id: str | None = Field(default=None, min_length=1)
    name: str | None = Field(default=None, min_length=1, max_length=191)
    forward_url: str | None = Field(default=None, min_length=1, max_length=255)
    filter: InboundFilter | None = None
    enabled: bool | None = None


# Answers


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class Links(_Out):
    """Laravel's simple paginator links: there is no total, so ``last`` is always null."""

    first: str
    last: None
    prev: str | None
    next: str | None = Field(description="null on the last page")


class Meta(_Out):
    current_page: int
    from_: int | None = Field(alias="from", description="position of the page's first item")
    path: str
    per_page: int
    to: int | None = Field(description="position of the page's last item")


class _Page(_Out):
    links: Links
    meta: Meta


class SmsSummary(_Out):
    """A send as lists show it."""

    id: str = Field(description="the sms_message_id")
    from_: str | None = Field(alias="from")
    to: list[str]
    text: str
    paused: bool
    created_at: str | None


class Sms(_Out):
    """One recipient's SMS of a send."""

    id: str
    from_: str | None = Field(alias="from")
    to: str
    text: str
    status: Status
    segment_count: int
    error_type: ErrorType | None
    error_description: str | None


class Activity(_Out):
    """A status change of one SMS."""

    from_: str | None = Field(alias="from")
    to: str
    created_at: str | None
    content: str
    status: Status
    sms_message_id: str | None


class SmsMessage(SmsSummary):
    """A send with every recipient's SMS and its activity, newest first."""

    sms: list[Sms]
    sms_activity: list[Activity]


class Number(_Out):
    id: str
    telephone_number: str
    paused: bool
    created_at: str | None


class Recipient(_Out):
    id: str
    number: str
    status: RecipientStatus
    created_at: str | None


class RecipientWithSms(Recipient):
    sms: list[Sms] = Field(description="the SMS sent to it, newest first")


class Webhook(_Out):
    id: str
    url: str
    name: str | None
    events: list[Event]
    enabled: bool
    signing_secret: str
    sms_number_id: str | None
    sms_number: Number | None = Field(description="null once the number is removed")
    created_at: str | None
    updated_at: str | None


class InboundFilterOut(_Out):
    comparer: Comparer
    value: str


class Inbound(_Out):
    id: str
    name: str | None
    sms_number_id: str
    sms_number: Number | None = Field(description="null once the number is removed")
    forward_url: str
    filter: InboundFilterOut | None
    enabled: bool
    secret: str
    created_at: str | None


class SmsMessageListOut(_Page):
    """A page of the account's sends."""

    data: list[SmsSummary]


class SmsMessageOut(_Out):
    """One send."""

    data: SmsMessage


class ActivityListOut(_Page):
    """A page of activity."""

    data: list[Activity]


class NumberListOut(_Page):
    """A page of sending numbers."""

    data: list[Number]


class NumberOut(_Out):
    """One sending number."""

    data: Number


class RecipientListOut(_Page):
    """A page of recipients."""

    data: list[Recipient]


class RecipientOut(_Out):
    """One recipient."""

    data: Recipient


class RecipientWithSmsOut(_Out):
    """One recipient with the SMS sent to it."""

    data: RecipientWithSms


class WebhookListOut(_Page):
    """A page of SMS webhooks."""

    data: list[Webhook]


class WebhookOut(_Out):
    """One SMS webhook."""

    data: Webhook


class InboundListOut(_Page):
    """A page of inbound routes."""

    data: list[Inbound]


class InboundOut(_Out):
    """One inbound route."""

    data: Inbound


class ErrorOut(_Out):
    """MailerSend's error body: a message, and per-field messages on 422."""

    message: str
    errors: dict[str, list[str]] | None = None
