"""SQL of messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Text, bindparam, cast, func, insert, literal_column, select, tuple_, update
from sqlalchemy.sql.elements import ColumnElement

from signalpost.activities.schemas import Activity
from signalpost.domain.lifecycle import Status
from signalpost.messages.schemas import Message, MessageFilter
from signalpost.storage import Connection, Query, Row, in_list
from signalpost.storage.filters import where_filters
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
    "search",
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
_GET_MANY = Query(
    lambda d: select(m).where(m.c.tenant_id == bindparam("tenant"), in_list(m.c.id, "ids", d))
)
_BY_BATCH = Query(
    select(m).where(m.c.batch_id == bindparam("batch")).order_by(m.c.created_at, m.c.id)
)
_BATCH_PAGE = Query(
    select(m.c.batch_id, func.max(m.c.created_at).label("at"))
    .where(
        m.c.tenant_id == bindparam("tenant"),
        m.c.channel == bindparam("channel"),
        m.c.status != Status.RECEIVED.value,  # inbound messages are not sends
    )
    .group_by(m.c.batch_id)
    .order_by(literal_column("at").desc(), m.c.batch_id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
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
_COLUMN_COUNT = len(_FIELDS)
COLUMNS = _FIELDS
"""The columns of a message row, in table order."""


def to_message(row: Row) -> Message:
    """A message from a row of ``select(messages)`` (every column, in table order)."""
    return Message(*row)


async def insert_many(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    await conn.executemany(_INSERT, rows)


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
    message = Message(*row[:_COLUMN_COUNT])
    raw = row[_COLUMN_COUNT]
    if raw:
        events = orjson.loads(raw)
        events.sort(key=_BY_ID)  # an aggregate's input order is not guaranteed
        mid = message.id
        message.events.extend(
            Activity(e[0], mid, e[1], e[2], e[3], e[4], e[5], e[6], e[7]) for e in events
        )
    return message


async def get_many(conn: Connection, tenant_id: str, message_ids: Sequence[str]) -> list[Row]:
    return await conn.fetch(_GET_MANY, {"tenant": tenant_id, "ids": list(message_ids)})


async def by_batch(conn: Connection, batch_id: str) -> list[Row]:
    """Every message of one send request, whatever its tenant (callers check ownership)."""
    return await conn.fetch(_BY_BATCH, {"batch": batch_id})


async def batch_page(
    conn: Connection, tenant_id: str, channel: str, *, limit: int, offset: int
) -> list[str]:
    """Batch ids of one page of a tenant's send requests on a channel, newest first."""
    params = {"tenant": tenant_id, "channel": channel, "limit": limit, "offset": offset}
    return [r[0] for r in await conn.fetch(_BATCH_PAGE, params)]


async def in_batches(
    conn: Connection, tenant_id: str, channel: str, batch_ids: Sequence[str]
) -> list[Row]:
    params = {"tenant": tenant_id, "channel": channel, "batches": list(batch_ids)}
    return await conn.fetch(_IN_BATCHES, params)


async def lock_many(conn: Connection, ids: Sequence[str]) -> list[Row]:
    """Rows for ``ids``, locked for update on PostgreSQL (in id order, to avoid deadlocks)."""
    return await conn.fetch(_LOCK, {"ids": list(ids)})


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


async def search(
    conn: Connection,
    tenant_id: str,
    flt: MessageFilter,
    *,
    limit: int,
    before: tuple[int, str] | None = None,
) -> list[Message]:
    """Messages newest first; ``before`` is the (created_at, id) keyset cursor."""
    stmt = select(m).where(m.c.tenant_id == bindparam("tenant"))
    params: dict[str, Any] = {"tenant": tenant_id, "limit": limit}
    stmt = where_filters(
        stmt,
        params,
        status=m.c.status,
        statuses=flt.statuses,
        equal=(
            (m.c.channel, "channel", flt.channel),
            (m.c.to_number, "to_number", flt.to_number),
            (m.c.from_number, "from_number", flt.from_number),
            (m.c.batch_id, "batch_id", flt.batch_id),
        ),
        created=m.c.created_at,
        created_from=flt.created_from,
        created_to=flt.created_to,
    )
    if before is not None:
        stmt = stmt.where(
            tuple_(m.c.created_at, m.c.id) < tuple_(bindparam("c_at"), bindparam("c_id"))
        )
        params["c_at"], params["c_id"] = before
    stmt = stmt.order_by(m.c.created_at.desc(), m.c.id.desc()).limit(bindparam("limit"))
    return [to_message(r) for r in await conn.fetch(Query(stmt), params)]


async def redact_bodies(conn: Connection, message_ids: Sequence[str]) -> int:
    """Replace these messages' text by :data:`REDACTED`; returns how many changed."""
    if not message_ids:
        return 0
    return await conn.execute(_REDACT_BODIES, {"ids": list(message_ids)})
