"""SQL of data retention: policies, and the batched deletes and redactions of the purge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, insert, or_, select, update

from signalpost.storage import Connection, Query, Row, in_list
from signalpost.storage.tables import (
    activities,
    dispatch_queue,
    idempotency_keys,
    messages,
    organizations,
    profiles,
    retention_policies,
    submit_attempts,
)

__all__ = [
    "delete_activities",
    "delete_idempotency_keys",
    "delete_messages",
    "get_policy",
    "old_idempotency_keys",
    "old_message_ids",
    "oldest_activities",
    "set_policy",
    "set_redacted_through",
    "tenants",
    "to_redact",
]

p = retention_policies
m = messages
_NOT_QUEUED = ~exists().where(dispatch_queue.c.message_id == m.c.id)

_GET = Query(select(p).where(p.c.tenant_id == bindparam("tenant")))
_INSERT = Query(insert(p))
_UPDATE = Query(
    update(p)
    .where(p.c.tenant_id == bindparam("b_tenant"))
    .values(
        messages_days=bindparam("b_messages_days"),
        activities_days=bindparam("b_activities_days"),
        idempotency_days=bindparam("b_idempotency_days"),
        redact_days=bindparam("b_redact_days"),
        updated_at=bindparam("b_updated_at"),
    )
)
_WATERMARK = Query(
    update(p)
    .where(p.c.tenant_id == bindparam("b_tenant"))
    .values(redacted_through=bindparam("b_at"))
)
_ORGS = Query(select(organizations.c.id, organizations.c.id))
_PROFILES = Query(select(profiles.c.id, profiles.c.organization_id))

# Oldest first, by the (tenant_id, created_at, id) index; messages still in the dispatch
# queue (work pending) are left alone.
_OLD_MESSAGES = Query(
    select(m.c.id)
    .where(m.c.tenant_id == bindparam("tenant"), m.c.created_at < bindparam("cutoff"), _NOT_QUEUED)
    .order_by(m.c.created_at, m.c.id)
    .limit(bindparam("limit"))
)
_DELETE_MESSAGES = Query(lambda d: delete(m).where(in_list(m.c.id, "ids", d)))
_DELETE_ACTIVITIES_OF = Query(
    lambda d: delete(activities).where(in_list(activities.c.message_id, "ids", d))
)
_DELETE_ATTEMPTS_OF = Query(
    lambda d: delete(submit_attempts).where(in_list(submit_attempts.c.message_id, "ids", d))
)
# A tenant's oldest activities by id (ids grow with time): the purge looks at a bounded
# prefix and stops at the first one still within retention.
_OLDEST_ACTIVITIES = Query(
    select(activities.c.id, activities.c.created_at)
    .where(activities.c.tenant_id == bindparam("tenant"))
    .order_by(activities.c.id)
    .limit(bindparam("limit"))
)
_DELETE_ACTIVITIES = Query(lambda d: delete(activities).where(in_list(activities.c.id, "ids", d)))
k = idempotency_keys
_OLD_KEYS = Query(
    select(k.c.key)
    .where(k.c.tenant_id == bindparam("tenant"), k.c.created_at < bindparam("cutoff"))
    .limit(bindparam("limit"))
)
_DELETE_KEYS = Query(
    lambda d: delete(k).where(k.c.tenant_id == bindparam("tenant"), in_list(k.c.key, "keys", d))
)
_TO_REDACT = Query(
    select(m.c.id, m.c.created_at)
    .where(
        m.c.tenant_id == bindparam("tenant"),
        or_(
            m.c.created_at > bindparam("since"),
            and_(m.c.created_at == bindparam("since"), m.c.id > bindparam("since_id")),
        ),
        m.c.created_at < bindparam("cutoff"),
        _NOT_QUEUED,
    )
    .order_by(m.c.created_at, m.c.id)
    .limit(bindparam("limit"))
)


async def get_policy(conn: Connection, tenant_id: str) -> Row | None:
    return await conn.fetchrow(_GET, {"tenant": tenant_id})


async def set_policy(
    conn: Connection, tenant_id: str, organization_id: str, values: dict[str, Any], now: int
) -> None:
    if await get_policy(conn, tenant_id) is None:
        row = {"tenant_id": tenant_id, "organization_id": organization_id, **values}
        await conn.execute(_INSERT, {**row, "redacted_through": None, "updated_at": now})
        return
    params = {f"b_{k}": v for k, v in values.items()}
    await conn.execute(_UPDATE, {**params, "b_tenant": tenant_id, "b_updated_at": now})


async def set_redacted_through(
    conn: Connection, tenant_id: str, organization_id: str, at: int, now: int
) -> None:
    if await get_policy(conn, tenant_id) is None:
        await set_policy(conn, tenant_id, organization_id, {}, now)
    await conn.execute(_WATERMARK, {"b_tenant": tenant_id, "b_at": at})


async def tenants(conn: Connection) -> list[tuple[str, str]]:
    """Every tenant as ``(tenant_id, organization_id)``: organizations, then profiles."""
    rows = [*await conn.fetch(_ORGS), *await conn.fetch(_PROFILES)]
    return [(r[0], r[1]) for r in rows]


async def old_message_ids(conn: Connection, tenant_id: str, cutoff: int, limit: int) -> list[str]:
    rows = await conn.fetch(_OLD_MESSAGES, {"tenant": tenant_id, "cutoff": cutoff, "limit": limit})
    return [r[0] for r in rows]


async def delete_messages(conn: Connection, ids: Sequence[str]) -> None:
    """Delete messages with their activities and submit attempts."""
    params = {"ids": list(ids)}
    await conn.execute(_DELETE_ACTIVITIES_OF, params)
    await conn.execute(_DELETE_ATTEMPTS_OF, params)
    await conn.execute(_DELETE_MESSAGES, params)


async def oldest_activities(conn: Connection, tenant_id: str, limit: int) -> list[Row]:
    return await conn.fetch(_OLDEST_ACTIVITIES, {"tenant": tenant_id, "limit": limit})


async def delete_activities(conn: Connection, ids: Sequence[int]) -> None:
    await conn.execute(_DELETE_ACTIVITIES, {"ids": list(ids)})


async def old_idempotency_keys(
    conn: Connection, tenant_id: str, cutoff: int, limit: int
) -> list[str]:
    rows = await conn.fetch(_OLD_KEYS, {"tenant": tenant_id, "cutoff": cutoff, "limit": limit})
    return [r[0] for r in rows]


async def delete_idempotency_keys(conn: Connection, tenant_id: str, keys: Sequence[str]) -> None:
    await conn.execute(_DELETE_KEYS, {"tenant": tenant_id, "keys": list(keys)})


async def to_redact(
    conn: Connection, tenant_id: str, after: tuple[int, str], cutoff: int, limit: int
) -> list[Row]:
    """``(id, created_at)`` of messages after ``(created_at, id)`` and created before
    ``cutoff``, oldest first."""
    params = {
        "tenant": tenant_id,
        "since": after[0],
        "since_id": after[1],
        "cutoff": cutoff,
        "limit": limit,
    }
    return await conn.fetch(_TO_REDACT, params)
