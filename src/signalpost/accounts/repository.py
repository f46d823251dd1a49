"""SQL of the accounts domain."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select

from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import api_keys, organizations, profiles

__all__ = [
    "find_key",
    "get_organization",
    "get_profile",
    "insert_key",
    "insert_organization",
    "insert_profile",
    "list_profiles",
]

_INSERT_ORG = Query(insert(organizations))
_INSERT_PROFILE = Query(insert(profiles))
_INSERT_KEY = Query(insert(api_keys))
_GET_ORG = Query(select(organizations).where(organizations.c.id == bindparam("id")))
_GET_PROFILE = Query(select(profiles).where(profiles.c.id == bindparam("id")))
_LIST_PROFILES = Query(
    select(profiles)
    .where(profiles.c.organization_id == bindparam("org"))
    .order_by(profiles.c.created_at, profiles.c.id)
)
_FIND_KEY = Query(
    select(api_keys.c.id, api_keys.c.organization_id, api_keys.c.profile_id).where(
        api_keys.c.key_hash == bindparam("hash"), api_keys.c.revoked_at.is_(None)
    )
)


async def insert_organization(conn: Connection, *, id: str, name: str, created_at: int) -> None:
    await conn.execute(_INSERT_ORG, {"id": id, "name": name, "created_at": created_at})


async def insert_profile(
    conn: Connection, *, id: str, organization_id: str, name: str, created_at: int
) -> None:
    await conn.execute(
        _INSERT_PROFILE,
        {"id": id, "organization_id": organization_id, "name": name, "created_at": created_at},
    )


async def insert_key(
    conn: Connection,
    *,
    id: str,
    organization_id: str,
    profile_id: str | None,
    name: str | None,
    prefix: str,
    key_hash: str,
    created_at: int,
) -> None:
    await conn.execute(
        _INSERT_KEY,
        {
            "id": id,
            "organization_id": organization_id,
            "profile_id": profile_id,
            "name": name,
            "prefix": prefix,
            "key_hash": key_hash,
            "created_at": created_at,
            "revoked_at": None,
        },
    )


async def get_organization(conn: Connection, organization_id: str) -> Row | None:
    return await conn.fetchrow(_GET_ORG, {"id": organization_id})


async def get_profile(conn: Connection, profile_id: str) -> Row | None:
    return await conn.fetchrow(_GET_PROFILE, {"id": profile_id})


async def list_profiles(conn: Connection, organization_id: str) -> list[Row]:
    return await conn.fetch(_LIST_PROFILES, {"org": organization_id})


async def find_key(conn: Connection, key_hash: str) -> Row | None:
    return await conn.fetchrow(_FIND_KEY, {"hash": key_hash})
