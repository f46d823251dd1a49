"""Request bodies of the native API (pydantic: validation and the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ProfileIn",
    "SendIn",
    "TemplateIn",
    "TemplatePatch",
    "TemplateRefIn",
]


class TemplateRefIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, description="template id")
    name: str | None = Field(None, description="template name, when no id is given")
    parameters: dict[str, Any] = Field(default_factory=dict, description="{{variable}} values")


class SendIn(BaseModel):
    """Send one text or template to one or many recipients on one or many channels."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    to: list[str] = Field(description="recipients, E.164 or international format")
    text: str | None = Field(None, description="message text (or give template)")
    template: TemplateRefIn | None = None
    channels: list[str] = Field(default_factory=lambda: ["sms"], description="sms, whatsapp, rcs")
    sender: str | None = Field(None, alias="from", max_length=32, description="sender id or number")
    scheduled_at: datetime | None = Field(None, description="send later, ISO 8601")
    validity_period: int | None = Field(None, description="seconds until the message expires")
    message_key: str | None = Field(
        None, max_length=128, description="your unique key for a single-recipient send"
    )
    metadata: dict[str, Any] | None = None
    category: str | None = Field(
        None,
        description="transactional or marketing; marketing messages wait out the recipient's "
        "quiet hours (a MARKETING template makes a marketing message)",
    )


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    body: str = Field(max_length=4096, description="text with {{variable}} placeholders")
    category: str = "UTILITY"
    channels: list[str] = Field(default_factory=lambda: ["sms"])


class TemplatePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=4096)
    category: str | None = None
    channels: list[str] | None = None


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


# --------------------------------------------------------------------------- answers
#
# What each route answers, for the OpenAPI document; the routes build their answers with
# the presenters (status lookups are not serialized through these models).
