"""SQL of the statistics rollup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement

from signalpost.stats.histogram import BUCKETS
from signalpost.stats.rollup import RowKey
from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import stats_rollups as s

__all__ = ["add_deltas", "totals"]

_KEY = ("tenant_id", "span", "start", "dimension", "value", "status", "organization_id")
_SUMMED = ("messages", "segments", "cost_micros", *(f"lat_{i:02d}" for i in range(BUCKETS)))
_PK = ("tenant_id", "span", "dimension", "start", "value", "status")


def _upsert(dialect: str) -> ClauseElement:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(s)
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(_PK),
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


def _totals(by_value: bool, by_tenant: bool, by_organization: bool) -> Select[Any]:
    columns: list[Any] = [s.c.start]
    grouping: list[Any] = [s.c.start]
    if by_value:
        columns.append(s.c.value)
        grouping.append(s.c.value)
    if by_tenant:
        columns.append(s.c.tenant_id)
        grouping.append(s.c.tenant_id)
    columns.append(s.c.status)
    grouping.append(s.c.status)
    columns += [func.sum(s.c[name]).label(name) for name in _SUMMED]
    owner = s.c.organization_id if by_organization else s.c.tenant_id
    stmt = select(*columns).where(
        owner == bindparam("owner"),
        s.c.span == bindparam("span"),
        s.c.dimension == bindparam("dimension"),
        s.c.start >= bindparam("start"),
        s.c.start < bindparam("end"),
    )
    return stmt.group_by(*grouping)


_QUERIES = {
    (v, t, o): Query(_totals(v, t, o))
    for v in (False, True)
    for t in (False, True)
    for o in (False, True)
}


async def totals(
    conn: Connection,
    *,
    owner: str,
    by_organization: bool,
    span: str,
    dimension: str,
    start: int,
    end: int,
    by_value: bool,
    by_tenant: bool,
) -> list[Row]:
    """Sums per period (and value or tenant) and status over one dimension's rows, in one
    pass over them.

    Each row is ``start, [value,] [tenant_id,] status`` then ``messages, segments,
    cost_micros`` and the latency buckets (non-zero only on delivered and read rows).
    Every dimension counts each message once, so any of them gives totals.
    """
    params = {
        "owner": owner,
        "span": span,
        "dimension": dimension,
        "start": start,
        "end": end,
    }
    return await conn.fetch(_QUERIES[(by_value, by_tenant, by_organization)], params)
