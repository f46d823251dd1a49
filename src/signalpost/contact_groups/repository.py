"""SQL of contact groups and their members."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy import insert as sql_insert

from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import contact_group_members as gm
from signalpost.storage.tables import contact_groups as g

__all__ = ["get_group", "insert_group", "insert_members", "members_of"]

_INSERT_GROUP = Query(sql_insert(g))
_INSERT_MEMBER = Query(sql_insert(gm))
_GET = Query(select(g).where(g.c.id == bindparam("id"), g.c.tenant_id == bindparam("tenant")))
_MEMBERS = Query(
    select(gm.c.phone_number)
    .where(gm.c.group_id == bindparam("id"))
    .order_by(gm.c.created_at, gm.c.phone_number)
)


async def insert_group(conn: Connection, row: Mapping[str, Any]) -> None:
    await conn.execute(_INSERT_GROUP, row)


async def insert_members(conn: Connection, group_id: str, numbers: Sequence[str], at: int) -> None:
    await conn.executemany(
        _INSERT_MEMBER,
        [
            {"group_id": group_id, "phone_number": n, "created_at": at + i}
            for i, n in enumerate(numbers)
        ],
    )


async def get_group(conn: Connection, tenant_id: str, group_id: str) -> Row | None:
    return await conn.fetchrow(_GET, {"id": group_id, "tenant": tenant_id})


async def members_of(conn: Connection, group_id: str) -> list[str]:
    return [r[0] for r in await conn.fetch(_MEMBERS, {"id": group_id})]
