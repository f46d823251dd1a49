"""Organizations, profiles, API keys, and turning a presented key into a :class:`Scope`."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time

from signalpost.accounts import repository as repo
from signalpost.accounts.exceptions import (
    ApiKeyNotFound,
    InvalidApiKey,
    MissingApiKey,
    OrganizationNotFound,
    ProfileNotAllowed,
    ProfileNotFound,
)
from signalpost.accounts.schemas import (
    KEY_KINDS,
    ApiKey,
    ApiKeyCreated,
    Organization,
    Principal,
    Profile,
    Scope,
)
from signalpost.errors import ValidationFailed
from signalpost.storage import Connection, Database, Row
from signalpost.timeutil import new_id, now_us

__all__ = [
    "Authenticator",
    "create_api_key",
    "create_key",
    "create_organization",
    "create_profile",
    "get_organization",
    "get_profile",
    "hash_key",
    "list_keys",
    "list_organizations",
    "list_profiles",
    "revoke_key",
    "rotate_key",
]

log = logging.getLogger("signalpost.accounts")

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


async def list_organizations(conn: Connection) -> list[Organization]:
    rows = await repo.list_organizations(conn)
    return [Organization(r["id"], r["name"], r["created_at"]) for r in rows]


async def list_profiles(conn: Connection, organization_id: str) -> list[Profile]:
    rows = await repo.list_profiles(conn, organization_id)
    return [Profile(r["id"], r["organization_id"], r["name"], r["created_at"]) for r in rows]


MAX_GRACE_SECONDS = 30 * 24 * 3600
"""The longest a rotated key may keep working beside its successor."""


async def create_key(
    conn: Connection,
    organization_id: str,
    profile_id: str | None = None,
    name: str | None = None,
    *,
    kind: str = "live",
) -> ApiKeyCreated:
    """A new key for an organization, or for one of its profiles."""
    if kind not in KEY_KINDS:
        raise ValidationFailed(details={"kind": [f"must be one of {', '.join(KEY_KINDS)}"]})
    if await repo.get_organization(conn, organization_id) is None:
        raise OrganizationNotFound()
    if profile_id is not None:
        await get_profile(conn, organization_id, profile_id)
    return await _insert_key(conn, organization_id, profile_id, name, kind)


create_api_key = create_key
"""The name this function had first."""


async def _insert_key(
    conn: Connection, organization_id: str, profile_id: str | None, name: str | None, kind: str
) -> ApiKeyCreated:
    raw = KEY_PREFIX + ("test_" if kind == "test" else "") + secrets.token_urlsafe(32)
    key = ApiKeyCreated(
        id=new_id(),
        organization_id=organization_id,
        profile_id=profile_id,
        api_key=raw,
        prefix=raw[:12],
        kind=kind,
        name=name,
    )
    await repo.insert_key(
        conn,
        {
            "id": key.id,
            "organization_id": organization_id,
            "profile_id": profile_id,
            "name": name,
            "prefix": key.prefix,
            "key_hash": hash_key(raw),
            "created_at": now_us(),
            "revoked_at": None,
            "kind": kind,
            "expires_at": None,
            "replaced_by": None,
            "last_used_at": None,
        },
    )
    return key


def _key(row: Row) -> ApiKey:
    return ApiKey(*row)


async def list_keys(
    conn: Connection, organization_id: str, profile_id: str | None = None
) -> list[ApiKey]:
    """An organization's keys (its profiles' included), or only one profile's."""
    return [_key(r) for r in await repo.list_keys(conn, organization_id, profile_id)]


async def get_key(
    conn: Connection, organization_id: str, key_id: str, profile_id: str | None = None
) -> ApiKey:
    """A key of this organization (and of this profile, when one is given)."""
    row = await repo.get_key(conn, key_id)
    if row is None or row["organization_id"] != organization_id:
        raise ApiKeyNotFound()
    if profile_id is not None and row["profile_id"] != profile_id:
        raise ApiKeyNotFound()
    return _key(row)


async def revoke_key(
    conn: Connection, organization_id: str, key_id: str, profile_id: str | None = None
) -> ApiKey:
    """Revoke a key now. Every process refuses it within a second or two of the commit
    (they watch the keys' change counter); call :meth:`Authenticator.forget` in this one."""
    await get_key(conn, organization_id, key_id, profile_id)
    if await repo.revoke_key(conn, key_id, now_us()):
        await repo.bump_counter(conn, repo.KEYS_COUNTER)
    return await get_key(conn, organization_id, key_id, profile_id)


async def rotate_key(
    conn: Connection,
    organization_id: str,
    key_id: str,
    *,
    grace_seconds: int = 0,
    profile_id: str | None = None,
) -> ApiKeyCreated:
    """A new secret in place of a key's: the new key has the same scope, kind and name;
    the old one keeps working for ``grace_seconds`` (0: it stops now)."""
    if not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise ValidationFailed(
            details={"grace_seconds": [f"must be between 0 and {MAX_GRACE_SECONDS}"]}
        )
    old = await get_key(conn, organization_id, key_id, profile_id)
    now = now_us()
    if old.state(now) not in ("active", "expiring"):
        raise ApiKeyNotFound("The API key is revoked or expired")
    new = await _insert_key(conn, old.organization_id, old.profile_id, old.name, old.kind)
    expires_at = now + grace_seconds * 1_000_000
    if old.expires_at is not None:
        expires_at = min(expires_at, old.expires_at)
    await repo.set_key_expiry(conn, key_id, expires_at, new.id)
    await repo.bump_counter(conn, repo.KEYS_COUNTER)
    return new


