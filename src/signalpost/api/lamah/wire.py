"""Lamah's vocabulary: numbers in the ``00`` form, receiver statuses and timestamps."""

from __future__ import annotations

import time

__all__ = ["number", "receiver_status", "timestamp"]

_STATUS = {
    "accepted": "pending",
    "scheduled": "pending",
    "queued": "pending",
    "processed": "pending",
    "routed": "pending",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "failed": "failed",
    "expired": "expired",
    "rejected": "rejected",
}


def receiver_status(status: str) -> str:
    """A canonical status as a receiver's status (blocked, filtered, cancelled: failed)."""
    return _STATUS.get(status, "failed")


def number(e164: str) -> str:
    """``+218912345678`` as Lamah shows it: ``00218912345678``."""
    return "00" + e164.removeprefix("+")


def timestamp(us: int | None) -> str | None:
    """ISO 8601 in UTC, whole seconds, ``Z``: ``2024-01-15T10:30:02Z``."""
    if us is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(us // 1_000_000))
