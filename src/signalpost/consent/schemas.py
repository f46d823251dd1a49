"""Value types of consent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from signalpost.storage import Connection

__all__ = [
    "ConsentChange",
    "ConsentObserver",
    "ConsentStatus",
    "Recipient",
    "RecipientFilter",
    "SuppressionSource",
]


class ConsentStatus(StrEnum):
    """Whether a tenant may message a number. One comment per state."""

    ACTIVE = "active"  # may be messaged
    OPTED_OUT = "opted_out"  # asked not to be messaged: sends to it end ``filtered``


class SuppressionSource(StrEnum):
    """Where a consent decision came from. One comment per source."""

    KEYWORD = "keyword"  # the recipient texted STOP (or START)
    API = "api"  # the native suppression list API, or a dialect's opt-out call
    IMPORT = "import"  # a CSV import of the suppression list
    CARRIER = "carrier"  # a carrier reported the number as deactivated or not a subscriber


@dataclass(frozen=True, slots=True)
class Recipient:
    """A number a tenant has messaged or recorded a consent decision for."""

    id: str
    tenant_id: str
    phone_number: str  # E.164
    status: ConsentStatus
    created_at: int
    updated_at: int
    reason: str | None = None
    source: SuppressionSource | None = None


@dataclass(frozen=True, slots=True)
class RecipientFilter:
    status: ConsentStatus | None = None
    sent_from: str | None = None  # E.164 sender: only recipients messaged from this number


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """A number whose consent changed: it went on the suppression list, or came off it.

    Only real changes are recorded: opting out a number already opted out (or back in one
    that never was) is none.  ``keyword`` and ``message_id`` name the inbound message that
    caused the change when its source is ``keyword``.
    """

    recipient: Recipient  # as it is after the change
    organization_id: str
    keyword: str | None = None
    message_id: str | None = None

    @property
    def opted_out(self) -> bool:
        return self.recipient.status is ConsentStatus.OPTED_OUT


ConsentObserver = Callable[[Connection, Sequence[ConsentChange]], Awaitable[None]]
"""Told of consent changes inside the transaction that makes them (the webhook outbox)."""
