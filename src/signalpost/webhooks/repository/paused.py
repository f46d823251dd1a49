"""SQL of webhook events held while their endpoint is disabled: paused, resumed, given up."""

from __future__ import annotations

from sqlalchemy import bindparam, literal_column, select, true, update

from signalpost.storage import Connection, Query, in_list
from signalpost.storage.tables import webhook_endpoints as ep
from signalpost.storage.tables import webhook_events as ev
from signalpost.webhooks.repository.events import status_in

__all__ = [
    "expire_paused",
    "fail_waiting_events",
    "pause_events",
    "resume_enabled",
    "resume_events",
]


_PAUSE = Query(
    update(ev)
    .where(
        ev.c.endpoint_id == bindparam("endpoint"),
        ev.c.status == literal_column("'pending'"),
        ev.c.leased_by.is_(None),
    )
    .values(status="paused", due_at=None)
)
_FAIL_WAITING = Query(
    update(ev)
    .where(
        ev.c.endpoint_id == bindparam("endpoint"),
        status_in("pending", "paused"),
        ev.c.leased_by.is_(None),
    )
    .values(
        status="failed", due_at=None, finished_at=bindparam("now"), last_error=bindparam("reason")
    )
)
_RESUME = Query(
    update(ev)
    .where(
        ev.c.endpoint_id == bindparam("endpoint"),
        ev.c.status == literal_column("'paused'"),
        ev.c.created_at >= bindparam("since"),
    )
    .values(status="pending", due_at=bindparam("now"))
)
_GIVE_UP_PAUSED = Query(
    update(ev)
    .where(
        ev.c.endpoint_id == bindparam("endpoint"),
        ev.c.status == literal_column("'paused'"),
        ev.c.created_at < bindparam("since"),
    )
    .values(status="failed", finished_at=bindparam("now"), last_error=bindparam("reason"))
)
_PAUSED_BEFORE = Query(
    select(ev.c.id)
    .where(ev.c.status == literal_column("'paused'"), ev.c.created_at < bindparam("since"))
    .limit(bindparam("limit"))
)
_GIVE_UP_EVENTS = Query(
    lambda d: (
        update(ev)
        .where(in_list(ev.c.id, "ids", d), ev.c.status == literal_column("'paused'"))
        .values(status="failed", finished_at=bindparam("now"), last_error=bindparam("reason"))
    )
)
# Events a process wrote paused from a stale view of an endpoint enabled meanwhile.
_RESUME_ENABLED = Query(
    update(ev)
    .where(
        ev.c.status == literal_column("'paused'"),
        ev.c.created_at >= bindparam("since"),
        ev.c.endpoint_id.in_(select(ep.c.id).where(ep.c.enabled == true()).scalar_subquery()),
    )
    .values(status="pending", due_at=bindparam("now"))
)
_STALE_PAUSE = "not delivered: its endpoint stayed disabled past the retry window"


async def pause_events(conn: Connection, endpoint_id: str) -> int:
    """Hold an endpoint's waiting events (not those in flight) while it is disabled."""
    return await conn.execute(_PAUSE, {"endpoint": endpoint_id})


async def fail_waiting_events(conn: Connection, endpoint_id: str, now: int, reason: str) -> int:
    """Give up an endpoint's waiting and paused events (not those in flight)."""
    params = {"endpoint": endpoint_id, "now": now, "reason": reason}
    return await conn.execute(_FAIL_WAITING, params)


async def resume_events(conn: Connection, endpoint_id: str, *, since: int, now: int) -> int:
    """An endpoint was enabled again: its paused events written at or after ``since`` are
    due at ``now``; older ones are given up.  Returns how many are due."""
    params = {"endpoint": endpoint_id, "since": since, "now": now}
    await conn.execute(_GIVE_UP_PAUSED, {**params, "reason": _STALE_PAUSE})
    return await conn.execute(_RESUME, params)


async def resume_enabled(conn: Connection, *, since: int, now: int) -> int:
    """Make due the paused events (written at or after ``since``) of enabled endpoints."""
    return await conn.execute(_RESUME_ENABLED, {"since": since, "now": now})


async def expire_paused(conn: Connection, *, since: int, now: int, limit: int) -> int:
    """Give up at most ``limit`` paused events written before ``since``."""
    rows = await conn.fetch(_PAUSED_BEFORE, {"since": since, "limit": limit})
    if not rows:
        return 0
    params = {"ids": [r[0] for r in rows], "now": now, "reason": _STALE_PAUSE}
    return await conn.execute(_GIVE_UP_EVENTS, params)
