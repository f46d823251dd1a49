"""SQL of OAuth clients and access tokens."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, insert, select

from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import oauth_clients as c
from signalpost.storage.tables import oauth_tokens as t

__all__ = ["delete_expired", "find_client", "find_token", "insert_client", "insert_token"]

_INSERT_CLIENT = Query(insert(c))
_INSERT_TOKEN = Query(insert(t))
_FIND_CLIENT = Query(
    select(c).where(c.c.client_id == bindparam("client_id"), c.c.revoked_at.is_(None))
)
_FIND_TOKEN = Query(
    select(t.c.organization_id, t.c.profile_id, t.c.expires_at).where(
        t.c.token_hash == bindparam("hash")
    )
)
_DELETE_EXPIRED = Query(
    delete(t).where(t.c.client_id == bindparam("client"), t.c.expires_at < bindparam("now"))
)


async def insert_client(
    conn: Connection,
    *,
    id: str,
    client_id: str,
    secret_hash: str,
    organization_id: str,
    profile_id: str | None,
    name: str | None,
    created_at: int,
) -> None:
    await conn.execute(
        _INSERT_CLIENT,
        {
            "id": id,
            "client_id": client_id,
            "secret_hash": secret_hash,
            "organization_id": organization_id,
            "profile_id": profile_id,
            "name": name,
            "created_at": created_at,
            "revoked_at": None,
        },
    )


async def find_client(conn: Connection, client_id: str) -> Row | None:
    return await conn.fetchrow(_FIND_CLIENT, {"client_id": client_id})


async def insert_token(
    conn: Connection,
    *,
    token_hash: str,
    client_id: str,
    organization_id: str,
    profile_id: str | None,
    scope: str | None,
    created_at: int,
    expires_at: int,
) -> None:
    await conn.execute(
        _INSERT_TOKEN,
        {
            "token_hash": token_hash,
            "client_id": client_id,
            "organization_id": organization_id,
            "profile_id": profile_id,
            "scope": scope,
            "created_at": created_at,
            "expires_at": expires_at,
        },
    )


async def find_token(conn: Connection, token_hash: str) -> Row | None:
    return await conn.fetchrow(_FIND_TOKEN, {"hash": token_hash})


async def delete_expired(conn: Connection, client_row_id: str, now: int) -> int:
    """Drop a client's expired tokens (done at each issue, so the table stays small)."""
    return await conn.execute(_DELETE_EXPIRED, {"client": client_row_id, "now": now})
