"""SQL of webhook endpoints, events (the outbox, one row per endpoint and event) and attempts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    all_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal_column,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ColumnElement, Select

from signalpost.storage import Connection, Query, Row, in_list
from signalpost.storage.tables import webhook_attempts as at
from signalpost.storage.tables import webhook_endpoints as ep
from signalpost.storage.tables import webhook_events as ev

__all__ = [
    "any_due",
    "attempts_for_event",
    "claim",
    "delete_endpoint",
    "disable_failing",
    "enabled_for_tenants",
    "endpoints_by_ids",
    "finish_events",
    "get_endpoint",
    "get_event",
    "insert_attempts",
    "insert_endpoint",
    "insert_events",
    "list_attempts",
    "list_endpoints",
    "list_events",
    "note_failures",
    "note_successes",
    "retry_event",
    "rotate_secret",
    "update_endpoint",
]


def _not_in(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column NOT IN (<list parameter>)``; one statement text whatever the list's length."""
    if dialect == "postgresql":
        return column != all_(bindparam(name, type_=ARRAY(column.type)))
    values: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(name))
    )
    return column.not_in(values.scalar_subquery())


# --------------------------------------------------------------------------- endpoints

_INSERT_ENDPOINT = Query(insert(ep))
_GET_ENDPOINT = Query(
    select(ep).where(ep.c.tenant_id == bindparam("tenant"), ep.c.id == bindparam("id"))
)
_LIST_ENDPOINTS = Query(
    select(ep)
    .where(ep.c.tenant_id == bindparam("tenant"))
    .order_by(ep.c.created_at, ep.c.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_LIST_ENDPOINTS_OF_DIALECT = Query(
    select(ep)
    .where(ep.c.tenant_id == bindparam("tenant"), ep.c.dialect == bindparam("dialect"))
    .order_by(ep.c.created_at, ep.c.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_MUTABLE = (
    "url",
    "event_types",
    "description",
    "attributes",
    "enabled",
    "disabled_reason",
    "disabled_at",
    "consecutive_failures",
    "failing_since",
    "max_attempts",
    "timeout_seconds",
    "updated_at",
)
_UPDATE_ENDPOINT = Query(
    update(ep)
    .where(ep.c.tenant_id == bindparam("b_tenant"), ep.c.id == bindparam("b_id"))
    .values({name: bindparam(f"b_{name}") for name in _MUTABLE})
)
_ROTATE = Query(
    update(ep)
    .where(ep.c.tenant_id == bindparam("tenant"), ep.c.id == bindparam("id"))
    .values(
        secret=bindparam("secret"),
        previous_secret=bindparam("previous_secret"),
        previous_secret_expires_at=bindparam("previous_secret_expires_at"),
        updated_at=bindparam("updated_at"),
    )
)
_DELETE_ENDPOINT = Query(
    delete(ep).where(ep.c.tenant_id == bindparam("tenant"), ep.c.id == bindparam("id"))
)
_DELETE_EVENTS_OF = Query(delete(ev).where(ev.c.endpoint_id == bindparam("id")))
_DELETE_ATTEMPTS_OF = Query(delete(at).where(at.c.endpoint_id == bindparam("id")))
_ENABLED_FOR_TENANTS = Query(
    lambda d: select(
        ep.c.id,
        ep.c.tenant_id,
        ep.c.organization_id,
        ep.c.dialect,
        ep.c.url,
        ep.c.event_types,
        ep.c.attributes,
    ).where(in_list(ep.c.tenant_id, "tenants", d), ep.c.enabled == true())
)
_ENDPOINTS_BY_IDS = Query(lambda d: select(ep).where(in_list(ep.c.id, "ids", d)))


async def insert_endpoint(conn: Connection, row: Mapping[str, Any]) -> None:
    await conn.execute(_INSERT_ENDPOINT, row)


async def get_endpoint(conn: Connection, tenant_id: str, endpoint_id: str) -> Row | None:
    return await conn.fetchrow(_GET_ENDPOINT, {"tenant": tenant_id, "id": endpoint_id})


async def list_endpoints(
    conn: Connection, tenant_id: str, *, dialect: str | None, limit: int, offset: int
) -> list[Row]:
    params: dict[str, Any] = {"tenant": tenant_id, "limit": limit, "offset": offset}
    if dialect is None:
        return await conn.fetch(_LIST_ENDPOINTS, params)
    return await conn.fetch(_LIST_ENDPOINTS_OF_DIALECT, {**params, "dialect": dialect})


async def update_endpoint(conn: Connection, tenant_id: str, row: Mapping[str, Any]) -> int:
    """Write every mutable column of ``row`` (a full endpoint row)."""
    params = {f"b_{name}": row[name] for name in _MUTABLE}
    return await conn.execute(
        _UPDATE_ENDPOINT, {**params, "b_tenant": tenant_id, "b_id": row["id"]}
    )


async def rotate_secret(
    conn: Connection,
    tenant_id: str,
    endpoint_id: str,
    *,
    secret: str,
    previous: str | None,
    previous_expires_at: int | None,
    now: int,
) -> int:
    return await conn.execute(
        _ROTATE,
        {
            "tenant": tenant_id,
            "id": endpoint_id,
            "secret": secret,
            "previous_secret": previous,
            "previous_secret_expires_at": previous_expires_at,
            "updated_at": now,
        },
    )


async def delete_endpoint(conn: Connection, tenant_id: str, endpoint_id: str) -> int:
    """Remove an endpoint with its events and attempts; returns 0 if it was not there."""
    removed = await conn.execute(_DELETE_ENDPOINT, {"tenant": tenant_id, "id": endpoint_id})
    if removed:
        await conn.execute(_DELETE_ATTEMPTS_OF, {"id": endpoint_id})
        await conn.execute(_DELETE_EVENTS_OF, {"id": endpoint_id})
    return removed


async def enabled_for_tenants(conn: Connection, tenant_ids: Sequence[str]) -> list[Row]:
    """The enabled endpoints of these tenants (what the outbox needs of each)."""
    return await conn.fetch(_ENABLED_FOR_TENANTS, {"tenants": list(tenant_ids)})


async def endpoints_by_ids(conn: Connection, ids: Sequence[str]) -> dict[str, Row]:
    rows = await conn.fetch(_ENDPOINTS_BY_IDS, {"ids": list(ids)})
    return {r["id"]: r for r in rows}


# --------------------------------------------------------------------------- events

_INSERT_EVENTS = Query(insert(ev))
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
_GET_EVENT = Query(
    select(ev).where(ev.c.tenant_id == bindparam("tenant"), ev.c.id == bindparam("id"))
)
_RETRY = Query(
    update(ev)
    .where(ev.c.tenant_id == bindparam("tenant"), ev.c.id == bindparam("id"))
    .values(status="pending", due_at=bindparam("now"), leased_by=None, finished_at=None)
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
    busy: Sequence[str],
) -> list[Row]:
    """Lease up to ``limit`` due events, at most ``per_endpoint`` per endpoint, none of the
    ``busy`` endpoints (saturated in the claiming process).

    Earliest due first, within a window of ``10 * limit`` due events; when that window is
    full, endpoints with nothing in it get their share too, so one endpoint's backlog
    neither delays the others nor makes a claim walk through it.  Claimed events stay
    invisible until ``lease_until``; a claimer that dies lets the lease run out and the
    events are claimed again (at-least-once).  PostgreSQL claimers skip each other's rows
    (``FOR UPDATE SKIP LOCKED``); SQLite's write lock makes the claimer single.
    """
    scan = limit * 10
    window = await conn.fetch(_DUE_WINDOW, {"now": now, "scan": scan})
    skip = set(busy)
    taken: dict[str, int] = {}
    picked: list[str] = []
    for event_id, endpoint_id in window:
        if len(picked) >= limit:
            break
        count = taken.get(endpoint_id, 0)
        if endpoint_id not in skip and count < per_endpoint:
            taken[endpoint_id] = count + 1
            picked.append(event_id)
    if len(window) >= scan and len(picked) < limit:
        seen = skip | {row[1] for row in window}
        hidden = await conn.fetch(
            _HIDDEN_ENDPOINTS, {"now": now, "skip": list(seen), "limit": limit - len(picked)}
        )
        for (endpoint_id,) in hidden:
            count = min(per_endpoint, limit - len(picked))
            if count <= 0:
                break
            rows = await conn.fetch(
                _DUE_OF_ENDPOINT, {"endpoint": endpoint_id, "now": now, "count": count}
            )
            picked.extend(row[0] for row in rows)
    if not picked:
        return []
    params = {"ids": picked, "now": now, "lease_until": lease_until, "token": token}
    return await conn.fetch(_LEASE, params)


async def finish_events(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Record outcomes: ``id, token, status, attempts, due_at, finished_at, status_code,
    error``.  An event whose lease was taken over meanwhile is left to its new claimer."""
    await conn.executemany(_FINISH, ({f"b_{k}": v for k, v in r.items()} for r in rows))


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
    return await conn.execute(_RETRY, {"tenant": tenant_id, "id": event_id, "now": now})


# --------------------------------------------------------------------------- attempts

_INSERT_ATTEMPTS = Query(
    insert(at).values({c.name: bindparam(c.name) for c in at.c if c.name != "id"})
)
_ATTEMPTS_FOR_EVENT = Query(select(at).where(at.c.event_id == bindparam("id")).order_by(at.c.id))
_ATTEMPT_COLUMNS = (*at.c, ev.c.event_type, ev.c.message_id)


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


# --------------------------------------------------------------------------- endpoint health

_NOTE_SUCCESS = Query(
    update(ep)
    .where(ep.c.id == bindparam("b_id"))
    .values(
        consecutive_failures=bindparam("b_failures"),
        failing_since=bindparam("b_failing_since"),
        last_attempt_at=bindparam("b_last_attempt_at"),
        last_success_at=bindparam("b_last_success_at"),
    )
)
_NOTE_FAILURES = Query(
    update(ep)
    .where(ep.c.id == bindparam("b_id"))
    .values(
        consecutive_failures=ep.c.consecutive_failures + bindparam("b_failures"),
        failing_since=func.coalesce(ep.c.failing_since, bindparam("b_failing_since")),
        last_attempt_at=bindparam("b_last_attempt_at"),
    )
)
_DISABLE_FAILING = Query(
    update(ep)
    .where(
        ep.c.id == bindparam("id"),
        ep.c.enabled == true(),
        ep.c.failing_since <= bindparam("cutoff"),
        ep.c.consecutive_failures >= bindparam("min_failures"),
    )
    .values(
        enabled=False,
        disabled_reason=bindparam("reason"),
        disabled_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    .returning(ep.c.id, ep.c.tenant_id, ep.c.consecutive_failures, ep.c.failing_since)
)


async def note_successes(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Endpoints that succeeded: ``id, failures`` (after the last success), ``failing_since``,
    ``last_attempt_at``, ``last_success_at``."""
    await conn.executemany(_NOTE_SUCCESS, ({f"b_{k}": v for k, v in r.items()} for r in rows))


async def note_failures(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Endpoints that only failed: ``id, failures`` (added), ``failing_since``,
    ``last_attempt_at``."""
    await conn.executemany(_NOTE_FAILURES, ({f"b_{k}": v for k, v in r.items()} for r in rows))


async def disable_failing(
    conn: Connection, endpoint_id: str, *, cutoff: int, min_failures: int, reason: str, now: int
) -> Row | None:
    """Disable the endpoint if it has failed since ``cutoff`` at least ``min_failures``
    times in a row; returns it when it was disabled."""
    params = {
        "id": endpoint_id,
        "cutoff": cutoff,
        "min_failures": min_failures,
        "reason": reason,
        "now": now,
    }
    return await conn.fetchrow(_DISABLE_FAILING, params)
