"""SQL of the statistics rollup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement, ColumnElement

from signalpost.stats.histogram import BUCKETS
from signalpost.stats.rollup import RowKey
from signalpost.storage import Connection, Query, Row, in_list
from signalpost.storage.tables import stats_hourly as s

__all__ = ["GROUPS", "add_deltas", "totals"]

_KEY = ("tenant_id", "hour", "channel", "country", "carrier", "status", "organization_id")
_SUMMED = ("messages", "segments", "cost_micros", *(f"lat_{i:02d}" for i in range(BUCKETS)))

GROUPS: Mapping[str, ColumnElement[Any]] = {
    "status": s.c.status,
    "channel": s.c.channel,
    "country": s.c.country,
    "carrier": s.c.carrier,
    "profile": s.c.tenant_id,
}


def _upsert(dialect: str) -> ClauseElement:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(s)
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(_KEY[:6]),
        set_={name: s.c[name] + stmt.excluded[name] for name in _SUMMED},
    )


_UPSERT = Query(_upsert)


async def add_deltas(conn: Connection, deltas: Mapping[RowKey, Sequence[int]]) -> None:
    """Add each row's deltas, creating rows as needed.

    Rows are written in key order, so two transactions touching the same rows lock them in
    the same order and cannot deadlock each other.
    """
    rows = [
        dict(zip(_KEY, key, strict=True)) | dict(zip(_SUMMED, deltas[key], strict=True))
        for key in sorted(deltas)
    ]
    if rows:
        await conn.executemany(_UPSERT, rows)


def _totals(dialect: str, group: str | None, by_organization: bool, day: bool) -> Select[Any]:
    del dialect
    # The day's length as SQL text, not a bound parameter: GROUP BY must repeat the
    # selected expression exactly, which two separate parameters would not be on PostgreSQL.
    bucket = (s.c.hour - s.c.hour % literal_column("86400000000")) if day else s.c.hour
    columns: list[Any] = [bucket.label("period")]
    grouping: list[Any] = [bucket]
    if group is not None:
        columns.append(GROUPS[group].label("grp"))
        grouping.append(GROUPS[group])
    if group != "status":
        columns.append(s.c.status)
        grouping.append(s.c.status)
    columns += [func.sum(s.c[name]).label(name) for name in _SUMMED]
    owner = s.c.organization_id if by_organization else s.c.tenant_id
    return (
        select(*columns)
        .where(
            owner == bindparam("owner"),
            s.c.hour >= bindparam("start"),
            s.c.hour < bindparam("end"),
        )
        .group_by(*grouping)
        .order_by(bucket)
    )


def _tenant_filtered(dialect: str, group: str | None, day: bool) -> Select[Any]:
    return _totals(dialect, group, True, day).where(in_list(s.c.tenant_id, "tenants", dialect))


_QUERIES: dict[tuple[str | None, bool, bool, bool], Query] = {}


def _query(group: str | None, by_organization: bool, day: bool, tenants: bool) -> Query:
    key = (group, by_organization, day, tenants)
    query = _QUERIES.get(key)
    if query is None:
        if tenants:
            query = Query(lambda d: _tenant_filtered(d, group, day))
        else:
            query = Query(lambda d: _totals(d, group, by_organization, day))
        _QUERIES[key] = query
    return query


async def totals(
    conn: Connection,
    *,
    owner: str,
    by_organization: bool,
    start: int,
    end: int,
    day: bool,
    group: str | None,
    tenants: Sequence[str] | None = None,
) -> list[Row]:
    """Sums per period (and group, and status) of the rows of one tenant or organization.

    Each row is ``period, [grp,] [status,] messages, segments, cost_micros, lat_00...``.
    """
    params: dict[str, Any] = {"owner": owner, "start": start, "end": end}
    if tenants is not None:
        params["tenants"] = list(tenants)
    return await conn.fetch(_query(group, by_organization, day, tenants is not None), params)
