"""Organizations, profiles, API keys, and turning a presented key into a :class:`Scope`."""

from __future__ import annotations

import hashlib
import secrets
import time

from signalpost.accounts import repository as repo
from signalpost.accounts.exceptions import (
    InvalidApiKey,
    MissingApiKey,
    OrganizationNotFound,
    ProfileNotAllowed,
    ProfileNotFound,
)
from signalpost.accounts.schemas import ApiKeyCreated, Organization, Principal, Profile, Scope
from signalpost.storage import Connection, Database
from signalpost.timeutil import new_id, now_us

__all__ = [
    "Authenticator",
    "create_api_key",
    "create_organization",
    "create_profile",
    "get_organization",
    "get_profile",
    "hash_key",
    "list_profiles",
]

KEY_PREFIX = "sp_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def create_organization(conn: Connection, name: str) -> Organization:
    org = Organization(id=new_id(), name=name, created_at=now_us())
    await repo.insert_organization(conn, id=org.id, name=org.name, created_at=org.created_at)
    return org


async def create_profile(conn: Connection, organization_id: str, name: str) -> Profile:
    if await repo.get_organization(conn, organization_id) is None:
        raise OrganizationNotFound()
    profile = Profile(id=new_id(), organization_id=organization_id, name=name, created_at=now_us())
    await repo.insert_profile(
        conn,
        id=profile.id,
        organization_id=organization_id,
        name=name,
        created_at=profile.created_at,
    )
    return profile


async def get_organization(conn: Connection, organization_id: str) -> Organization:
    row = await repo.get_organization(conn, organization_id)
    if row is None:
        raise OrganizationNotFound()
    return Organization(row["id"], row["name"], row["created_at"])


async def get_profile(conn: Connection, organization_id: str, profile_id: str) -> Profile:
    row = await repo.get_profile(conn, profile_id)
    if row is None or row["organization_id"] != organization_id:
        raise ProfileNotFound()
    return Profile(row["id"], row["organization_id"], row["name"], row["created_at"])


async def list_profiles(conn: Connection, organization_id: str) -> list[Profile]:
    rows = await repo.list_profiles(conn, organization_id)
    return [Profile(r["id"], r["organization_id"], r["name"], r["created_at"]) for r in rows]


async def create_api_key(
    conn: Connection, organization_id: str, profile_id: str | None = None, name: str | None = None
) -> ApiKeyCreated:
    """A new key for an organization, or for one of its profiles."""
    if await repo.get_organization(conn, organization_id) is None:
        raise OrganizationNotFound()
    if profile_id is not None:
        await get_profile(conn, organization_id, profile_id)
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKeyCreated(
        id=new_id(),
        organization_id=organization_id,
        profile_id=profile_id,
        api_key=raw,
        prefix=raw[:10],
    )
    await repo.insert_key(
        conn,
        id=key.id,
        organization_id=organization_id,
        profile_id=profile_id,
        name=name,
        prefix=key.prefix,
        key_hash=hash_key(raw),
        created_at=now_us(),
    )
    return key


class Authenticator:
    """Resolves API keys to principals, with a short in-process cache.

    A revoked key stops working within ``ttl`` seconds on every process.  Unknown keys are
    cached too, so a flood of bad keys does not become a flood of queries.  The cache is
    keyed by the presented key itself: a hit costs one dictionary read, not a SHA-256
    (keys live only in this process's memory, as they do while a request is handled).
    """

    def __init__(self, db: Database, *, ttl: float = 30.0, max_entries: int = 50_000) -> None:
        self._db = db
        self._ttl = ttl
        self._max = max_entries
        self._keys: dict[str, tuple[float, Principal | None]] = {}
        self._profiles: dict[str, tuple[float, str | None]] = {}

    async def principal(self, raw_key: str | None) -> Principal:
        if not raw_key:
            raise MissingApiKey()
        now = time.monotonic()
        hit = self._keys.get(raw_key)
        if hit is None or hit[0] < now:
            async with self._db.reader() as conn:
                row = await repo.find_key(conn, hash_key(raw_key))
            found = Principal(row[0], row[1], row[2]) if row is not None else None
            if len(self._keys) >= self._max:
                self._keys.clear()
            hit = (now + self._ttl, found)
            self._keys[raw_key] = hit
        if hit[1] is None:
            raise InvalidApiKey()
        return hit[1]

    async def scope(self, principal: Principal, profile_id: str | None = None) -> Scope:
        """The tenant to act for; an organization key may name one of its own profiles."""
        if not profile_id or profile_id == principal.profile_id:
            return principal.home
        if not principal.is_organization_key:
            raise ProfileNotAllowed("Only organization keys may act for a profile")
        if await self._profile_org(profile_id) != principal.organization_id:
            raise ProfileNotAllowed("The profile does not belong to this organization")
        return Scope(principal.organization_id, profile_id)

    async def _profile_org(self, profile_id: str) -> str | None:
        now = time.monotonic()
        hit = self._profiles.get(profile_id)
        if hit is None or hit[0] < now:
            async with self._db.reader() as conn:
                row = await repo.get_profile(conn, profile_id)
            if len(self._profiles) >= self._max:
                self._profiles.clear()
            hit = (now + self._ttl, row["organization_id"] if row is not None else None)
            self._profiles[profile_id] = hit
        return hit[1]

    def forget(self) -> None:
        self._keys.clear()
        self._profiles.clear()
