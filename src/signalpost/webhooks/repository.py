"""SQL of webhook endpoints, events (the outbox, one row per endpoint and event) and attempts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    all_,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
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
from signalpost.webhooks.schemas import DisableRule

__all__ = [
    "any_due",
    "attempts_for_event",
    "claim",
    "delete_endpoint",
    "delete_events",
    "disable_failing",
    "endpoints_by_ids",
    "expire_paused",
    "fail_waiting_events",
    "fair_cap",
    "finish_events",
    "for_tenants",
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
    "pause_events",
    "prune",
    "resume_enabled",
    "resume_events",
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


def _status_in(*names: str) -> ColumnElement[bool]:
    """``status IN ('a', 'b')`` with the names as literals (statements are compiled once)."""
    return or_(*(ev.c.status == literal_column(f"'{name}'") for name in names))


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
    "failed_events",
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
_FOR_TENANTS = Query(
    lambda d: select(
        ep.c.id,
        ep.c.tenant_id,
        ep.c.organization_id,
        ep.c.dialect,
        ep.c.url,
        ep.c.event_types,
        ep.c.attributes,
        ep.c.enabled,
    ).where(in_list(ep.c.tenant_id, "tenants", d))
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
    """Remove an endpoint with its events and attempts; returns 0 if it was not there.

    Events go first: a recorder finishing one of them holds its row until it commits, so
    its attempts are committed (and deleted next) or never written; both take rows in the
    order events, attempts, endpoint, and cannot deadlock.
    """
    if await get_endpoint(conn, tenant_id, endpoint_id) is None:
        return 0
    await conn.execute(_DELETE_EVENTS_OF, {"id": endpoint_id})
    await conn.execute(_DELETE_ATTEMPTS_OF, {"id": endpoint_id})
    return await conn.execute(_DELETE_ENDPOINT, {"tenant": tenant_id, "id": endpoint_id})


async def for_tenants(conn: Connection, tenant_ids: Sequence[str]) -> list[Row]:
    """The endpoints of these tenants, enabled or not (what the outbox needs of each)."""
    return await conn.fetch(_FOR_TENANTS, {"tenants": list(tenant_ids)})


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
_DELETE_EVENTS = Query(lambda d: delete(ev).where(in_list(ev.c.id, "ids", d)))
# Re-checked at delete time: an event retried meanwhile is no longer finished.
_DELETE_FINISHED = Query(
    lambda d: (
        delete(ev)
        .where(
            in_list(ev.c.id, "ids", d),
            ev.c.finished_at < bindparam("before"),
            _status_in("delivered", "failed"),
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


# --------------------------------------------------------------------------- paused events

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
        _status_in("pending", "paused"),
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


# --------------------------------------------------------------------------- pruning

_FINISHED_BEFORE = Query(
    select(ev.c.id)
    .where(
        ev.c.finished_at < bindparam("before"),
        _status_in("delivered", "failed"),
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


# --------------------------------------------------------------------------- attempts

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


# --------------------------------------------------------------------------- endpoint health

_NOTE_SUCCESS = Query(
    update(ep)
    .where(ep.c.id == bindparam("b_id"))
    .values(
        consecutive_failures=bindparam("b_failures"),
        failed_events=bindparam("b_failed_events"),
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
        failed_events=ep.c.failed_events + bindparam("b_failed_events"),
        failing_since=func.coalesce(ep.c.failing_since, bindparam("b_failing_since")),
        last_attempt_at=bindparam("b_last_attempt_at"),
    )
)


def _disable(by_failed_events: bool) -> Query:
    if by_failed_events:
        failing = ep.c.failed_events >= bindparam("failed_events")
    else:
        failing = and_(
            ep.c.failing_since <= bindparam("cutoff"),
            ep.c.consecutive_failures >= bindparam("min_failures"),
        )
    return Query(
        update(ep)
        .where(ep.c.id == bindparam("id"), ep.c.enabled == true(), failing)
        .values(
            enabled=False,
            disabled_reason=bindparam("reason"),
            disabled_at=bindparam("now"),
            updated_at=bindparam("now"),
        )
        .returning(ep.c.id, ep.c.tenant_id, ep.c.consecutive_failures, ep.c.failing_since)
    )


_DISABLE = {flag: _disable(flag) for flag in (False, True)}


async def note_successes(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Endpoints that succeeded: ``id, failures`` (after the last success), ``failing_since``,
    ``last_attempt_at``, ``last_success_at``."""
    await conn.executemany(_NOTE_SUCCESS, ({f"b_{k}": v for k, v in r.items()} for r in rows))


async def note_failures(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Endpoints that only failed: ``id, failures`` (added), ``failing_since``,
    ``last_attempt_at``."""
    await conn.executemany(_NOTE_FAILURES, ({f"b_{k}": v for k, v in r.items()} for r in rows))


async def disable_failing(
    conn: Connection, endpoint_id: str, rule: DisableRule, *, reason: str, now: int
) -> Row | None:
    """Disable the endpoint if it meets ``rule``; returns it when it was disabled."""
    params: dict[str, Any] = {"id": endpoint_id, "reason": reason, "now": now}
    if rule.failed_events is not None:
        params["failed_events"] = rule.failed_events
        return await conn.fetchrow(_DISABLE[True], params)
    if rule.failing_for_seconds is None:
        return None
    params["cutoff"] = now - int(rule.failing_for_seconds * 1_000_000)
    params["min_failures"] = rule.min_failed_attempts
    return await conn.fetchrow(_DISABLE[False], params)
