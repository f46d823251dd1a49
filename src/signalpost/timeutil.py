"""Time as integer microseconds since the Unix epoch, and its text forms."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime

__all__ = ["from_datetime", "iso", "new_id", "now_us", "parse_iso", "to_datetime"]


def now_us() -> int:
    return time.time_ns() // 1000


def new_id() -> str:
    """A time-ordered UUID (version 7, RFC 9562): 48 bits of Unix milliseconds, then random.

    New rows land at the end of primary-key indexes instead of at random places, which keeps
    inserts cheap on both SQLite and PostgreSQL; the text is still a standard UUID.
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10))
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def to_datetime(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, UTC)


def from_datetime(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1_000_000)


def iso(us: int | None, *, z: bool = True) -> str | None:
    """ISO 8601 in UTC with microseconds: ``2026-03-11T21:25:50.171652Z`` (or ``+00:00``)."""
    if us is None:
        return None
    text = to_datetime(us).isoformat(timespec="microseconds")
    return text.replace("+00:00", "Z") if z else text


def parse_iso(text: str) -> int:
    """Microseconds from an ISO 8601 timestamp; naive times are taken as UTC."""
    return from_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")))
