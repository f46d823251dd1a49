"""Reading activities."""

from __future__ import annotations

from signalpost.accounts.schemas import Scope
from signalpost.activities import repository as repo
from signalpost.activities.schemas import ActivityFilter, ActivityWithMessage
from signalpost.storage import Connection

__all__ = ["count", "search"]


async def search(
    conn: Connection,
    scope: Scope,
    flt: ActivityFilter,
    *,
    limit: int,
    before_id: int | None = None,
    after_id: int | None = None,
    offset: int = 0,
) -> list[ActivityWithMessage]:
    return await repo.search(
        conn,
        scope.tenant_id,
        flt,
        limit=limit,
        before_id=before_id,
        after_id=after_id,
        offset=offset,
    )


async def count(conn: Connection, scope: Scope, flt: ActivityFilter) -> int:
    return await repo.count(conn, scope.tenant_id, flt)
