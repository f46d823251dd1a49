"""SQL of messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter, itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    Select,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from signalpost.activities.schemas import Activity
from signalpost.domain.lifecycle import CHANNELS, Status
from signalpost.messages.schemas import Message, MessageFilter
from signalpost.storage import Connection, Query, Row, in_list
from signalpost.storage.listing import Shape, StatementCache, newest_first, older_than
from signalpost.storage.tables import activities as a
from signalpost.storage.tables import messages as m

__all__ = [
    "COLUMNS",
    "batch_page",
    "by_batch",
    "find_by_carrier_ids",
    "find_by_keys",
    "get",
    "get_many",
    "get_version",
    "get_with_events",
    "in_batches",
    "insert_many",
    "lock_many",
    "lock_messages",
    "search",
    "search_statement",
    "sent_past_expiry",
    "to_message",
    "update_states",
    "version_of",
]

_INSERT = Query(insert(m))
_GET = Query(select(m).where(m.c.id == bindparam("id"), m.c.tenant_id == bindparam("tenant")))
# Every activity column but the message id, which the message row already carries.
_EVENT_COLUMNS = [a.c[name] for name in Activity._fields if name != "message_id"]


def _with_events(dialect: str) -> Any:
    """The message and, in the same statement, its activities as one JSON array of arrays
    (one round trip instead of two: this is the status lookup every client polls)."""
    events: ColumnElement[Any]
    if dialect == "sqlite":
        events = func.json_group_array(func.json_array(*_EVENT_COLUMNS))
    else:
        events = cast(func.json_agg(func.json_build_array(*_EVENT_COLUMNS)), Text)
    correlated = select(events).where(a.c.message_id == m.c.id).scalar_subquery()
    return select(m, correlated.label("events")).where(
        m.c.id == bindparam("id"), m.c.tenant_id == bindparam("tenant")
    )


_GET_WITH_EVENTS = Query(_with_events)
# A stored message's version: its revision, which its one UPDATE statement
# (``_UPDATE_STATE``, checked by a test) bumps, and, activities being append-only, the id
# of its newest activity.  Two integers, read by primary key on every status lookup.
_GET_VERSION = Query(
    select(
        m.c.revision,
        select(func.max(a.c.id))
        .where(a.c.message_id == m.c.id)
        .scalar_subquery()
        .label("last_event"),
    ).where(m.c.id == bindparam("id"), m.c.tenant_id == bindparam("tenant"))
)
_BY_ID = itemgetter(0)
# By primary key: without it SQLite, planning without statistics, walked the tenant's
# messages and checked each against the list.
_GET_MANY = Query(
    lambda d: (
        select(m)
        .where(m.c.tenant_id == bindparam("tenant"), in_list(m.c.id, "ids", d))
        .with_hint(m, "INDEXED BY sqlite_autoindex_messages_1", dialect_name="sqlite")
    )
)
_BY_BATCH = Query(
    select(m).where(m.c.batch_id == bindparam("batch")).order_by(m.c.created_at, m.c.id)
)
# A tenant's sends on a channel, newest first: the tenant's messages are walked newest first
# on (tenant_id, created_at, id), a chunk at a time, until the page's batches are found (a
# send's messages share their creation time), instead of grouping every message.
_BATCH_WALK_CHUNK = 1_000
_BATCH_WALK = Query(
    select(m.c.batch_id, m.c.created_at, m.c.id)
    .where(
        m.c.tenant_id == bindparam("tenant"),
        m.c.channel == bindparam("channel"),
        m.c.status != Status.RECEIVED.value,  # inbound messages are not sends
        older_than(m.c.created_at, m.c.id),
    )
    .order_by(m.c.created_at.desc(), m.c.id.desc())
    .limit(bindparam("limit"))
    .with_hint(m, "INDEXED BY ix_messages_tenant_id_created_at_id", dialect_name="sqlite")
)
_IN_BATCHES = Query(
    lambda d: (
        select(m)
        .where(
            m.c.tenant_id == bindparam("tenant"),
            m.c.channel == bindparam("channel"),
            in_list(m.c.batch_id, "batches", d),
        )
        .order_by(m.c.created_at, m.c.id)
        .with_hint(m, "INDEXED BY ix_messages_batch_id_created_at_id", dialect_name="sqlite")
    )
)
_LOCK = Query(
    lambda d: select(m).where(in_list(m.c.id, "ids", d)).order_by(m.c.id).with_for_update()
)
_BY_KEYS = Query(
    lambda d: select(m).where(
        m.c.tenant_id == bindparam("tenant"), in_list(m.c.message_key, "keys", d)
    )
)
_BY_CARRIER_IDS = Query(
    lambda d: select(m.c.id, m.c.carrier_message_id).where(
        m.c.carrier == bindparam("carrier"), in_list(m.c.carrier_message_id, "cids", d)
    )
)
_UPDATE_STATE = Query(
    update(m)
    .where(m.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        reason_code=bindparam("b_reason_code"),
        reason=bindparam("b_reason"),
        updated_at=bindparam("b_updated_at"),
        carrier=func.coalesce(bindparam("b_carrier", type_=m.c.carrier.type), m.c.carrier),
        carrier_message_id=func.coalesce(
            bindparam("b_carrier_message_id", type_=m.c.carrier_message_id.type),
            m.c.carrier_message_id,
        ),
        sent_at=func.coalesce(m.c.sent_at, bindparam("b_sent_at", type_=m.c.sent_at.type)),
        delivered_at=func.coalesce(
            m.c.delivered_at, bindparam("b_delivered_at", type_=m.c.delivered_at.type)
        ),
        attempts=m.c.attempts + bindparam("b_attempts_inc", type_=m.c.attempts.type),
        revision=m.c.revision + bindparam("b_steps", type_=m.c.revision.type),
    )
)
REDACTED = "[redacted]"
"""What a message's text becomes once its retention policy redacts it."""

