"""Value types of activities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["Activity", "ActivityFilter", "ActivityWithMessage"]


class Activity(NamedTuple):
    """One recorded step of a message (a tuple: built for every event of every lookup, and
    for every step recorded)."""

    id: int  # given by the database as it is stored, in order of steps; 0 until then
    message_id: str
    status: str
    description: str
    reason_code: str | None
    reason: str | None
    error_code: str | None
    price_micros: int | None
    created_at: int


@dataclass(frozen=True, slots=True)
class ActivityWithMessage:
    """An activity joined with the message fields listings show beside it."""

    activity: Activity
    to_number: str
    from_number: str | None
    channel: str
    body: str
    currency: str
    batch_id: str | None = None  # the send request the message came from


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    statuses: tuple[str, ...] = ()
    channel: str | None = None
    to_number: str | None = None
    from_number: str | None = None
    message_id: str | None = None
    batch_id: str | None = None
    created_from: int | None = None  # inclusive, microseconds
    created_to: int | None = None  # exclusive, microseconds
