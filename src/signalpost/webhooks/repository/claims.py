"""SQL of claiming due webhook events: a lease on each, a fair part per endpoint, and
the outcome written back by the lease holder."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import all_, bindparam, exists, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ColumnElement, Select

from signalpost.storage import Connection, Query, Row, in_list
from signalpost.storage.tables import webhook_endpoints as ep
from signalpost.storage.tables import webhook_events as ev

__all__ = ["any_due", "claim", "fair_cap", "finish_events"]


def _not_in(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column NOT IN (<list parameter>)``; one statement text whatever the list's length."""
    if dialect == "postgresql":
        return column != all_(bindparam(name, type_=ARRAY(column.type)))
    values: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(name))
    )
    return column.not_in(values.scalar_subquery())


_ANY_DUE = Query(select(ev.c.id).where(ev.c.due_at <= bindparam("now")).limit(1))
_CLAIMED_COLUMNS = (
    ev.c.id,
    ev.c.endpoint_id,
    ev.c.tenant_id,
    ev.c.event_type,
    ev.c.payload,
    ev.c.attempts,
    ev.c.created_at,
    ev.c.request_id,
)


# Claims look at a bounded window of the earliest due events, then, when the window is
# full, at endpoints whose due events all lie beyond it (behind another endpoint's
# backlog), one indexed probe each: the cost never grows with a backlog.
_DUE_WINDOW = Query(
    select(ev.c.id, ev.c.endpoint_id)
    .where(ev.c.due_at <= bindparam("now"))
    .order_by(ev.c.due_at)
    .limit(bindparam("scan"))
)
_HIDDEN_ENDPOINTS = Query(
    lambda d: (
        select(ep.c.id)
        .where(
            _not_in(ep.c.id, "skip", d),
            exists().where(ev.c.endpoint_id == ep.c.id, ev.c.due_at <= bindparam("now")),
        )
        .limit(bindparam("limit"))
    )
)
_DUE_OF_ENDPOINT = Query(
    select(ev.c.id)
    .where(ev.c.endpoint_id == bindparam("endpoint"), ev.c.due_at <= bindparam("now"))
    .order_by(ev.c.due_at)
    .limit(bindparam("count"))
)


def _lease(dialect: str) -> Any:
    # Only rows still due are leased: another claimer may have taken some meanwhile.
    lockable = select(ev.c.id).where(
        in_list(ev.c.id, "ids", dialect), ev.c.due_at <= bindparam("now")
    )
    if dialect == "postgresql":
        lockable = lockable.with_for_update(skip_locked=True)
    return (
        update(ev)
        .where(ev.c.id.in_(lockable.scalar_subquery()))
        .values(due_at=bindparam("lease_until"), leased_by=bindparam("token"))
        .returning(*_CLAIMED_COLUMNS)
    )


_LEASE = Query(_lease)
_FINISH = Query(
    update(ev)
    .where(ev.c.id == bindparam("b_id"), ev.c.leased_by == bindparam("b_token"))
    .values(
        status=bindparam("b_status"),
        attempts=bindparam("b_attempts"),
        due_at=bindparam("b_due_at"),
        leased_by=None,
        finished_at=bindparam("b_finished_at"),
        last_status_code=bindparam("b_status_code"),
        last_error=bindparam("b_error"),
    )
)


async def any_due(conn: Connection, now: int) -> bool:
    """Whether any event is due (a cheap read before taking a write lock to claim)."""
    return await conn.fetchrow(_ANY_DUE, {"now": now}) is not None


async def claim(
    conn: Connection,
    *,
    now: int,
    lease_until: int,
    token: str,
    limit: int,
    per_endpoint: int,
    busy: Sequence[str] = (),
    held: Mapping[str, int] | None = None,
    share: int | None = None,
) -> list[Row]:
    """Lease up to ``limit`` due events, earliest due first.

    An endpoint gets at most ``per_endpoint`` events counting the ``held`` ones (claimed
    earlier by this process and still in flight), and none if it is ``busy``.  With
    ``share`` (the process's concurrency), an endpoint's count is also held to its fair
    part of it, ``share // (endpoints + 1)`` with at least one, counting the endpoints in
    flight and those in this claim, and the last of the ``limit`` slots goes only to an
    endpoint with nothing in flight: endpoints whose receivers hang cannot take every
    slot, and another endpoint's events still go out at once.

    Within a window of ``10 * limit`` due events; when that window is full, endpoints
    with nothing in it get their share too, so one endpoint's backlog neither delays the
    others nor makes a claim walk through it.  Claimed events stay invisible until
    ``lease_until``; a claimer that dies lets the lease run out and the events are claimed
    again (at-least-once).  PostgreSQL claimers skip each other's rows (``FOR UPDATE SKIP
    LOCKED``); SQLite's write lock makes the claimer single.
    """
    scan = limit * 10
    window = await conn.fetch(_DUE_WINDOW, {"now": now, "scan": scan})
    taken = dict(held or {})
    cap = fair_cap(per_endpoint, share, {*taken, *(row[1] for row in window)})
    skip = set(busy) | {e for e, n in taken.items() if n >= cap}
    picked = _pick(window, skip, taken, cap, limit)
    if len(window) >= scan and len(picked) < limit:
        seen = skip | {row[1] for row in window}
        hidden = await conn.fetch(
            _HIDDEN_ENDPOINTS, {"now": now, "skip": list(seen), "limit": limit - len(picked)}
        )
        for (endpoint_id,) in hidden:
            if len(picked) >= limit:
                break
            holding = taken.get(endpoint_id, 0)
            room = limit - len(picked) - (1 if holding else 0)
            count = min(cap - holding, room)
            if count <= 0:
                continue
            rows = await conn.fetch(
                _DUE_OF_ENDPOINT, {"endpoint": endpoint_id, "now": now, "count": count}
            )
            picked.extend(row[0] for row in rows)
    if not picked:
        return []
    params = {"ids": picked, "now": now, "lease_until": lease_until, "token": token}
    return await conn.fetch(_LEASE, params)


def fair_cap(per_endpoint: int, share: int | None, endpoints: Iterable[str]) -> int:
    """Events one endpoint may hold: ``per_endpoint``, or less for a fair part of
    ``share`` among ``endpoints`` and one more not yet seen."""
    if share is None:
        return per_endpoint
    return max(1, min(per_endpoint, share // (len(set(endpoints)) + 1)))


def _pick(
    window: Sequence[Row], skip: set[str], taken: dict[str, int], cap: int, limit: int
) -> list[str]:
    picked: list[str] = []
    for event_id, endpoint_id in window:
        if len(picked) >= limit:
            break
        count = taken.get(endpoint_id, 0)
        if endpoint_id in skip or count >= cap:
            continue
        if count and len(picked) >= limit - 1:
            continue  # the last free slot is for an endpoint with nothing in flight
        taken[endpoint_id] = count + 1
        picked.append(event_id)
    return picked


async def finish_events(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Record outcomes: ``id, token, status, attempts, due_at, finished_at, status_code,
    error``.  An event whose lease was taken over meanwhile is left to its new claimer."""
    await conn.executemany(_FINISH, ({f"b_{k}": v for k, v in r.items()} for r in rows))