# The only other update of messages: it changes the body, so it bumps the revision too.
_REDACT_BODIES = Query(
    lambda d: (
        update(m)
        .where(in_list(m.c.id, "ids", d), m.c.body != literal_column(f"'{REDACTED}'"))
        .values(body=literal_column(f"'{REDACTED}'"), revision=m.c.revision + literal_column("1"))
    )
)
# The literal status lets both backends use the partial index on sent messages.
_DUE_FOR_EXPIRY = Query(
    select(m.c.id)
    .where(m.c.status == literal_column("'sent'"), m.c.expires_at <= bindparam("now"))
    .limit(bindparam("limit"))
)

_FIELDS = tuple(Message.__dataclass_fields__)[:-1]  # every column, in table order
if _FIELDS != tuple(c.name for c in m.c):  # pragma: no cover - a schema edit without this
    raise RuntimeError("Message fields must follow the messages table's columns")
COLUMNS = _FIELDS
"""The columns of a message row, in table order."""
_VALUES = attrgetter(*_FIELDS)  # a message's row: its fields in table order, in one C call


def to_message(row: Row) -> Message:
    """A message from a row of ``select(messages)`` (every column, in table order)."""
    return Message(*row)


async def insert_many(conn: Connection, messages: Iterable[Message]) -> None:
    """Store new messages (their events are stored apart, as activities)."""
    await conn.executemany_ordered(_INSERT, _FIELDS, map(_VALUES, messages))


async def get(conn: Connection, tenant_id: str, message_id: str) -> Row | None:
    return await conn.fetchrow(_GET, {"id": message_id, "tenant": tenant_id})


async def get_version(conn: Connection, tenant_id: str, message_id: str) -> tuple[Any, ...] | None:
    """A tenant's message's version (revision, newest activity id), None if there is none."""
    row = await conn.fetchrow(_GET_VERSION, {"id": message_id, "tenant": tenant_id})
    return None if row is None else tuple(row)


def version_of(message: Message) -> tuple[Any, ...]:
    """The version of a message read with its events, as :func:`get_version` reads it."""
    return (message.revision, message.events[-1].id if message.events else None)


async def get_with_events(conn: Connection, tenant_id: str, message_id: str) -> Message | None:
    """A tenant's message with its activities, oldest first, read in one statement."""
    row = await conn.fetchrow(_GET_WITH_EVENTS, {"id": message_id, "tenant": tenant_id})
    if row is None:
        return None
    values: list[Any] = [*row]  # the columns, then the events as JSON
    raw = values[-1]
    if raw:
        events = orjson.loads(raw)
        events.sort(key=_BY_ID)  # an aggregate's input order is not guaranteed
        mid = values[0]
        values[-1] = tuple(
            Activity(e[0], mid, e[1], e[2], e[3], e[4], e[5], e[6], e[7]) for e in events
        )
    else:
        values[-1] = ()
    return Message(*values)


