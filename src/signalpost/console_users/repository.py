"""SQL of console users and sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import console_sessions as cs
from signalpost.storage.tables import console_users as cu

__all__ = [
    "delete_session",
    "get_session",
    "get_user_by_email",
    "insert_session",
    "insert_user",
    "record_failure",
    "record_success",
]

_INSERT_USER = Query(insert(cu))
_BY_EMAIL = Query(select(cu).where(cu.c.email == bindparam("email")))
_FAILED = Query(
    update(cu)
    .where(cu.c.id == bindparam("uid"))
    .values(failed_logins=bindparam("failed"), locked_until=bindparam("locked_until"))
)
_SUCCEEDED = Query(
    update(cu)
    .where(cu.c.id == bindparam("uid"))
    .values(failed_logins=0, locked_until=None, last_login_at=bindparam("now"))
)
_INSERT_SESSION = Query(insert(cs))
_SESSION = Query(
    select(cs, cu.c.email)
    .join(cu, cu.c.id == cs.c.user_id)
    .where(cs.c.id == bindparam("sid"), cs.c.expires_at > bindparam("now"))
)
_DELETE_SESSION = Query(delete(cs).where(cs.c.id == bindparam("sid")))


async def insert_user(conn: Connection, row: dict[str, Any]) -> None:
    await conn.execute(_INSERT_USER, row)


async def get_user_by_email(conn: Connection, email: str) -> Row | None:
    return await conn.fetchrow(_BY_EMAIL, {"email": email})


async def record_failure(
    conn: Connection, user_id: str, failed: int, locked_until: int | None
) -> None:
    await conn.execute(_FAILED, {"uid": user_id, "failed": failed, "locked_until": locked_until})


async def record_success(conn: Connection, user_id: str, now: int) -> None:
    await conn.execute(_SUCCEEDED, {"uid": user_id, "now": now})


async def insert_session(conn: Connection, row: dict[str, Any]) -> None:
    await conn.execute(_INSERT_SESSION, row)


async def get_session(conn: Connection, session_id: str, now: int) -> Row | None:
    return await conn.fetchrow(_SESSION, {"sid": session_id, "now": now})


async def delete_session(conn: Connection, session_id: str) -> None:
    await conn.execute(_DELETE_SESSION, {"sid": session_id})
