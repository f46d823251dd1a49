"""Time as integer microseconds since the Unix epoch, and its text forms."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

__all__ = [
    "from_datetime",
    "iso",
    "new_id",
    "now_us",
    "parse_iso",
    "seconds_text",
    "to_datetime",
]


def now_us() -> int:
    return time.time_ns() // 1000


def new_id() -> str:
    """A time-ordered UUID (version 7, RFC 9562): 48 bits of Unix milliseconds, then random.

    New rows land at the end of primary-key indexes instead of at random places, which keeps
    inserts cheap on both SQLite and PostgreSQL; the text is still a standard UUID.
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10))
    value = (value & _KEEP) | _VERSION_AND_VARIANT
    # ``str(uuid.UUID(int=value))`` spelled out: a send makes an id per message, and the
    # UUID object cost more than everything else here together.
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_KEEP = ~(0xF << 76) & ~(0x3 << 62)
_VERSION_AND_VARIANT = (0x7 << 76) | (0x2 << 62)  # version 7, RFC 4122 variant


_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_datetime(us: int) -> datetime:
    """Exact (integer arithmetic: a float of seconds loses microseconds)."""
    return _EPOCH_UTC + timedelta(microseconds=us)


def from_datetime(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH_UTC) // _MICROSECOND


_EPOCH = datetime(1970, 1, 1)
_SECONDS_TEXT: dict[int, str] = {}  # whole seconds -> "YYYY-MM-DDTHH:MM:SS"
_SECONDS_TEXT_MAX = 16_384


def iso(us: int | None, *, z: bool = True) -> str | None:
    """ISO 8601 in UTC with microseconds: ``2026-03-11T21:25:50.171652Z`` (or ``+00:00``).

    Responses format many timestamps of the same few seconds, so the text of a whole
    second is kept in a small bounded table and only the fraction is formatted each time.
    """
    if us is None:
        return None
    seconds, fraction = divmod(us, 1_000_000)
    return f"{seconds_text(seconds)}.{fraction:06d}{'Z' if z else '+00:00'}"


def seconds_text(seconds: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` (UTC, no zone) of whole seconds since the epoch."""
    head = _SECONDS_TEXT.get(seconds)
    if head is None:
        if len(_SECONDS_TEXT) >= _SECONDS_TEXT_MAX:
            _SECONDS_TEXT.clear()
        head = (_EPOCH + timedelta(seconds=seconds)).isoformat()
        _SECONDS_TEXT[seconds] = head
    return head


def parse_iso(text: str) -> int:
    """Microseconds from an ISO 8601 timestamp; naive times are taken as UTC."""
    return from_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")))