class Authenticator:
    """Resolves API keys to principals, with an in-process cache.

    The cache is keyed by the presented key itself: a hit costs one dictionary read, not a
    SHA-256 (keys live only in this process's memory, as they do while a request is
    handled).  Unknown keys are cached too, so a flood of bad keys does not become a flood
    of queries.  Entries live ``ttl`` seconds, or until a rotated key's grace period ends.

    Revocations and rotations bump a change counter in the database; at most once every
    ``check_interval`` seconds a request reads it, and a change empties the cache.  So a
    revoked key is refused within about that interval by every process, for the price of
    one small read a second.  When keys were last used is remembered here and written
    every ``touch_interval`` seconds in one transaction, not once per request.
    """

    def __init__(
        self,
        db: Database,
        *,
        ttl: float = 30.0,
        max_entries: int = 50_000,
        check_interval: float = 1.0,
        touch_interval: float = 60.0,
    ) -> None:
        self._db = db
        self._ttl = ttl
        self._max = max_entries
        self._check_interval = check_interval
        self._touch_interval = touch_interval
        self._keys: dict[str, tuple[float, Principal | None]] = {}
        self._profiles: dict[str, tuple[float, str | None]] = {}
        self._used: dict[str, float] = {}  # key id -> monotonic time of its last use
        self._check_at = 0.0
        self._touch_at = time.monotonic() + touch_interval
        self._version: int | None = None
        self._flushing: asyncio.Task[None] | None = None

    async def principal(self, raw_key: str | None) -> Principal:
        if not raw_key:
            raise MissingApiKey()
        now = time.monotonic()
        if now >= self._check_at:
            await self._sync(now)
        hit = self._keys.get(raw_key)
        if hit is None or hit[0] < now:
            hit = await self._lookup(raw_key, now)
        found = hit[1]
        if found is None:
            raise InvalidApiKey()
        self._used[found.key_id] = now
        return found

    async def _lookup(self, raw_key: str, now: float) -> tuple[float, Principal | None]:
        async with self._db.reader() as conn:
            row = await repo.find_key(conn, hash_key(raw_key))
        until = now + self._ttl
        found: Principal | None = None
        if row is not None:
            found = Principal(row[0], row[1], row[2], row[3] == "test")
            if row[4] is not None:  # rotated: valid until its grace period ends
                left = (row[4] - now_us()) / 1_000_000
                found = found if left > 0 else None
                until = min(until, now + max(left, 0.0))
        if len(self._keys) >= self._max:
            self._keys.clear()
        hit = (until, found)
        self._keys[raw_key] = hit
        return hit

    async def _sync(self, now: float) -> None:
        """Empty the cache if keys were revoked or rotated since the last look; start
        writing when keys were last used when that is due."""
        self._check_at = now + self._check_interval  # first: one reader, not one per request
        try:
            async with self._db.reader() as conn:
                version = await repo.keys_version(conn)
        except Exception:
            log.warning("could not read the API keys' change counter", exc_info=True)
            return
        if version != self._version:
            if self._version is not None:
                self.forget()
            self._version = version
        if now >= self._touch_at and self._used and self._flushing is None:
            self._touch_at = now + self._touch_interval
            self._flushing = asyncio.get_running_loop().create_task(self._flush_in_background())

    async def _flush_in_background(self) -> None:
        try:
            await self.flush()
        except Exception:
            log.warning("could not record when API keys were last used", exc_info=True)
        finally:
            self._flushing = None

    async def flush(self) -> None:
        """Write when keys were last used (a later use is never overwritten by an older)."""
        if not self._used:
            return
        used, self._used = self._used, {}
        mono, wall = time.monotonic(), now_us()
        last = {key: wall - int((mono - at) * 1_000_000) for key, at in used.items()}
        async with self._db.transaction() as conn:
            await repo.touch_keys(conn, last)

    async def close(self) -> None:
        """Record the last uses before the process ends."""
        if self._flushing is not None:
            await self._flushing
        try:
            await self.flush()
        except Exception:
            log.warning("could not record when API keys were last used", exc_info=True)

    async def scope(self, principal: Principal, profile_id: str | None = None) -> Scope:
        """The tenant to act for; an organization key may name one of its own profiles."""
        if not profile_id or profile_id == principal.profile_id:
            return principal.home
        if not principal.is_organization_key:
            raise ProfileNotAllowed("Only organization keys may act for a profile")
        if await self._profile_org(profile_id) != principal.organization_id:
            raise ProfileNotAllowed("The profile does not belong to this organization")
        return Scope(principal.organization_id, profile_id, principal.test)

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
        """Drop every cached answer (after a revocation or rotation in this process)."""
        self._keys.clear()
        self._profiles.clear()
