"""The shapes of Lamah's bodies, for the OpenAPI document.

Requests are read field by field with Laravel's messages (:mod:`.requests`); these models
document them.  Answers are built by the routes; these models are what they promise.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, RootModel

__all__ = [
    "BulkIn",
    "DetailsOut",
    "ErrorOut",
    "GroupIn",
    "ProjectOut",
    "SentManyOut",
    "SentOut",
    "SingleIn",
    "TemplateIn",
]

PaymentType = Literal["wallet", "subscription"]
Sender = Field(max_length=11, pattern=r"^[A-Za-z0-9]+$", description="sender name")
Text = Field(max_length=1530, description="the message text")


class SingleIn(BaseModel):
    """A message to one receiver."""

    message: str = Text
    receiver: str | int = Field(description="local (09x...) or international number")
    sender: str = Sender
    payment_type: PaymentType


class BulkIn(BaseModel):
    """One text to up to 1000 receivers."""

    message: str = Text
    receivers: list[str | int] = Field(min_length=1, max_length=1000)
    sender: str = Sender
    payment_type: PaymentType


class TemplateIn(BaseModel):
    """A stored template to one receiver, with a value for every placeholder."""

    template_id: str = Field(max_length=200, description="the template's id or name")
    receiver: str | int
    params: list[dict[str, str | int | float]] = Field(
        default_factory=list, description='single-key objects: [{"name": "Ahmed"}]'
    )
    sender: str = Sender
    payment_type: PaymentType


class GroupIn(BaseModel):
    """One text to every contact of a contact group."""

    message: str = Text
    contact_group_id: str = Field(max_length=64)
    sender: str = Sender
    payment_type: PaymentType


class SentOut(BaseModel):
    """A send accepted."""

    message_id: str = Field(description="the send's id (for GET /api/sms/messages/{id})")
    cost: int = Field(description="message parts charged")


class SentCounts(BaseModel):
    sent: int
    total: int


class SentManyOut(SentOut):
    """A send to many accepted, with how many receivers were sent to."""

    details: SentCounts


class Receiver(BaseModel):
    number: str = Field(description="00 and the international number")
    sent_at: str | None
    delivered_at: str | None
    status: Literal["pending", "sent", "delivered", "failed", "expired", "rejected"]
    delivery_report: None
    created_at: str | None
    updated_at: str | None


class Details(BaseModel):
    short_message: str | None
    message_type: Literal["sms"]
    send_type: str
    contact_group_id: str | None
    message_consumption: int
    receiver: list[Receiver]


class DetailsOut(RootModel[list[Details]]):
    """A send with each receiver's status (a list of one)."""


class ProjectOut(BaseModel):
    """The project of the token."""

    project_name: str
    description: str | None
    company: str
    status: Literal["active"]
    type: Literal["production"]
    subscription: list[str]


class ErrorOut(BaseModel):
    """Laravel's error body: a message, and per-field messages on 422."""

    message: str
    errors: dict[str, list[str]] | None = None
