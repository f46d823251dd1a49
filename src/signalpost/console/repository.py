"""Read-only queries the console's pages need beside the services' own."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select

from signalpost.storage import Connection, Query, Row
from signalpost.storage.tables import dispatch_queue as q
from signalpost.storage.tables import messages as m
from signalpost.storage.tables import submit_attempts as a
from signalpost.storage.tables import webhook_endpoints as we
from signalpost.storage.tables import webhook_events as ev

__all__ = ["attempts_for_message", "queue_depth", "webhook_events_for_message"]

_ATTEMPTS = Query(
    select(a).where(a.c.message_id == bindparam("mid")).order_by(a.c.attempt_no, a.c.created_at)
)
_EVENTS = Query(
    select(ev.c.id, ev.c.event_type, ev.c.status, ev.c.attempts, ev.c.created_at,
           ev.c.finished_at, ev.c.last_status_code, ev.c.last_error, we.c.url)
    .join(we, we.c.id == ev.c.endpoint_id)
    .where(ev.c.tenant_id == bindparam("tenant"), ev.c.message_id == bindparam("mid"))
    .order_by(ev.c.created_at)
)  # fmt: skip
_DEPTH = Query(
    select(func.count())
    .select_from(q.join(m, m.c.id == q.c.message_id))
    .where(m.c.organization_id == bindparam("org"))
)


async def attempts_for_message(conn: Connection, message_id: str) -> list[Row]:
    """Submit attempts of a message (the caller has checked the message is the tenant's)."""
    return await conn.fetch(_ATTEMPTS, {"mid": message_id})


async def webhook_events_for_message(
    conn: Connection, tenant_id: str, message_id: str
) -> list[Row]:
    return await conn.fetch(_EVENTS, {"tenant": tenant_id, "mid": message_id})


async def queue_depth(conn: Connection, organization_id: str) -> int:
    """The organization's messages waiting in the dispatch queue (other tenants' traffic on
    the shared carriers is not theirs to see)."""
    return int(await conn.fetchval(_DEPTH, {"org": organization_id}) or 0)
