"""The queries behind scrape-time gauges and readiness: small, indexed, read-only."""

from __future__ import annotations

from sqlalchemy import bindparam, column, func, select, table

from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import dispatch_queue, webhook_events

__all__ = ["due_messages", "schema_revision", "webhook_backlog"]

q = dispatch_queue
e = webhook_events

# Due now and not leased (a claimed row's due_at is its lease's end, a held row's far off).
_DUE = Query(select(func.count(), func.min(q.c.due_at)).where(q.c.due_at <= bindparam("now")))
_QUEUED = Query(select(func.count()).select_from(q))
# Events still to deliver, by endpoint (delivered and abandoned events have no due time).
_BACKLOG = Query(
    select(e.c.endpoint_id, func.count(), func.min(e.c.created_at))
    .where(e.c.due_at.is_not(None))
    .group_by(e.c.endpoint_id)
)


async def due_messages(conn: Connection, now: int) -> tuple[int, int, int | None]:
    """``(queued, due now, oldest due time)`` of the dispatch queue."""
    queued = int(await conn.fetchval(_QUEUED) or 0)
    row = await conn.fetchrow(_DUE, {"now": now})
    if row is None:
        return queued, 0, None
    return queued, int(row[0]), row[1]


async def webhook_backlog(conn: Connection) -> list[Row]:
    """``(endpoint_id, pending events, oldest pending event's creation)`` per endpoint."""
    return await conn.fetch(_BACKLOG)


_REVISION = Query(select(column("version_num")).select_from(table("alembic_version")))


async def schema_revision(conn: Connection) -> str | None:
    """The migration the database is at (``None`` before the first)."""
    value = await conn.fetchval(_REVISION)
    return None if value is None else str(value)
