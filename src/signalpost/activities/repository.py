"""SQL of activities."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import Select, bindparam, insert, select
from sqlalchemy.sql import ColumnElement

from signalpost.activities.schemas import Activity, ActivityFilter, ActivityWithMessage
from signalpost.domain.lifecycle import CHANNELS, Status
from signalpost.storage import Connection, Query, Row
from signalpost.storage.listing import (
    Cursor,
    Shape,
    StatementCache,
    newest_first,
    older_than,
    oldest_after,
    seeking,
)
from signalpost.storage.tables import activities, messages

__all__ = [
    "Owner",
    "Step",
    "cursor_of",
    "insert_many",
    "list_for_message",
    "search",
    "statement_for",
]

_INSERT = Query(
    insert(activities).values({c.name: bindparam(c.name) for c in activities.c if c.name != "id"})
)
_ACTIVITY_COLUMNS = [
    activities.c[n]
    for n in (
        "id",
        "message_id",
        "status",
        "description",
        "reason_code",
        "reason",
        "error_code",
        "price_micros",
        "created_at",
    )
]
# Columns in :class:`Activity` field order, so a row becomes an activity positionally.
_FOR_MESSAGE = Query(
    select(*_ACTIVITY_COLUMNS)
    .where(activities.c.message_id == bindparam("mid"))
    .order_by(activities.c.id)
)


def to_activity(row: Row) -> Activity:
    return Activity(
        row["id"],
        row["message_id"],
        row["status"],
        row["description"],
        row["reason_code"],
        row["reason"],
        row["error_code"],
        row["price_micros"],
        row["created_at"],
    )


class Owner(Protocol):
    """What an activity's row copies from its message (they never change)."""

    @property
    def tenant_id(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def from_number(self) -> str | None: ...


class Step(Protocol):
    """An activity to store, with its message."""

    @property
    def activity(self) -> Activity: ...
    @property
    def message(self) -> Owner: ...


# The columns an insert gives, in the statement's order (checked as it runs).
_INSERTED = (
    "message_id",
    "tenant_id",
    "status",
    "description",
    "reason_code",
    "reason",
    "error_code",
    "price_micros",
    "created_at",
    "channel",
    "from_number",
)


def _values(step: Step) -> tuple[Any, ...]:
    a, owner = step.activity, step.message
    return (
        a.message_id,
        owner.tenant_id,
        a.status,
        a.description,
        a.reason_code,
        a.reason,
        a.error_code,
        a.price_micros,
        a.created_at,
        owner.channel,
        owner.from_number,
    )


async def insert_many(conn: Connection, steps: Iterable[Step]) -> None:
    """Store the activities of recorded steps (their ids are the database's)."""
    await conn.executemany_ordered(_INSERT, _INSERTED, map(_values, steps))


async def list_for_message(conn: Connection, message_id: str) -> list[Activity]:
    """A message's activities, oldest first."""
    return [Activity(*r) for r in await conn.fetch(_FOR_MESSAGE, {"mid": message_id})]


# ------------------------------------------------------------------------- listings
#
# A listing seeks on the index that serves its most selective filter (storage/listing.py):
#   message, recipient or send  -> the messages' own indexes (primary key, recipient, batch),
#                                  then each message's activities on (message_id, id)
#   sender                      -> (tenant_id, from_number, status, created_at, id, channel),
#                                  a branch per status
#   status and/or channel       -> (tenant_id, channel, status, created_at, id), a branch per
#                                  (channel, status) pair
#   nothing (or dates only)     -> (tenant_id, created_at, id)
# Every other given filter is checked on the rows the seek reads.  The live tail (``after``)
# reads (tenant_id, status, id) forwards, a branch per status.

_STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
_LISTED = (activities.c.id, activities.c.created_at)
_ORDER = (activities.c.created_at, activities.c.id)
_STATEMENTS = StatementCache()
_VIA_MESSAGES = ("message_id", "to_number", "batch_id")
_INDEX = {
    "all": "ix_activities_tenant_id_created_at_id",
    "kind": "ix_activities_tenant_id_channel_status_created_at_id",
    "sender": "ix_activities_tenant_id_from_number_listing",
    "messages_of": "ix_activities_message_id_id",
    "tail": "ix_activities_tenant_id_status_id",
}


def _path(flt: ActivityFilter) -> str:
    if any(getattr(flt, n) is not None for n in _VIA_MESSAGES):
        return "messages_of"
    if flt.from_number is not None:
        return "sender"
    if flt.statuses or flt.channel is not None:
        return "kind"
    return "all"


def _branch_values(path: str, flt: ActivityFilter) -> list[tuple[str | None, str]]:
    """The (channel, status) each branch seeks on the status index, the (any channel,
    status) of each branch of the sender and the tail; no branches on the other paths."""
    statuses = tuple(dict.fromkeys(flt.statuses)) or _STATUSES
    if path == "tail" and not any(getattr(flt, n) is not None for n in _VIA_MESSAGES):
        return [(None, s) for s in statuses]
    if path == "sender":
        return [(None, s) for s in statuses]
    if path != "kind":
        return []
    channels = (flt.channel,) if flt.channel is not None else CHANNELS
    return [(c, s) for c in channels for s in statuses]


def _residual_filters(flt: ActivityFilter) -> tuple[str, ...]:
    names = ("channel", "to_number", "from_number", "message_id", "batch_id")
    given = tuple(n for n in names if getattr(flt, n) is not None)
    dates = tuple(n for n in ("created_from", "created_to") if getattr(flt, n) is not None)
    return given + dates


def _via_messages(shape: Shape) -> bool:
    return any(n in shape.filters for n in _VIA_MESSAGES)


def _messages_of(given: set[str]) -> ColumnElement[bool]:
    """``activities.message_id IN`` the tenant's messages that match the message filters."""
    inner = [messages.c.tenant_id == bindparam("tenant")]
    if "message_id" in given:
        inner.append(messages.c.id == bindparam("message_id"))
    for name in ("to_number", "batch_id"):
        if name in given:
            inner.append(messages.c[name] == bindparam(name))
    index = None
    if "message_id" not in given:
        index = (
            "ix_messages_batch_id_created_at_id"
            if "batch_id" in given
            else "ix_messages_tenant_id_to_number_created_at_id"
        )
    chosen = seeking(select(messages.c.id).where(*inner), messages, index)
    return activities.c.message_id.in_(chosen)


def _terms(shape: Shape) -> list[ColumnElement[bool]]:
    """The conditions every branch shares: the tenant and each given filter.

    Activities of a message, a recipient or a send are found through those messages alone
    (their tenant is the activities' tenant): a term on ``activities.tenant_id`` would
    tempt a planner into walking the tenant's activities instead."""
    given = set(shape.filters)
    terms: list[ColumnElement[bool]] = []
    if _via_messages(shape):
        terms.append(_messages_of(given))
    else:
        terms.append(activities.c.tenant_id == bindparam("tenant"))
    for name in ("channel", "from_number", "message_id"):
        if name in given:
            terms.append(activities.c[name] == bindparam(name))
    if shape.statuses:
        wanted: list[Any] = [bindparam(f"status_{i}") for i in range(shape.statuses)]
        terms.append(activities.c.status.in_(wanted))
    if "created_from" in given:
        terms.append(activities.c.created_at >= bindparam("created_from"))
    if "created_to" in given:
        terms.append(activities.c.created_at < bindparam("created_to"))
    if shape.cursor:
        terms.append(older_than(*_ORDER))
    return terms


def _branches(shape: Shape) -> list[list[ColumnElement[bool]]]:
    if shape.path in ("tail", "sender"):
        return [[activities.c.status == bindparam(f"b{i}_status")] for i in range(shape.branches)]
    return [
        [
            activities.c.channel == bindparam(f"b{i}_channel"),
            activities.c.status == bindparam(f"b{i}_status"),
        ]
        for i in range(shape.branches)
    ]


def _with_message(ids: Any, order: list[Any]) -> Select[Any]:
    """Full activity rows, with the message fields listings show, for a page of ids."""
    return (
        select(
            *_ACTIVITY_COLUMNS,
            messages.c.to_number,
            messages.c.from_number,
            messages.c.channel,
            messages.c.body,
            messages.c.currency,
            messages.c.batch_id,
        )
        .select_from(
            ids.join(activities, activities.c.id == ids.c.id).join(
                messages, messages.c.id == activities.c.message_id
            )
        )
        .order_by(*order)
    )


def _page_statement(shape: Shape) -> Select[Any]:
    """One page of activities, newest first."""
    page = newest_first(
        activities, _LISTED, _terms(shape), _branches(shape), _ORDER, index=_INDEX[shape.path]
    ).subquery("page")
    return _with_message(page, [page.c.created_at.desc(), page.c.id.desc()])


def _tail_statement(shape: Shape) -> Select[Any]:
    """Activities after an id, oldest first (the live tail reads ids in insertion order)."""
    index = _INDEX["messages_of" if _via_messages(shape) else "tail"]
    ids = oldest_after(
        activities, _LISTED, _terms(shape), _branches(shape), activities.c.id, index=index
    ).subquery("tail")
    return _with_message(ids, [ids.c.id])


def _plan(
    tenant_id: str, flt: ActivityFilter, *, tail: bool, cursor: Cursor | None
) -> tuple[Shape, dict[str, Any]]:
    """The statement shape of a listing and its parameters."""
    path = "tail" if tail else _path(flt)
    values = _branch_values(path, flt)
    statuses = tuple(dict.fromkeys(flt.statuses))
    shape = Shape(
        path,
        _residual_filters(flt),
        0 if values else len(statuses),
        len(values),
        cursor is not None,
    )
    params: dict[str, Any] = {"tenant": tenant_id}
    for name in shape.filters:
        params[name] = getattr(flt, name)
    if not values:
        params.update((f"status_{i}", s) for i, s in enumerate(statuses))
    for i, (channel, status) in enumerate(values):
        if channel is not None:
            params[f"b{i}_channel"] = channel
        params[f"b{i}_status"] = status
    if cursor is not None:
        params["c_at"], params["c_id"] = cursor
    return shape, params


def statement_for(
    tenant_id: str, flt: ActivityFilter, *, tail: bool = False, cursor: Cursor | None = None
) -> tuple[Query, dict[str, Any]]:
    """The compiled listing statement for a filter, and its parameters (also for plans)."""
    shape, params = _plan(tenant_id, flt, tail=tail, cursor=cursor)
    build = _tail_statement if tail else _page_statement
    return _STATEMENTS.get(shape, lambda: build(shape)), params


async def search(
    conn: Connection,
    tenant_id: str,
    flt: ActivityFilter,
    *,
    limit: int,
    before: Cursor | None = None,
    after_id: int | None = None,
    offset: int = 0,
) -> list[ActivityWithMessage]:
    """Activities newest first (``before`` is the ``(created_at, id)`` keyset cursor) or,
    with ``after_id``, the ones recorded after a given id, oldest first (a live tail)."""
    tail = after_id is not None
    query, params = statement_for(tenant_id, flt, tail=tail, cursor=None if tail else before)
    params["limit"] = limit
    if tail:
        params["after_id"] = after_id
    else:
        params["offset"] = offset
        params["depth"] = limit + offset
    rows = await conn.fetch(query, params)
    return [
        ActivityWithMessage(
            to_activity(r),
            r["to_number"],
            r["from_number"],
            r["channel"],
            r["body"],
            r["currency"],
            r["batch_id"],
        )
        for r in rows
    ]


async def cursor_of(conn: Connection, tenant_id: str, activity_id: int) -> Cursor | None:
    """The keyset position of one of a tenant's activities (for id-only cursors)."""
    row = await conn.fetchrow(_POSITION, {"id": activity_id, "tenant": tenant_id})
    return None if row is None else (row[0], row[1])


_POSITION = Query(
    select(activities.c.created_at, activities.c.id).where(
        activities.c.id == bindparam("id"), activities.c.tenant_id == bindparam("tenant")
    )
)
