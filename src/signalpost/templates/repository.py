"""SQL of templates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import templates as t

__all__ = ["delete_one", "get", "get_by_name", "insert_one", "list_all", "update_one"]

_INSERT = Query(insert(t))
_GET = Query(select(t).where(t.c.tenant_id == bindparam("tenant"), t.c.id == bindparam("id")))
_BY_NAME = Query(
    select(t).where(t.c.tenant_id == bindparam("tenant"), t.c.name == bindparam("name"))
)
_LIST = Query(
    select(t)
    .where(t.c.tenant_id == bindparam("tenant"))
    .order_by(t.c.created_at.desc(), t.c.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_UPDATE = Query(
    update(t)
    .where(t.c.tenant_id == bindparam("tenant"), t.c.id == bindparam("tid"))
    .values(
        name=bindparam("name"),
        body=bindparam("body"),
        category=bindparam("category"),
        channels=bindparam("channels"),
        updated_at=bindparam("updated_at"),
    )
)
_DELETE = Query(delete(t).where(t.c.tenant_id == bindparam("tenant"), t.c.id == bindparam("id")))


async def insert_one(conn: Connection, row: dict[str, Any]) -> None:
    await conn.execute(_INSERT, row)


async def get(conn: Connection, tenant_id: str, template_id: str) -> Row | None:
    return await conn.fetchrow(_GET, {"tenant": tenant_id, "id": template_id})


async def get_by_name(conn: Connection, tenant_id: str, name: str) -> Row | None:
    return await conn.fetchrow(_BY_NAME, {"tenant": tenant_id, "name": name})


async def list_all(conn: Connection, tenant_id: str, limit: int, offset: int) -> list[Row]:
    return await conn.fetch(_LIST, {"tenant": tenant_id, "limit": limit, "offset": offset})


async def update_one(
    conn: Connection, tenant_id: str, template_id: str, row: dict[str, Any]
) -> int:
    return await conn.execute(_UPDATE, {"tenant": tenant_id, "tid": template_id, **row})


async def delete_one(conn: Connection, tenant_id: str, template_id: str) -> int:
    return await conn.execute(_DELETE, {"tenant": tenant_id, "id": template_id})
