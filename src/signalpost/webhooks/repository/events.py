"""SQL of webhook events (the outbox, one row per endpoint and event): written, read,
retried, deleted and pruned once finished."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, insert, literal_column, or_, select, tuple_, update
from sqlalchemy.sql import ColumnElement

from signalpost.storage import Connection, Query, Row, in_list
from signalpost.storage.tables import webhook_attempts as at
from signalpost.storage.tables import webhook_events as ev

__all__ = [
    "delete_events",
    "get_event",
    "insert_events",
    "list_events",
    "prune",
    "retry_event",
    "status_in",
]


def status_in(*names: str) -> ColumnElement[bool]:
    """``status IN ('a', 'b')`` with the names as literals (statements are compiled once)."""
    return or_(*(ev.c.status == literal_column(f"'{name}'") for name in names))


_INSERT_EVENTS = Query(insert(ev))
_DELETE_EVENTS = Query(lambda d: delete(ev).where(in_list(ev.c.id, "ids", d)))
# Re-checked at delete time: an event retried meanwhile is no longer finished.
_DELETE_FINISHED = Query(
    lambda d: (
        delete(ev)
        .where(
            in_list(ev.c.id, "ids", d),
            ev.c.finished_at < bindparam("before"),
            status_in("delivered", "failed"),
        )
        .returning(ev.c.id)
    )
)
_DELETE_ATTEMPTS_OF_EVENTS = Query(lambda d: delete(at).where(in_list(at.c.event_id, "ids", d)))
_GET_EVENT = Query(
    select(ev).where(ev.c.tenant_id == bindparam("tenant"), ev.c.id == bindparam("id"))
)
# Only an event that is neither delivered nor leased (in flight) is made due again: one
# statement, so a claim in another process either took it first or does not see it.
_RETRY = Query(
    update(ev)
    .where(
        ev.c.tenant_id == bindparam("tenant"),
        ev.c.id == bindparam("id"),
        ev.c.leased_by.is_(None),
        ev.c.status != literal_column("'delivered'"),
    )
    .values(status="pending", due_at=bindparam("now"), finished_at=None)
)


def _list_events(with_status: bool, with_cursor: bool) -> Query:
    stmt = select(ev).where(
        ev.c.tenant_id == bindparam("tenant"), ev.c.endpoint_id == bindparam("endpoint")
    )
    if with_status:
        stmt = stmt.where(ev.c.status == bindparam("status"))
    if with_cursor:
        key = tuple_(ev.c.created_at, ev.c.id)
        stmt = stmt.where(key < tuple_(bindparam("before_at"), bindparam("before_id")))
    stmt = stmt.order_by(ev.c.created_at.desc(), ev.c.id.desc()).limit(bindparam("limit"))
    return Query(stmt)


_LIST_EVENTS = {(s, c): _list_events(s, c) for s in (False, True) for c in (False, True)}


async def insert_events(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert event rows; ``request_id`` (for log correlation) may be left out."""
    await conn.executemany(_INSERT_EVENTS, ({"request_id": None, **r} for r in rows))


async def delete_events(conn: Connection, ids: Sequence[str]) -> None:
    """Remove events (of an endpoint deleted after they were written) and their attempts."""
    if ids:
        await conn.execute(_DELETE_ATTEMPTS_OF_EVENTS, {"ids": list(ids)})
        await conn.execute(_DELETE_EVENTS, {"ids": list(ids)})


async def get_event(conn: Connection, tenant_id: str, event_id: str) -> Row | None:
    return await conn.fetchrow(_GET_EVENT, {"tenant": tenant_id, "id": event_id})


async def list_events(
    conn: Connection,
    tenant_id: str,
    endpoint_id: str,
    *,
    status: str | None,
    before: tuple[int, str] | None,
    limit: int,
) -> list[Row]:
    """An endpoint's events, newest first (keyset pagination on ``created_at, id``)."""
    params: dict[str, Any] = {"tenant": tenant_id, "endpoint": endpoint_id, "limit": limit}
    if status is not None:
        params["status"] = status
    if before is not None:
        params["before_at"], params["before_id"] = before
    return await conn.fetch(_LIST_EVENTS[(status is not None, before is not None)], params)


async def retry_event(conn: Connection, tenant_id: str, event_id: str, now: int) -> int:
    """Make an event due at ``now``; 0 when it is delivered, leased (in flight) or gone."""
    return await conn.execute(_RETRY, {"tenant": tenant_id, "id": event_id, "now": now})


_FINISHED_BEFORE = Query(
    select(ev.c.id)
    .where(
        ev.c.finished_at < bindparam("before"),
        status_in("delivered", "failed"),
    )
    .order_by(ev.c.finished_at)
    .limit(bindparam("limit"))
)


async def prune(conn: Connection, *, before: int, limit: int) -> int:
    """Delete at most ``limit`` events delivered or given up before ``before``, with their
    attempts; returns how many events went."""
    rows = await conn.fetch(_FINISHED_BEFORE, {"before": before, "limit": limit})
    if not rows:
        return 0
    gone = await conn.fetch(_DELETE_FINISHED, {"ids": [r[0] for r in rows], "before": before})
    if gone:
        await conn.execute(_DELETE_ATTEMPTS_OF_EVENTS, {"ids": [r[0] for r in gone]})
    return len(gone)
