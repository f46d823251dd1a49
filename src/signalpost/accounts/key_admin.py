"""Listing and revoking an organization's API keys (what the console's key page needs).

Kept apart from the key service so a fuller key lifecycle can take its place.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update

from signalpost.errors import NotFound
from signalpost.storage import Connection, Query
from signalpost.storage.tables import api_keys as k
from signalpost.timeutil import now_us

__all__ = ["KeyInfo", "list_keys", "revoke_key"]

_LIST = Query(
    select(k.c.id, k.c.profile_id, k.c.name, k.c.prefix, k.c.created_at, k.c.revoked_at)
    .where(k.c.organization_id == bindparam("org"))
    .order_by(k.c.created_at.desc())
)
_REVOKE = Query(
    update(k)
    .where(k.c.organization_id == bindparam("org"), k.c.id == bindparam("kid"))
    .where(k.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    id: str
    profile_id: str | None
    name: str | None
    prefix: str
    created_at: int
    revoked_at: int | None


async def list_keys(conn: Connection, organization_id: str) -> list[KeyInfo]:
    """Every key of the organization and its profiles, newest first (revoked ones too)."""
    return [KeyInfo(*row) for row in await conn.fetch(_LIST, {"org": organization_id})]


async def revoke_key(conn: Connection, organization_id: str, key_id: str) -> None:
    """Revoke a key of the organization; a key already revoked stays as it was."""
    changed = await conn.execute(_REVOKE, {"org": organization_id, "kid": key_id, "now": now_us()})
    if not changed and key_id not in {key.id for key in await list_keys(conn, organization_id)}:
        raise NotFound("No such key in this organization")
