"""SQL of idempotency keys."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, select

from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import idempotency_keys as k

__all__ = ["get", "insert_one", "purge"]

_GET = Query(
    select(k).where(
        k.c.tenant_id == bindparam("tenant"),
        k.c.key == bindparam("key"),
        k.c.expires_at > bindparam("now"),
    )
)
_INSERT = Query(insert(k))
_DELETE_EXPIRED = Query(
    delete(k).where(
        k.c.tenant_id == bindparam("tenant"),
        k.c.key == bindparam("key"),
        k.c.expires_at <= bindparam("now"),
    )
)
_PURGE = Query(delete(k).where(k.c.expires_at <= bindparam("now")))


async def get(conn: Connection, tenant_id: str, key: str, now: int) -> Row | None:
    return await conn.fetchrow(_GET, {"tenant": tenant_id, "key": key, "now": now})


async def insert_one(
    conn: Connection,
    *,
    tenant_id: str,
    key: str,
    fingerprint: str,
    status_code: int,
    body: str,
    created_at: int,
    expires_at: int,
) -> None:
    # An expired row with the same key may still be there; it no longer counts.
    await conn.execute(_DELETE_EXPIRED, {"tenant": tenant_id, "key": key, "now": created_at})
    await conn.execute(
        _INSERT,
        {
            "tenant_id": tenant_id,
            "key": key,
            "fingerprint": fingerprint,
            "status_code": status_code,
            "body": body,
            "created_at": created_at,
            "expires_at": expires_at,
        },
    )


async def purge(conn: Connection, now: int) -> int:
    return await conn.execute(_PURGE, {"now": now})
