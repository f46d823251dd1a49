"""SQL of contacts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement

from signalpost.contacts.schemas import ContactFilter
from signalpost.storage import Connection, Query, Row, in_list
from signalpost.storage.tables import contacts as c

__all__ = [
    "count",
    "default_channels",
    "delete_one",
    "get",
    "insert_missing",
    "insert_one",
    "search",
    "update_one",
]


def _insert_missing(dialect: str) -> ClauseElement:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(c).on_conflict_do_nothing(index_elements=["tenant_id", "phone_number"])
    return stmt  # type: ignore[no-any-return]


_INSERT = Query(insert(c))
_INSERT_MISSING = Query(_insert_missing)
_GET = Query(select(c).where(c.c.tenant_id == bindparam("tenant"), c.c.id == bindparam("id")))
_CHANNELS = Query(
    lambda d: select(c.c.phone_number, c.c.default_channel).where(
        c.c.tenant_id == bindparam("tenant"),
        in_list(c.c.phone_number, "phones", d),
        c.c.default_channel.is_not(None),
    )
)
_UPDATE = Query(
    update(c)
    .where(c.c.tenant_id == bindparam("tenant"), c.c.id == bindparam("cid"))
    .values(
        default_channel=bindparam("default_channel"),
        updated_at=bindparam("updated_at"),
    )
)
_DELETE = Query(delete(c).where(c.c.tenant_id == bindparam("tenant"), c.c.id == bindparam("id")))


async def insert_one(conn: Connection, row: Mapping[str, Any]) -> None:
    await conn.execute(_INSERT, row)


async def insert_missing(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert rows whose (tenant, phone number) is not there yet; leave the others alone."""
    await conn.executemany(_INSERT_MISSING, rows)


async def get(conn: Connection, tenant_id: str, contact_id: str) -> Row | None:
    return await conn.fetchrow(_GET, {"tenant": tenant_id, "id": contact_id})


async def default_channels(
    conn: Connection, tenant_id: str, phones: Sequence[str]
) -> dict[str, str]:
    """``phone_number -> default_channel`` of the numbers whose contact chose a channel."""
    rows = await conn.fetch(_CHANNELS, {"tenant": tenant_id, "phones": list(phones)})
    return {r[0]: r[1] for r in rows}


async def update_one(
    conn: Connection, tenant_id: str, contact_id: str, row: Mapping[str, Any]
) -> int:
    return await conn.execute(_UPDATE, {"tenant": tenant_id, "cid": contact_id, **row})


async def delete_one(conn: Connection, tenant_id: str, contact_id: str) -> int:
    return await conn.execute(_DELETE, {"tenant": tenant_id, "id": contact_id})


def _filtered(tenant_id: str, flt: ContactFilter) -> tuple[Any, dict[str, Any]]:
    stmt = select(c).where(c.c.tenant_id == bindparam("tenant"))
    params: dict[str, Any] = {"tenant": tenant_id}
    if flt.phone is not None:
        stmt = stmt.where(c.c.phone_number == bindparam("phone"))
        params["phone"] = flt.phone
    if flt.search:
        stmt = stmt.where(c.c.phone_number.contains(bindparam("search")))
        params["search"] = flt.search
    return stmt, params


async def search(
    conn: Connection, tenant_id: str, flt: ContactFilter, *, limit: int, offset: int
) -> list[Row]:
    """Contacts newest first."""
    stmt, params = _filtered(tenant_id, flt)
    stmt = (
        stmt.order_by(c.c.created_at.desc(), c.c.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return await conn.fetch(Query(stmt), {**params, "limit": limit, "offset": offset})


async def count(conn: Connection, tenant_id: str, flt: ContactFilter) -> int:
    stmt, params = _filtered(tenant_id, flt)
    value = await conn.fetchval(Query(select(func.count()).select_from(stmt.subquery())), params)
    return int(value or 0)
