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
_ACCEPTED = Status.ACCEPTED.value
_RECEIVED = Status.RECEIVED.value

# (tenant_id, hour, channel, country, carrier, status, organization_id)
RowKey = tuple[str, int, str, str, str, str, str]
# [messages, segments, cost_micros, latency bucket 0, ..., latency bucket N-1]
Values = list[int]


# A contribution: the row key, then segments, cost and latency bucket (-1: none).
_Unit = tuple[str, int, str, str, str, str, str, int, int, int]


def _unit(message: dict[str, Any], status: str, carrier: str | None) -> _Unit:
    created: int = message["created_at"]
    bucket = -1
    if status in _WITH_LATENCY and message["delivered_at"] is not None:
        bucket = bucket_of(message["delivered_at"] - created)
    return (
        message["tenant_id"],
        created - created % HOUR_US,
        message["channel"],
        message["region_code"] or "",
        carrier or "",
        status,
        message["organization_id"],
        message["segments"],
        message["price_micros"],
        bucket,
    )


def deltas(applied: Iterable[Applied]) -> dict[RowKey, Values]:
    """Summed changes per rollup row; rows whose changes cancel out are left out.

    Contributions are counted as whole tuples first (one dictionary increment per step, the
    cost that lands on the send and dispatch paths), then expanded into row values.
    """
    units: dict[_Unit, int] = {}
    for step in applied:
        status = step.activity["status"]
        if status == _RECEIVED:
            continue  # inbound messages are not deliveries
        message = step.message
        if status != _ACCEPTED:
            old = _unit(message, step.previous.value, step.previous_carrier)
            units[old] = units.get(old, 0) - 1
        new = _unit(message, status, message["carrier"])
        units[new] = units.get(new, 0) + 1
    acc: dict[RowKey, Values] = {}
    for unit, n in units.items():
        if n == 0:
            continue
        key: RowKey = unit[:7]
        values = acc.get(key)
        if values is None:
            values = acc[key] = [0] * (3 + BUCKETS)
        values[0] += n
        values[1] += n * unit[7]
        values[2] += n * unit[8]
        if unit[9] >= 0:
            values[3 + unit[9]] += n
    return {key: values for key, values in acc.items() if any(values)}
