"""SQL of webhook endpoints: created, read, changed, deleted (with their events and
attempts), and what the outbox and the worker read of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from signalpost.storage import Connection, Query, Row, in_list
from signalpost.storage.tables import webhook_attempts as at
from signalpost.storage.tables import webhook_endpoints as ep
from signalpost.storage.tables import webhook_events as ev

__all__ = [
    "delete_endpoint",
    "endpoints_by_ids",
    "for_tenants",
    "get_endpoint",
    "insert_endpoint",
    "list_endpoints",
    "rotate_secret",
    "update_endpoint",
]


_INSERT_ENDPOINT = Query(insert(ep))
_GET_ENDPOINT = Query(
    select(ep).where(ep.c.tenant_id == bindparam("tenant"), ep.c.id == bindparam("id"))
)
_LIST_ENDPOINTS = Query(
    select(ep)
    .where(ep.c.tenant_id == bindparam("tenant"))
    .order_by(ep.c.created_at, ep.c.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_LIST_ENDPOINTS_OF_DIALECT = Query(
    select(ep)
    .where(ep.c.tenant_id == bindparam("tenant"), ep.c.dialect == bindparam("dialect"))
    .order_by(ep.c.created_at, ep.c.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_MUTABLE = (
    "url",
    "event_types",
    "description",
    "attributes",
    "enabled",
    "disabled_reason",
    "disabled_at",
    "consecutive_failures",
    "failed_events",
    "failing_since",
    "max_attempts",
    "timeout_seconds",
    "updated_at",
)
_UPDATE_ENDPOINT = Query(
    update(ep)
    .where(ep.c.tenant_id == bindparam("b_tenant"), ep.c.id == bindparam("b_id"))
    .values({name: bindparam(f"b_{name}") for name in _MUTABLE})
)
_ROTATE = Query(
    update(ep)
    .where(ep.c.tenant_id == bindparam("tenant"), ep.c.id == bindparam("id"))
    .values(
        secret=bindparam("secret"),
        previous_secret=bindparam("previous_secret"),
        previous_secret_expires_at=bindparam("previous_secret_expires_at"),
        updated_at=bindparam("updated_at"),
    )
)
_DELETE_ENDPOINT = Query(
    delete(ep).where(ep.c.tenant_id == bindparam("tenant"), ep.c.id == bindparam("id"))
)
_DELETE_EVENTS_OF = Query(delete(ev).where(ev.c.endpoint_id == bindparam("id")))
_DELETE_ATTEMPTS_OF = Query(delete(at).where(at.c.endpoint_id == bindparam("id")))
_FOR_TENANTS = Query(
    lambda d: select(
        ep.c.id,
        ep.c.tenant_id,
        ep.c.organization_id,
        ep.c.dialect,
        ep.c.url,
        ep.c.event_types,
        ep.c.attributes,
        ep.c.enabled,
    ).where(in_list(ep.c.tenant_id, "tenants", d))
)
_ENDPOINTS_BY_IDS = Query(lambda d: select(ep).where(in_list(ep.c.id, "ids", d)))


async def insert_endpoint(conn: Connection, row: Mapping[str, Any]) -> None:
    await conn.execute(_INSERT_ENDPOINT, row)


async def get_endpoint(conn: Connection, tenant_id: str, endpoint_id: str) -> Row | None:
    return await conn.fetchrow(_GET_ENDPOINT, {"tenant": tenant_id, "id": endpoint_id})


async def list_endpoints(
    conn: Connection, tenant_id: str, *, dialect: str | None, limit: int, offset: int
) -> list[Row]:
    params: dict[str, Any] = {"tenant": tenant_id, "limit": limit, "offset": offset}
    if dialect is None:
        return await conn.fetch(_LIST_ENDPOINTS, params)
    return await conn.fetch(_LIST_ENDPOINTS_OF_DIALECT, {**params, "dialect": dialect})


async def update_endpoint(conn: Connection, tenant_id: str, row: Mapping[str, Any]) -> int:
    """Write every mutable column of ``row`` (a full endpoint row)."""
    params = {f"b_{name}": row[name] for name in _MUTABLE}
    return await conn.execute(
        _UPDATE_ENDPOINT, {**params, "b_tenant": tenant_id, "b_id": row["id"]}
    )


async def rotate_secret(
    conn: Connection,
    tenant_id: str,
    endpoint_id: str,
    *,
    secret: str,
    previous: str | None,
    previous_expires_at: int | None,
    now: int,
) -> int:
    return await conn.execute(
        _ROTATE,
        {
            "tenant": tenant_id,
            "id": endpoint_id,
            "secret": secret,
            "previous_secret": previous,
            "previous_secret_expires_at": previous_expires_at,
            "updated_at": now,
        },
    )


async def delete_endpoint(conn: Connection, tenant_id: str, endpoint_id: str) -> int:
    """Remove an endpoint with its events and attempts; returns 0 if it was not there.

    Events go first: a recorder finishing one of them holds its row until it commits, so
    its attempts are committed (and deleted next) or never written; both take rows in the
    order events, attempts, endpoint, and cannot deadlock.
    """
    if await get_endpoint(conn, tenant_id, endpoint_id) is None:
        return 0
    await conn.execute(_DELETE_EVENTS_OF, {"id": endpoint_id})
    await conn.execute(_DELETE_ATTEMPTS_OF, {"id": endpoint_id})
    return await conn.execute(_DELETE_ENDPOINT, {"tenant": tenant_id, "id": endpoint_id})


async def for_tenants(conn: Connection, tenant_ids: Sequence[str]) -> list[Row]:
    """The endpoints of these tenants, enabled or not (what the outbox needs of each)."""
    return await conn.fetch(_FOR_TENANTS, {"tenants": list(tenant_ids)})


async def endpoints_by_ids(conn: Connection, ids: Sequence[str]) -> dict[str, Row]:
    rows = await conn.fetch(_ENDPOINTS_BY_IDS, {"ids": list(ids)})
    return {r["id"]: r for r in rows}
