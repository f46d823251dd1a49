"""Delivery statistics: the rollup observer and queries over it.

:func:`record` is a :class:`~signalpost.messages.transitions.Recorder` observer: it runs in
the transaction of every state change, so the rollup is always exactly what a count of the
messages would say.  :func:`report` reads only the rollup: its cost grows with hours and
groups, never with the number of messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from signalpost.accounts.schemas import Scope
from signalpost.errors import ValidationFailed
from signalpost.messages.transitions import Applied
from signalpost.stats import repository as repo
from signalpost.stats.rollup import DAY_US, HOUR_US, deltas
from signalpost.stats.schemas import GROUP_BY, INTERVALS, StatsQuery, StatsReport, Summary
from signalpost.storage import Connection

__all__ = ["make_query", "record", "report"]

_MAX_PERIODS = {"hour": 24 * 93, "day": 3 * 366}
_DELIVERED = frozenset({"delivered", "read"})  # the statuses whose rows hold latencies


async def record(conn: Connection, applied: Sequence[Applied]) -> None:
    """Move each changed message to the rollup row of its new status (same transaction)."""
    changes = deltas(applied)
    if changes:
        await repo.add_deltas(conn, changes)


# Periods are shown as ISO 8601 dates: the last one must end before the year 10000.
_LAST_INSTANT = 253_402_128_000_000_000  # 9999-12-30T00:00:00Z


def make_query(
    start: int | None, end: int | None, interval: str | None, group_by: str | None, now: int
) -> StatsQuery:
    """A validated query: bounds aligned to whole hours (days for ``day``), defaults filled."""
    interval = interval or "hour"
    errors: dict[str, list[str]] = {}
    if interval not in INTERVALS:
        errors["interval"] = [f"must be one of {', '.join(INTERVALS)}"]
    if group_by is not None and group_by not in GROUP_BY:
        errors["group_by"] = [f"must be one of {', '.join(GROUP_BY)}"]
    if errors:
        raise ValidationFailed(details=errors)
    step = DAY_US if interval == "day" else HOUR_US
    for name, value in (("from", start), ("to", end)):
        if value is not None and not 0 <= value <= _LAST_INSTANT:
            raise ValidationFailed(details={name: ["must lie between 1970 and the year 9999"]})
    end = -(-(end if end is not None else now) // step) * step
    start = start if start is not None else end - (30 * DAY_US if step == DAY_US else DAY_US)
    start -= start % step
    if start >= end:
        raise ValidationFailed(details={"from": ["must be before to"]})
    if (end - start) // step > _MAX_PERIODS[interval]:
        raise ValidationFailed(
            details={"to": [f"at most {_MAX_PERIODS[interval]} {interval}s per query"]}
        )
    return StatsQuery(start, end, interval, group_by)


def _add(summary: Summary, status: str, sums: Sequence[Any]) -> None:
    """Add one row's sums (messages, segments, cost) to a summary."""
    count = int(sums[0])
    summary.messages += count
    summary.segments += int(sums[1])
    summary.cost_micros += int(sums[2])
    summary.statuses[status] = summary.statuses.get(status, 0) + count


def _add_latency(summary: Summary, buckets: Sequence[Any]) -> None:
    if summary.latency:
        summary.latency = [a + int(b) for a, b in zip(summary.latency, buckets, strict=True)]
    else:
        summary.latency = [int(b) for b in buckets]


def _grouping(group_by: str | None) -> tuple[str, bool, bool]:
    """The dimension to read, and whether rows are grouped by its value or by tenant."""
    if group_by in ("channel", "country", "carrier"):
        return group_by, True, False
    return "channel", False, group_by == "profile"


async def report(conn: Connection, scope: Scope, query: StatsQuery) -> StatsReport:
    """Totals and per-period (and per-group) summaries of the scope's messages.

    An organization's own scope covers its profiles too (``group_by=profile`` separates
    them); a profile's scope covers that profile alone.
    """
    by_organization = scope.profile_id is None
    dimension, by_value, by_tenant = _grouping(query.group_by)

    rows = await repo.totals(
        conn,
        owner=scope.organization_id if by_organization else scope.tenant_id,
        by_organization=by_organization,
        span=query.interval,
        dimension=dimension,
        start=query.start,
        end=query.end,
        by_value=by_value,
        by_tenant=by_tenant,
    )
    head = 2 + by_value + by_tenant  # start, [value], [tenant], status
    latency_at = head + 3  # after messages, segments, cost
    totals = Summary()
    periods: dict[tuple[int, str | None], Summary] = {}
    for row in rows:
        values = tuple(row)
        if not values[head]:
            continue  # every message of the row has moved on
        key = (int(values[0]), _group_of(values, query.group_by))
        summary = periods.get(key)
        if summary is None:
            summary = periods[key] = Summary()
        status = values[head - 1]
        _add(summary, status, values[head:])
        _add(totals, status, values[head:])
        if status in _DELIVERED:
            _add_latency(summary, values[latency_at:])
            _add_latency(totals, values[latency_at:])
    keys = sorted(periods, key=lambda k: (k[0], k[1] or ""))
    ordered = [(period, group, periods[(period, group)]) for period, group in keys]
    return StatsReport(query, totals, ordered)


def _group_of(values: tuple[Any, ...], group_by: str | None) -> str | None:
    """The group of a row ``start, [value | tenant_id], status, ...``."""
    if group_by is None:
        return None
    if group_by == "status":
        status: str = values[1]
        return status
    group: str = values[1]
    return group
