"""SQL of the accounts domain."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import bindparam, insert, or_, select, update

from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import api_keys, change_counters, organizations, profiles

__all__ = [
    "KEYS_COUNTER",
    "bump_counter",
    "find_key",
    "get_key",
    "get_organization",
    "get_profile",
    "insert_key",
    "insert_organization",
    "insert_profile",
    "keys_version",
    "list_keys",
    "list_organizations",
    "list_profiles",
    "revoke_key",
    "set_key_expiry",
    "touch_keys",
]

KEYS_COUNTER = "api_keys"
"""The change counter bumped by every revocation or rotation of an API key."""

k = api_keys
_INSERT_ORG = Query(insert(organizations))
_INSERT_PROFILE = Query(insert(profiles))
_INSERT_KEY = Query(insert(k))
_GET_ORG = Query(select(organizations).where(organizations.c.id == bindparam("id")))
_LIST_ORGS = Query(select(organizations).order_by(organizations.c.created_at, organizations.c.id))
_GET_PROFILE = Query(select(profiles).where(profiles.c.id == bindparam("id")))
_LIST_PROFILES = Query(
    select(profiles)
    .where(profiles.c.organization_id == bindparam("org"))
    .order_by(profiles.c.created_at, profiles.c.id)
)
# Keys past their rotation grace period are still returned: the caller caches the answer
# only until expires_at, and refuses the key after it.
_FIND_KEY = Query(
    select(k.c.id, k.c.organization_id, k.c.profile_id, k.c.kind, k.c.expires_at).where(
        k.c.key_hash == bindparam("hash"), k.c.revoked_at.is_(None)
    )
)
_KEY_COLUMNS = (
    k.c.id,
    k.c.organization_id,
    k.c.profile_id,
    k.c.name,
    k.c.prefix,
    k.c.kind,
    k.c.created_at,
    k.c.revoked_at,
    k.c.expires_at,
    k.c.replaced_by,
    k.c.last_used_at,
)
_GET_KEY = Query(select(*_KEY_COLUMNS).where(k.c.id == bindparam("id")))
_LIST_KEYS = Query(
    select(*_KEY_COLUMNS)
    .where(k.c.organization_id == bindparam("org"))
    .order_by(k.c.created_at, k.c.id)
)
_LIST_PROFILE_KEYS = Query(
    select(*_KEY_COLUMNS)
    .where(k.c.organization_id == bindparam("org"), k.c.profile_id == bindparam("profile"))
    .order_by(k.c.created_at, k.c.id)
)
_REVOKE = Query(
    update(k)
    .where(k.c.id == bindparam("id"), k.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)
_EXPIRE = Query(
    update(k)
    .where(k.c.id == bindparam("id"))
    .values(expires_at=bindparam("b_expires_at"), replaced_by=bindparam("b_replaced_by"))
)
# A later use never moves last_used_at back, whichever process flushes first.
_TOUCH = Query(
    update(k)
    .where(
        k.c.id == bindparam("b_id"),
        or_(k.c.last_used_at.is_(None), k.c.last_used_at < bindparam("b_at")),
    )
    .values(last_used_at=bindparam("b_at"))
)
c = change_counters
_COUNTER = Query(select(c.c.value).where(c.c.name == bindparam("name")))
_BUMP = Query(update(c).where(c.c.name == bindparam("name")).values(value=c.c.value + 1))
_INSERT_COUNTER = Query(insert(c).values(name=bindparam("name"), value=1))


async def insert_organization(conn: Connection, *, id: str, name: str, created_at: int) -> None:
    await conn.execute(_INSERT_ORG, {"id": id, "name": name, "created_at": created_at})


async def insert_profile(
    conn: Connection, *, id: str, organization_id: str, name: str, created_at: int
) -> None:
    await conn.execute(
        _INSERT_PROFILE,
        {"id": id, "organization_id": organization_id, "name": name, "created_at": created_at},
    )


async def insert_key(conn: Connection, row: Mapping[str, object]) -> None:
    """Insert an API key row (every column of ``api_keys``)."""
    await conn.execute(_INSERT_KEY, dict(row))


async def get_organization(conn: Connection, organization_id: str) -> Row | None:
    return await conn.fetchrow(_GET_ORG, {"id": organization_id})


async def list_organizations(conn: Connection) -> list[Row]:
    return await conn.fetch(_LIST_ORGS)


async def get_profile(conn: Connection, profile_id: str) -> Row | None:
    return await conn.fetchrow(_GET_PROFILE, {"id": profile_id})


async def list_profiles(conn: Connection, organization_id: str) -> list[Row]:
    return await conn.fetch(_LIST_PROFILES, {"org": organization_id})


async def find_key(conn: Connection, key_hash: str) -> Row | None:
    """``(id, organization_id, profile_id, kind, expires_at)`` of an unrevoked key."""
    return await conn.fetchrow(_FIND_KEY, {"hash": key_hash})


async def get_key(conn: Connection, key_id: str) -> Row | None:
    return await conn.fetchrow(_GET_KEY, {"id": key_id})


async def list_keys(conn: Connection, organization_id: str, profile_id: str | None) -> list[Row]:
    if profile_id is None:
        return await conn.fetch(_LIST_KEYS, {"org": organization_id})
    return await conn.fetch(_LIST_PROFILE_KEYS, {"org": organization_id, "profile": profile_id})


async def revoke_key(conn: Connection, key_id: str, now: int) -> bool:
    """Revoke a key; False when it was already revoked."""
    return await conn.execute(_REVOKE, {"id": key_id, "now": now}) > 0


async def set_key_expiry(
    conn: Connection, key_id: str, expires_at: int, replaced_by: str | None
) -> None:
    await conn.execute(
        _EXPIRE, {"id": key_id, "b_expires_at": expires_at, "b_replaced_by": replaced_by}
    )


async def touch_keys(conn: Connection, last_used: Mapping[str, int]) -> None:
    """Record when keys were last used (one statement per key, in one transaction)."""
    rows: Iterable[dict[str, object]] = (
        {"b_id": key_id, "b_at": at} for key_id, at in last_used.items()
    )
    await conn.executemany(_TOUCH, rows)


async def keys_version(conn: Connection) -> int:
    """The API keys' change counter (0 before the first revocation or rotation)."""
    value = await conn.fetchval(_COUNTER, {"name": KEYS_COUNTER})
    return int(value or 0)


async def bump_counter(conn: Connection, name: str) -> None:
    if await conn.execute(_BUMP, {"name": name}) == 0:
        await conn.execute(_INSERT_COUNTER, {"name": name})