async def get_many(conn: Connection, tenant_id: str, message_ids: Sequence[str]) -> list[Row]:
    return await conn.fetch(_GET_MANY, {"tenant": tenant_id, "ids": list(message_ids)})


async def by_batch(conn: Connection, batch_id: str) -> list[Row]:
    """Every message of one send request, whatever its tenant (callers check ownership)."""
    return await conn.fetch(_BY_BATCH, {"batch": batch_id})


async def batch_page(
    conn: Connection, tenant_id: str, channel: str, *, limit: int, offset: int
) -> list[str]:
    """Batch ids of one page of a tenant's send requests on a channel, newest first (by
    their newest message)."""
    wanted = offset + limit
    found: dict[str, None] = {}
    params: dict[str, Any] = {"tenant": tenant_id, "channel": channel, "limit": _BATCH_WALK_CHUNK}
    params["c_at"], params["c_id"] = _AFTER_EVERYTHING
    while len(found) < wanted:
        rows = await conn.fetch(_BATCH_WALK, params)
        for row in rows:
            found.setdefault(row[0])
            if len(found) >= wanted:
                break
        if len(rows) < _BATCH_WALK_CHUNK:
            break
        params["c_at"], params["c_id"] = rows[-1][1], rows[-1][2]
    return list(found)[offset:wanted]


# A keyset position after every row: creation times are microseconds since 1970.
_AFTER_EVERYTHING = (2**62, "")


async def in_batches(
    conn: Connection, tenant_id: str, channel: str, batch_ids: Sequence[str]
) -> list[Row]:
    params = {"tenant": tenant_id, "channel": channel, "batches": list(batch_ids)}
    return await conn.fetch(_IN_BATCHES, params)


async def lock_many(conn: Connection, ids: Sequence[str]) -> list[Row]:
    """Rows for ``ids``, locked for update on PostgreSQL (in id order, to avoid deadlocks)."""
    return await conn.fetch(_LOCK, {"ids": list(ids)})


async def lock_messages(conn: Connection, ids: Sequence[str]) -> list[Message]:
    """The messages of ``ids``, locked as :func:`lock_many` locks them."""
    return [Message(*r) for r in await conn.fetch(_LOCK, {"ids": list(ids)})]


async def find_by_keys(conn: Connection, tenant_id: str, keys: Sequence[str]) -> list[Row]:
    return await conn.fetch(_BY_KEYS, {"tenant": tenant_id, "keys": list(keys)})


async def find_by_carrier_ids(
    conn: Connection, carrier: str, carrier_ids: Sequence[str]
) -> dict[str, str]:
    """``carrier_message_id -> message id`` for the ids the carrier gave us."""
    rows = await conn.fetch(_BY_CARRIER_IDS, {"carrier": carrier, "cids": list(carrier_ids)})
    return {r[1]: r[0] for r in rows}


