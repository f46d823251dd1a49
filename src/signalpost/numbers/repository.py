"""SQL of sender numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from signalpost.numbers.schemas import NumberFilter
from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import sender_numbers as n

__all__ = ["delete_one", "get", "get_by_phone", "insert_one", "pool", "search", "update_one"]

_INSERT = Query(insert(n))
_GET = Query(select(n).where(n.c.tenant_id == bindparam("tenant"), n.c.id == bindparam("id")))
_BY_PHONE = Query(
    select(n).where(n.c.tenant_id == bindparam("tenant"), n.c.phone_number == bindparam("phone"))
)
_UPDATE = Query(
    update(n)
    .where(n.c.tenant_id == bindparam("tenant"), n.c.id == bindparam("nid"))
    .values(
        label=bindparam("label"),
        paused=bindparam("paused"),
        updated_at=bindparam("updated_at"),
    )
)
_POOL = Query(
    select(n.c.phone_number).where(
        n.c.tenant_id == bindparam("tenant"), n.c.pool.is_(True), n.c.paused.is_(False)
    )
)
_DELETE = Query(delete(n).where(n.c.tenant_id == bindparam("tenant"), n.c.id == bindparam("id")))
_LIST = Query(
    select(n)
    .where(n.c.tenant_id == bindparam("tenant"))
    .order_by(n.c.created_at.desc(), n.c.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_LIST_BY_PAUSED = Query(
    select(n)
    .where(n.c.tenant_id == bindparam("tenant"), n.c.paused == bindparam("paused"))
    .order_by(n.c.created_at.desc(), n.c.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


async def insert_one(conn: Connection, row: Mapping[str, Any]) -> None:
    await conn.execute(_INSERT, row)


async def get(conn: Connection, tenant_id: str, number_id: str) -> Row | None:
    return await conn.fetchrow(_GET, {"tenant": tenant_id, "id": number_id})


async def get_by_phone(conn: Connection, tenant_id: str, e164: str) -> Row | None:
    return await conn.fetchrow(_BY_PHONE, {"tenant": tenant_id, "phone": e164})


async def update_one(
    conn: Connection, tenant_id: str, number_id: str, row: Mapping[str, Any]
) -> int:
    return await conn.execute(_UPDATE, {"tenant": tenant_id, "nid": number_id, **row})


async def delete_one(conn: Connection, tenant_id: str, number_id: str) -> int:
    return await conn.execute(_DELETE, {"tenant": tenant_id, "id": number_id})


async def search(
    conn: Connection, tenant_id: str, flt: NumberFilter, *, limit: int, offset: int
) -> list[Row]:
    """Numbers newest first."""
    params: dict[str, Any] = {"tenant": tenant_id, "limit": limit, "offset": offset}
    if flt.paused is None:
        return await conn.fetch(_LIST, params)
    return await conn.fetch(_LIST_BY_PAUSED, {**params, "paused": flt.paused})


async def pool(conn: Connection, tenant_id: str) -> list[str]:
    """The tenant's pool numbers that may send now."""
    return [row[0] for row in await conn.fetch(_POOL, {"tenant": tenant_id})]
