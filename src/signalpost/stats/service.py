"""Delivery statistics: the rollup observer and queries over it.

:func:`record` is a :class:`~signalpost.messages.transitions.Recorder` observer: it runs in
the transaction of every state change, so the rollup is always exactly what a count of the
messages would say.  :func:`report` reads only the rollup: its cost grows with hours and
groups, never with the number of messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from signalpost.accounts.schemas import Scope
from signalpost.errors import ValidationFailed
from signalpost.messages.transitions import Applied
from signalpost.stats import repository as repo
from signalpost.stats.histogram import BUCKETS
from signalpost.stats.rollup import HOUR_US, deltas
from signalpost.stats.schemas import GROUP_BY, INTERVALS, StatsQuery, StatsReport, Summary
from signalpost.storage import Connection, Row

__all__ = ["make_query", "record", "report"]

DAY_US = 24 * HOUR_US
_MAX_PERIODS = {"hour": 24 * 93, "day": 3 * 366}


async def record(conn: Connection, applied: Sequence[Applied]) -> None:
    """Move each changed message to the rollup row of its new status (same transaction)."""
    changes = deltas(applied)
    if changes:
        await repo.add_deltas(conn, changes)


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


def _add(summary: Summary, row: Row, status: str) -> None:
    count = int(row["messages"])
    summary.messages += count
    summary.segments += int(row["segments"])
    summary.cost_micros += int(row["cost_micros"])
    if count:
        summary.statuses[status] = summary.statuses.get(status, 0) + count
    if not summary.latency:
        summary.latency = [0] * BUCKETS
    for i in range(BUCKETS):
        summary.latency[i] += int(row[f"lat_{i:02d}"])


async def report(conn: Connection, scope: Scope, query: StatsQuery) -> StatsReport:
    """Totals and per-period (and per-group) summaries of the scope's messages.

    An organization's own scope covers its profiles too (``group_by=profile`` separates
    them); a profile's scope covers that profile alone.
    """
    by_organization = scope.profile_id is None
    rows = await repo.totals(
        conn,
        owner=scope.organization_id if by_organization else scope.tenant_id,
        by_organization=by_organization,
        start=query.start,
        end=query.end,
        day=query.interval == "day",
        group=query.group_by,
    )
    totals = Summary()
    periods: dict[tuple[int, str | None], Summary] = {}
    for row in rows:
        if not row["messages"]:
            continue  # every message of the row has moved on
        group = row["grp"] if query.group_by else None
        status: str = row["grp"] if query.group_by == "status" else row["status"]
        _add(totals, row, status)
        key = (int(row["period"]), group)
        summary = periods.get(key)
        if summary is None:
            summary = periods[key] = Summary()
        _add(summary, row, status)
    ordered = [
        (p, g, periods[(p, g)]) for p, g in sorted(periods, key=lambda k: (k[0], k[1] or ""))
    ]
    return StatsReport(query, totals, ordered)
