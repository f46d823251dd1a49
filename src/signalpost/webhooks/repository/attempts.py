"""SQL of webhook delivery attempts, one row per request made."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import bindparam, exists, insert, select

from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import webhook_attempts as at
from signalpost.storage.tables import webhook_events as ev

__all__ = ["attempts_for_event", "insert_attempts", "list_attempts"]


_ATTEMPT_FIELDS = [c.name for c in at.c if c.name != "id"]
# An attempt is kept only while its event exists: an endpoint deleted while the attempt
# was in flight took its events with it, and the attempt must not outlive them.
_INSERT_ATTEMPTS = Query(
    insert(at).from_select(
        _ATTEMPT_FIELDS,
        select(*(bindparam(name, type_=at.c[name].type) for name in _ATTEMPT_FIELDS)).where(
            exists().where(ev.c.id == bindparam("event_id"))
        ),
    )
)
_ATTEMPT_COLUMNS = (*at.c, ev.c.event_type, ev.c.message_id)
_ATTEMPTS_FOR_EVENT = Query(
    select(*_ATTEMPT_COLUMNS)
    .select_from(at.join(ev, ev.c.id == at.c.event_id))
    .where(at.c.event_id == bindparam("id"))
    .order_by(at.c.id)
)


def _list_attempts(tail: bool, with_endpoint: bool) -> Query:
    stmt = (
        select(*_ATTEMPT_COLUMNS)
        .select_from(at.join(ev, ev.c.id == at.c.event_id))
        .where(at.c.tenant_id == bindparam("tenant"))
    )
    if with_endpoint:
        stmt = stmt.where(at.c.endpoint_id == bindparam("endpoint"))
    if tail:
        stmt = stmt.where(at.c.id > bindparam("after")).order_by(at.c.id)
    else:
        stmt = stmt.where(at.c.id < bindparam("before")).order_by(at.c.id.desc())
    return Query(stmt.limit(bindparam("limit")))


_LIST_ATTEMPTS = {(t, e): _list_attempts(t, e) for t in (False, True) for e in (False, True)}


async def insert_attempts(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    await conn.executemany(_INSERT_ATTEMPTS, rows)


async def attempts_for_event(conn: Connection, event_id: str) -> list[Row]:
    return await conn.fetch(_ATTEMPTS_FOR_EVENT, {"id": event_id})


async def list_attempts(
    conn: Connection,
    tenant_id: str,
    *,
    endpoint_id: str | None,
    after: int | None,
    before: int | None,
    limit: int,
) -> list[Row]:
    """A tenant's attempts: oldest first above ``after`` (a live tail), else newest first."""
    params: dict[str, Any] = {"tenant": tenant_id, "limit": limit}
    if endpoint_id is not None:
        params["endpoint"] = endpoint_id
    tail = after is not None
    if tail:
        params["after"] = after
    else:
        params["before"] = before if before is not None else 2**62
    return await conn.fetch(_LIST_ATTEMPTS[(tail, endpoint_id is not None)], params)
