"""Request bodies of the v3 API (unknown keys are ignored, as SDK callers may add some)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ContactIn",
    "ContactPatch",
    "SandboxIn",
    "SendIn",
    "SenderEntry",
    "TemplateIn",
    "TemplateRefIn",
    "WebhookIn",
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
