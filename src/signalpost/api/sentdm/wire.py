"""The sent.dm v3 vocabulary: timestamps, request ids, statuses, prices.

Status casing, decided once for the whole dialect (the seeds show both):

- the message resource (``GET /v3/messages/{id}``: ``status`` and ``events[].status``) is
  lower case, as in the message status page: ``"delivered"``;
- activities, the send response's batch status and webhooks are upper case, as in the
  activities page and the SDK: ``"DELIVERED"``;
- filters accept either case.

sent.dm has no ``expired`` or ``rejected`` state: both are ``FAILED`` with the reason code
that tells them apart (``DELIVERY_002``, ``DELIVERY_003``).
"""

from __future__ import annotations

from signalpost.domain.pricing import format_price
from signalpost.request_ids import new_request_id
from signalpost.timeutil import seconds_text

__all__ = [
    "REASONED",
    "activity_status",
    "message_status",
    "price_text",
    "request_id",
    "timestamp",
    "webhook_time",
]

_TO_SENTDM = {"expired": "failed", "rejected": "failed"}

REASONED = frozenset({"failed", "filtered", "blocked"})
"""sent.dm statuses that carry ``reason_code`` and ``reason`` (absent on every other)."""


def request_id() -> str:
    """``req_`` and ten letters or digits, as in every example of the seeds."""
    return new_request_id()


def timestamp(us: int) -> str:
    """ISO 8601, seven fractional digits, ``+00:00``: ``2026-03-11T21:25:50.1716529+00:00``."""
    seconds, fraction = divmod(us, 1_000_000)
    return f"{seconds_text(seconds)}.{fraction:06d}0+00:00"


def webhook_time(us: int) -> str:
    """Second precision with ``Z``, as webhook payloads carry: ``2026-03-11T19:51:01Z``."""
    return seconds_text(us // 1_000_000) + "Z"


def message_status(status: str) -> str:
    """The canonical status as the message resource shows it (lower case)."""
    return _TO_SENTDM.get(status, status)


def activity_status(status: str) -> str:
    """The canonical status as activities and webhooks show it (upper case)."""
    return _TO_SENTDM.get(status, status).upper()


def price_text(micros: int | None) -> str | None:
    """A price as a string with four decimals (``"0.0450"``), or None."""
    return None if micros is None else format_price(micros, 4)
