"""SQL of send definitions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy import insert as sql_insert

from signalpost.definitions.schemas import DefinitionFilter
from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import send_definitions as d

__all__ = ["LIVE", "archive", "get_live", "insert_row", "search", "update_fields"]

LIVE = 0
"""``archived_at`` of a definition that is not deleted."""

_INSERT = Query(sql_insert(d))
_GET = Query(
    lambda dialect: _get_stmt(dialect, lock=False),
)
_GET_FOR_SEND = Query(lambda dialect: _get_stmt(dialect, lock=True))
_ARCHIVE = Query(
    update(d)
    .where(d.c.id == bindparam("id"))
    .values(status="deleted", archived_at=bindparam("at"), updated_at=bindparam("at"))
)
_ORDER = {
    "key": d.c.definition_key,
    "name": d.c.name,
    "created_at": d.c.created_at,
    "updated_at": d.c.updated_at,
    "status": d.c.status,
}


def _get_stmt(dialect: str, *, lock: bool) -> Any:
    stmt = select(d).where(
        d.c.tenant_id == bindparam("tenant"),
        d.c.definition_key == bindparam("key"),
        d.c.archived_at == LIVE,
    )
    if lock and dialect == "postgresql":
        stmt = stmt.with_for_update(read=True)  # a send waits for a status change in flight
    return stmt


async def insert_row(conn: Connection, row: Mapping[str, Any]) -> None:
    await conn.execute(_INSERT, row)


async def get_live(
    conn: Connection, tenant_id: str, key: str, *, for_send: bool = False
) -> Row | None:
    query = _GET_FOR_SEND if for_send else _GET
    return await conn.fetchrow(query, {"tenant": tenant_id, "key": key})


async def update_fields(conn: Connection, definition_id: str, values: Mapping[str, Any]) -> None:
    stmt = (
        update(d)
        .where(d.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in values})
    )
    await conn.execute(
        Query(stmt), {"b_id": definition_id, **{f"b_{k}": v for k, v in values.items()}}
    )


async def archive(conn: Connection, definition_id: str, at: int) -> None:
    await conn.execute(_ARCHIVE, {"id": definition_id, "at": at})


async def search(
    conn: Connection, tenant_id: str, flt: DefinitionFilter, *, limit: int, offset: int
) -> tuple[list[Row], int]:
    """One page of a tenant's definitions and the total that match."""
    stmt = select(d).where(d.c.tenant_id == bindparam("tenant"))
    params: dict[str, Any] = {"tenant": tenant_id, "limit": limit, "offset": offset}
    if flt.status is not None:
        stmt = stmt.where(
            d.c.status != bindparam("status") if flt.exclude else d.c.status == bindparam("status")
        )
        params["status"] = flt.status.value
    else:
        stmt = stmt.where(d.c.archived_at == LIVE)
    total = await conn.fetchval(Query(select(func.count()).select_from(stmt.subquery())), params)
    column = _ORDER.get(flt.order_by, d.c.created_at)
    ordered = column.desc() if flt.descending else column.asc()
    stmt = stmt.order_by(ordered, d.c.id).limit(bindparam("limit")).offset(bindparam("offset"))
    rows = await conn.fetch(Query(stmt), params)
    return rows, int(total or 0)