async def update_states(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Write new states; each row has ``id, status, reason_code, reason, updated_at, carrier,
    carrier_message_id, sent_at, delivered_at, attempts_inc`` (None leaves a field as it is)
    and optionally ``steps``, the lifecycle steps recorded (default and minimum 1: the
    revision always moves)."""
    await conn.executemany(
        _UPDATE_STATE, ({"b_steps": 1, **{f"b_{k}": v for k, v in r.items()}} for r in rows)
    )


async def sent_past_expiry(conn: Connection, now: int, limit: int) -> list[str]:
    """Sent messages whose validity has ended (still waiting for a receipt)."""
    rows = await conn.fetch(_DUE_FOR_EXPIRY, {"now": now, "limit": limit})
    return [r[0] for r in rows]


# ------------------------------------------------------------------------- listings
#
# Each filter seeks on its own index, newest first (storage/listing.py):
#   send (batch)            -> (batch_id, created_at, id)
#   recipient               -> (tenant_id, to_number, created_at, id)
#   sender                  -> (tenant_id, from_number, created_at, id)
#   status and/or channel   -> (tenant_id, channel, status, created_at, id), a branch per
#                              (channel, status) pair
#   nothing (or dates only) -> (tenant_id, created_at, id)
# Every other given filter is checked on the rows the seek reads.

_STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
_ORDER = (m.c.created_at, m.c.id)
_STATEMENTS = StatementCache()
_EQUAL = ("batch_id", "to_number", "from_number", "channel")
_INDEX = {
    "batch_id": "ix_messages_batch_id_created_at_id",
    "to_number": "ix_messages_tenant_id_to_number_created_at_id",
    "from_number": "ix_messages_tenant_id_from_number_created_at_id",
    "kind": "ix_messages_tenant_id_channel_status_created_at_id",
    "all": "ix_messages_tenant_id_created_at_id",
}


def _message_path(flt: MessageFilter) -> str:
    for name in ("batch_id", "to_number", "from_number"):
        if getattr(flt, name) is not None:
            return name
    return "kind" if flt.statuses or flt.channel is not None else "all"


def _message_plan(
    tenant_id: str, flt: MessageFilter, before: tuple[int, str] | None
) -> tuple[Shape, dict[str, Any]]:
    path = _message_path(flt)
    given = tuple(n for n in (*_EQUAL, "created_from", "created_to") if getattr(flt, n) is not None)
    branches: list[tuple[str, str]] = []
    if path == "kind":
        channels = (flt.channel,) if flt.channel is not None else CHANNELS
        statuses = tuple(dict.fromkeys(flt.statuses)) or _STATUSES
        branches = [(c, st) for c in channels for st in statuses]
    wanted = tuple(dict.fromkeys(flt.statuses))
    shape = Shape(path, given, 0 if branches else len(wanted), len(branches), before is not None)
    params: dict[str, Any] = {"tenant": tenant_id}
    params.update((n, getattr(flt, n)) for n in given)
    if not branches:
        params.update((f"status_{i}", st) for i, st in enumerate(wanted))
    for i, (channel, status) in enumerate(branches):
        params[f"b{i}_channel"], params[f"b{i}_status"] = channel, status
    if before is not None:
        params["c_at"], params["c_id"] = before
    return shape, params


def _message_statement(shape: Shape) -> Select[Any]:
    terms: list[ColumnElement[bool]] = [m.c.tenant_id == bindparam("tenant")]
    terms += [m.c[n] == bindparam(n) for n in _EQUAL if n in shape.filters]
    if shape.statuses:
        terms.append(m.c.status.in_([bindparam(f"status_{i}") for i in range(shape.statuses)]))
    if "created_from" in shape.filters:
        terms.append(m.c.created_at >= bindparam("created_from"))
    if "created_to" in shape.filters:
        terms.append(m.c.created_at < bindparam("created_to"))
    if shape.cursor:
        terms.append(older_than(*_ORDER))
    branches = [
        [m.c.channel == bindparam(f"b{i}_channel"), m.c.status == bindparam(f"b{i}_status")]
        for i in range(shape.branches)
    ]
    index = _INDEX[shape.path]
    if not branches:
        return newest_first(m, list(m.c), terms, [], _ORDER, index=index)
    ids = newest_first(m, list(_ORDER), terms, branches, _ORDER, index=index).subquery("page")
    return (
        select(m)
        .select_from(ids.join(m, m.c.id == ids.c.id))
        .order_by(ids.c.created_at.desc(), ids.c.id.desc())
    )


def search_statement(
    tenant_id: str, flt: MessageFilter, before: tuple[int, str] | None = None
) -> tuple[Query, dict[str, Any]]:
    """The compiled listing statement for a filter, and its parameters (also for plans)."""
    shape, params = _message_plan(tenant_id, flt, before)
    return _STATEMENTS.get(shape, lambda: _message_statement(shape)), params


async def search(
    conn: Connection,
    tenant_id: str,
    flt: MessageFilter,
    *,
    limit: int,
    before: tuple[int, str] | None = None,
) -> list[Message]:
    """Messages newest first; ``before`` is the (created_at, id) keyset cursor."""
    query, params = search_statement(tenant_id, flt, before)
    params.update(limit=limit, offset=0, depth=limit)
    return [to_message(r) for r in await conn.fetch(query, params)]


async def redact_bodies(conn: Connection, message_ids: Sequence[str]) -> int:
    """Replace these messages' text by :data:`REDACTED`; returns how many changed."""
    if not message_ids:
        return 0
    return await conn.execute(_REDACT_BODIES, {"ids": list(message_ids)})
