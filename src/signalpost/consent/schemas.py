"""Value types of consent."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ConsentStatus", "Recipient", "RecipientFilter", "SuppressionSource"]


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
