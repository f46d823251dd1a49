"""Request bodies of the MailerSend SMS API (strict: JSON types are not coerced)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "InboundFilter",
    "InboundIn",
    "InboundPatch",
    "NumberPatch",
    "Personalization",
    "RecipientPatch",
    "SmsIn",
    "WebhookIn",
    "WebhookPatch",
]

Event = Literal["sms.sent", "sms.delivered", "sms.failed"]
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

    status: Literal["active", "opt_out"]


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
