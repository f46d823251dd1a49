"""Reading activities."""

from __future__ import annotations

from signalpost.accounts.schemas import Scope
from signalpost.activities import repository as repo
from signalpost.activities.schemas import ActivityFilter, ActivityWithMessage
from signalpost.storage import Connection

__all__ = ["cursor_of", "search"]


async def search(
    conn: Connection,
    scope: Scope,
    flt: ActivityFilter,
    *,
    limit: int,
    before: tuple[int, int] | None = None,
    after_id: int | None = None,
    offset: int = 0,
) -> list[ActivityWithMessage]:
    return await repo.search(
        conn, scope.tenant_id, flt, limit=limit, before=before, after_id=after_id, offset=offset
    )


async def cursor_of(conn: Connection, scope: Scope, activity_id: int) -> tuple[int, int] | None:
    """The listing position of one of the tenant's activities (None if there is none)."""
    return await repo.cursor_of(conn, scope.tenant_id, activity_id)
