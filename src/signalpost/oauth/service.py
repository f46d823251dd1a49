"""Create OAuth clients, issue access tokens for client credentials, resolve bearer tokens.

A client belongs to an organization, optionally pinned to one of its profiles.  A token
acts for one tenant: the client's profile, or for an organization client the organization
itself or (with ``account_id``) one of its profiles.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import time

from signalpost.accounts import repository as accounts_repo
from signalpost.accounts.exceptions import OrganizationNotFound
from signalpost.accounts.schemas import Scope
from signalpost.accounts.service import get_profile
from signalpost.errors import NotFound
from signalpost.oauth import repository as repo
from signalpost.oauth.exceptions import (
    AccountNotAllowed,
    InvalidClient,
    InvalidToken,
    MissingToken,
)
from signalpost.oauth.schemas import ClientCreated, IssuedToken, TokenGrant
from signalpost.storage import Connection, Database, Row
from signalpost.timeutil import new_id, now_us

__all__ = ["TokenAuthenticator", "create_client", "hash_secret", "issue_token"]

_CLIENT_ALPHABET = string.ascii_lowercase + string.digits
CLIENT_ID_LENGTH = 24
MAX_TOKEN_LENGTH = 512


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _client_id() -> str:
    return "".join(secrets.choice(_CLIENT_ALPHABET) for _ in range(CLIENT_ID_LENGTH))


async def create_client(
    conn: Connection, organization_id: str, profile_id: str | None = None, name: str | None = None
) -> ClientCreated:
    """A new client of an organization (or of one of its profiles)."""
    if await accounts_repo.get_organization(conn, organization_id) is None:
        raise OrganizationNotFound()
    if profile_id is not None:
        await get_profile(conn, organization_id, profile_id)
    created = ClientCreated(
        id=new_id(),
        client_id=_client_id(),
        client_secret=secrets.token_urlsafe(32),
        organization_id=organization_id,
        profile_id=profile_id,
    )
    await repo.insert_client(
        conn,
        id=created.id,
        client_id=created.client_id,
        secret_hash=hash_secret(created.client_secret),
        organization_id=organization_id,
        profile_id=profile_id,
        name=name,
        created_at=now_us(),
    )
    return created


async def _tenant(conn: Connection, client: Row, account_id: str | None) -> Scope:
    org, pinned = client["organization_id"], client["profile_id"]
    if account_id in (None, "", pinned) or (pinned is None and account_id == org):
        return Scope(org, pinned)
    if pinned is not None:
        raise AccountNotAllowed("This client may only act for its own profile")
    try:
        await get_profile(conn, org, str(account_id))
    except NotFound as exc:
        raise AccountNotAllowed(
            "The account does not belong to this client's organization"
        ) from exc
    return Scope(org, str(account_id))


async def issue_token(
    conn: Connection, grant: TokenGrant, *, lifetime_seconds: int, now: int | None = None
) -> IssuedToken:
    """Check the client's credentials and store a new token for the tenant it asks for."""
    now = now or now_us()
    client = await repo.find_client(conn, grant.client_id) if grant.client_id else None
    if client is None or not hmac.compare_digest(
        client["secret_hash"], hash_secret(grant.client_secret)
    ):
        raise InvalidClient()
    scope = await _tenant(conn, client, grant.account_id)
    raw = secrets.token_urlsafe(48)
    expires_at = now + lifetime_seconds * 1_000_000
    await repo.delete_expired(conn, client["id"], now)
    await repo.insert_token(
        conn,
        token_hash=hash_secret(raw),
        client_id=client["id"],
        organization_id=scope.organization_id,
        profile_id=scope.profile_id,
        scope=grant.scope,
        created_at=now,
        expires_at=expires_at,
    )
    return IssuedToken(raw, scope, grant.scope, expires_at)


class TokenAuthenticator:
    """Resolves bearer tokens to the tenant they act for, with a short in-process cache.

    Unknown tokens are cached too, so a flood of bad tokens does not become a flood of
    queries; expiry is checked on every call against the token's own deadline.
    """

    def __init__(self, db: Database, *, ttl: float = 30.0, max_entries: int = 50_000) -> None:
        self._db = db
        self._ttl = ttl
        self._max = max_entries
        self._cache: dict[str, tuple[float, Scope | None, int]] = {}

    async def scope(self, raw_token: str | None) -> Scope:
        if not raw_token:
            raise MissingToken()
        if len(raw_token) > MAX_TOKEN_LENGTH:
            raise InvalidToken()
        digest = hash_secret(raw_token)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is None or hit[0] < now:
            async with self._db.reader() as conn:
                row = await repo.find_token(conn, digest)
            found = Scope(row[0], row[1]) if row is not None else None
            if len(self._cache) >= self._max:
                self._cache.clear()
            hit = (now + self._ttl, found, row[2] if row is not None else 0)
            self._cache[digest] = hit
        if hit[1] is None or hit[2] <= now_us():
            raise InvalidToken()
        return hit[1]
