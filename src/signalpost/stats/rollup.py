"""Turns recorded state changes into rollup deltas (pure).

A message counts once per dimension (channel, country, carrier), in the row of its current
status, both in its hour and in its day of acceptance (UTC).  Each recorded step takes it
out of the rows of its previous status (and carrier) and puts it into the new ones;
creation puts it into ``accepted``.  One dimension per row keeps reports cheap: a report
by country reads countries x statuses rows per period, never the cross product of every
dimension, and a report over days reads day rows.

Steps are first counted as whole tuples (one dictionary increment per step: the cost that
lands on the send and dispatch paths), then expanded into rows; rows whose changes cancel
out are dropped, so a batch of a thousand sends is a handful of upserts.
"""

from __future__ import annotations

from collections.abc import Iterable

from signalpost.domain.lifecycle import Status
from signalpost.messages.schemas import Message
from signalpost.messages.transitions import Applied
from signalpost.stats.histogram import BUCKETS, bucket_of

__all__ = ["DAY_US", "DIMENSIONS", "HOUR_US", "RowKey", "Values", "deltas"]

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
SPANS = (("hour", HOUR_US), ("day", DAY_US))
DIMENSIONS = ("channel", "country", "carrier")
_WITH_LATENCY = frozenset({Status.DELIVERED.value, Status.READ.value})
_ACCEPTED = Status.ACCEPTED.value
_RECEIVED = Status.RECEIVED.value

# (tenant_id, span, start, dimension, value, status, organization_id)
RowKey = tuple[str, str, int, str, str, str, str]
# [messages, segments, cost_micros, latency bucket 0, ..., latency bucket N-1]
Values = list[int]

# A message's contribution: tenant, organization, created, channel, country, carrier,
# status, segments, cost, latency bucket (-1: none).
_Unit = tuple[str, str, int, str, str, str, str, int, int, int]


def _unit(message: Message, status: str, carrier: str | None) -> _Unit:
    created = message.created_at
    bucket = -1
    if status in _WITH_LATENCY and message.delivered_at is not None:
        bucket = bucket_of(message.delivered_at - created)
    return (
        message.tenant_id,
        message.organization_id,
        created,
        message.channel,
        message.region_code or "",
        carrier or "",
        status,
        message.segments,
        message.price_micros,
        bucket,
    )


def _count(applied: Iterable[Applied]) -> dict[_Unit, int]:
    units: dict[_Unit, int] = {}
    # The newest step's message, status and carrier, counted in only when a step that does
    # not go on from it comes: a message's consecutive steps (its two creation steps) then
    # count once, in the status they end in, instead of in and out of each one between.
    pending: tuple[Message, str, str | None] | None = None
    for step in applied:
        status = step.activity.status
        if status == _RECEIVED:
            continue  # inbound messages are not deliveries
        message = step.message
        if status != _ACCEPTED:
            previous, previous_carrier = step.previous, step.previous_carrier
            if (
                pending is not None
                and pending[0].id == message.id  # the same message: what a unit reads of
                # it besides status and carrier never changes between its steps
                and pending[1] == previous  # a status is a str enum: equal to its value
                and (pending[2] or "") == (previous_carrier or "")
            ):
                pending = None  # it leaves the unit the step before put it in
            else:
                if pending is not None:
                    new = _unit(*pending)
                    units[new] = units.get(new, 0) + 1
                old = _unit(message, previous.value, previous_carrier)
                units[old] = units.get(old, 0) - 1
        elif pending is not None:
            new = _unit(*pending)
            units[new] = units.get(new, 0) + 1
        pending = (message, status, message.carrier)
    if pending is not None:
        new = _unit(*pending)
        units[new] = units.get(new, 0) + 1
    return units


def deltas(applied: Iterable[Applied]) -> dict[RowKey, Values]:
    """Summed changes per rollup row; rows whose changes cancel out are left out."""
    acc: dict[RowKey, Values] = {}
    for unit, n in _count(applied).items():
        if n == 0:
            continue
        tenant, organization, created, channel, country, carrier, status = unit[:7]
        values_of = (("channel", channel), ("country", country), ("carrier", carrier))
        for span, length in SPANS:
            start = created - created % length
            for dimension, value in values_of:
                key: RowKey = (tenant, span, start, dimension, value, status, organization)
                values = acc.get(key)
                if values is None:
                    values = acc[key] = [0] * (3 + BUCKETS)
                values[0] += n
                values[1] += n * unit[7]
                values[2] += n * unit[8]
                if unit[9] >= 0:
                    values[3 + unit[9]] += n
    return {key: values for key, values in acc.items() if any(values)}
