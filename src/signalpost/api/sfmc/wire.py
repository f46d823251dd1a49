"""The SFMC vocabulary: timestamps, identifiers, phone numbers and send statuses.

Status routes speak Central Standard Time without an offset (UTC-6 all year, as Marketing
Cloud does); ENS speaks epoch milliseconds.  The send-status route never reports delivery:
after hand-off a message is ``SMSSent`` whatever happens next; outcomes before hand-off
are ``SMSNotSent`` with a subscriber error code.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = [
    "NOT_SENT_STATUSES",
    "SendStatus",
    "composite_id",
    "cst_date",
    "cst_timestamp",
    "new_message_key",
    "number_id",
    "phone_digits",
    "render_attributes",
    "request_id",
    "send_status",
    "to_e164",
]

_CST = timedelta(hours=-6)
_QUEUED = frozenset({"accepted", "scheduled", "queued", "processed", "routed"})
_SENT = frozenset({"sent", "delivered", "read"})
_AFTER_HANDOFF_OUTCOMES = frozenset({"failed", "expired", "rejected"})
NOT_SENT_STATUSES: tuple[str, ...] = (
    "failed",
    "expired",
    "rejected",
    "blocked",
    "filtered",
    "cancelled",
)
_ATTRIBUTE = re.compile(r"%%([A-Za-z_][A-Za-z0-9_\-]*)%%")
_DIGITS = re.compile(r"\d{6,15}")

# Transactional-send subscriber error codes for outcomes before hand-off.
_NOT_SENT_BY_REASON: dict[str, tuple[int, str]] = {
    "CONSENT_001": (28, "OptOutListExclusion"),
    "CONSENT_002": (27, "SuppressionListExclusion"),
    "BUSINESS_003": (2, "Held"),
    "DELIVERY_006": (129, "PhoneNumberValidationFailed"),
    "DELIVERY_010": (130, "PayloadExceedsMaximum"),
}
_NOT_SENT_BY_STATUS: dict[str, tuple[int, str]] = {
    "cancelled": (37, "QueuedTransactionDeleted"),
    "filtered": (28, "OptOutListExclusion"),
    "blocked": (15, "UnspecifiedError"),
    "expired": (139, "TimedoutInQueue"),
    "rejected": (101, "Failure"),
    "failed": (100, "Error"),
}


def request_id() -> str:
    return str(uuid.uuid4())


def new_message_key() -> str:
    """22 URL-safe characters, like the keys Marketing Cloud generates."""
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()


def _cst(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, UTC).replace(tzinfo=None) + _CST


def cst_timestamp(us: int) -> str:
    """``2018-08-03T13:41:18.550``: Central Standard Time, milliseconds, no offset."""
    return _cst(us).isoformat(timespec="milliseconds")


def cst_date(us: int) -> str:
    """``2019-05-14T21:05:00``: Central Standard Time, seconds, no offset (definitions)."""
    return _cst(us).isoformat(timespec="seconds")


def number_id(text: str, digits: int = 7) -> int:
    """A stable number for an id (business unit ``mid``, enterprise ``eid``, job parts)."""
    value = int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)
    modulus: int = 10**digits
    return value % modulus


def composite_id(message_id: str, tenant_id: str, batch_id: str) -> str:
    """The opaque dotted processing id: the same for a message on every route and event."""
    return (
        f"{message_id.upper()}.{number_id(tenant_id)}.{number_id(batch_id, 6)}"
        f".1.{number_id(message_id, 9)}"
    )


def to_e164(raw: str) -> str:
    """``15555551234`` (digits with the country code) or ``+1 555…`` as ``+15555551234``."""
    text = raw.strip()
    compact = re.sub(r"[\s\-().]", "", text)
    return "+" + compact if _DIGITS.fullmatch(compact) else text


def phone_digits(e164: str) -> str:
    """The form SFMC shows numbers in: digits with the country code, no ``+``."""
    return e164.removeprefix("+")


def render_attributes(text: str, attributes: Mapping[str, object]) -> tuple[str, list[str]]:
    """Substitute ``%%Name%%`` (names case-insensitive); returns the text and missing names."""
    lowered = {k.lower(): v for k, v in attributes.items()}
    missing: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        found = lowered.get(name.lower())
        if found is None:
            missing.append(name)
            return match.group(0)
        return str(found)

    return _ATTRIBUTE.sub(value, text), missing


@dataclass(frozen=True, slots=True)
class SendStatus:
    """What the send-status route says: the category and, when not sent, why."""

    category: str  # SMSQueued | SMSSent | SMSNotSent
    status_code: int | None = None
    status_message: str | None = None


def not_sent_code(status: str, reason_code: str | None) -> tuple[int, str]:
    """The subscriber error code of an outcome before hand-off."""
    if reason_code and reason_code in _NOT_SENT_BY_REASON:
        return _NOT_SENT_BY_REASON[reason_code]
    return _NOT_SENT_BY_STATUS.get(status, (100, "Error"))


def send_status(status: str, reason_code: str | None, handed_off: bool) -> SendStatus:
    """The send-status category of a canonical status."""
    if status in _QUEUED:
        return SendStatus("SMSQueued")
    if status in _SENT or (handed_off and status in _AFTER_HANDOFF_OUTCOMES):
        return SendStatus("SMSSent")
    code, text = not_sent_code(status, reason_code)
    return SendStatus("SMSNotSent", code, text)
