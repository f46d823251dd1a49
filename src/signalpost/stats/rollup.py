"""Turns recorded state changes into rollup deltas (pure).

A message counts once, in the row of its current status.  Each recorded step takes it out
of the row of its previous status (and carrier) and puts it into the new one; creation puts
it into ``accepted``.  Deltas of one transaction are summed per row, and rows that cancel
out are dropped, so a batch of a thousand sends is one or two upserts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from signalpost.domain.lifecycle import Status
from signalpost.messages.transitions import Applied
from signalpost.stats.histogram import BUCKETS, bucket_of

__all__ = ["HOUR_US", "RowKey", "deltas"]

HOUR_US = 3_600_000_000
_WITH_LATENCY = frozenset({Status.DELIVERED.value, Status.READ.value})

# (tenant_id, hour, channel, country, carrier, status, organization_id)
RowKey = tuple[str, int, str, str, str, str, str]
# [messages, segments, cost_micros, latency bucket 0, ..., latency bucket N-1]
Values = list[int]


def _add(
    acc: dict[RowKey, Values], message: dict[str, Any], status: str, carrier: str | None, sign: int
) -> None:
    created = message["created_at"]
    key: RowKey = (
        message["tenant_id"],
        created - created % HOUR_US,
        message["channel"],
        message["region_code"] or "",
        carrier or "",
        status,
        message["organization_id"],
    )
    values = acc.get(key)
    if values is None:
        values = acc[key] = [0] * (3 + BUCKETS)
    values[0] += sign
    values[1] += sign * message["segments"]
    values[2] += sign * message["price_micros"]
    delivered_at = message.get("delivered_at")
    if status in _WITH_LATENCY and delivered_at is not None:
        values[3 + bucket_of(delivered_at - created)] += sign


def deltas(applied: Iterable[Applied]) -> dict[RowKey, Values]:
    """Summed changes per rollup row; rows whose changes cancel out are left out."""
    acc: dict[RowKey, Values] = {}
    for step in applied:
        status = step.activity["status"]
        if status == Status.RECEIVED.value:
            continue  # inbound messages are not deliveries
        message = step.message
        if status != Status.ACCEPTED.value:
            _add(acc, message, step.previous.value, step.previous_carrier, -1)
        _add(acc, message, status, message["carrier"], 1)
    return {key: values for key, values in acc.items() if any(values)}
