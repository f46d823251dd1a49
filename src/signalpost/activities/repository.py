"""SQL of activities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, select

from signalpost.activities.schemas import Activity, ActivityFilter, ActivityWithMessage
from signalpost.storage import Connection, Query, Row
from signalpost.storage.filters import where_filters
from signalpost.storage.tables import activities, messages

__all__ = ["count", "insert_many", "list_for_message", "search"]

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


async def insert_many(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert activity rows; each has every column but ``id``."""
    await conn.executemany(_INSERT, rows)


async def list_for_message(conn: Connection, message_id: str) -> list[Activity]:
    """A message's activities, oldest first."""
    return [Activity(*r) for r in await conn.fetch(_FOR_MESSAGE, {"mid": message_id})]


def _filtered(tenant_id: str, flt: ActivityFilter) -> tuple[Select[Any], dict[str, Any]]:
    stmt = (
        select(
            *_ACTIVITY_COLUMNS,
            messages.c.to_number,
            messages.c.from_number,
            messages.c.channel,
            messages.c.body,
            messages.c.currency,
            messages.c.batch_id,
        )
        .join(messages, messages.c.id == activities.c.message_id)
        .where(activities.c.tenant_id == bindparam("tenant"))
    )
    params: dict[str, Any] = {"tenant": tenant_id}
    stmt = where_filters(
        stmt,
        params,
        status=activities.c.status,
        statuses=flt.statuses,
        equal=(
            (messages.c.channel, "channel", flt.channel),
            (messages.c.to_number, "to_number", flt.to_number),
            (messages.c.from_number, "from_number", flt.from_number),
            (activities.c.message_id, "message_id", flt.message_id),
            (messages.c.batch_id, "batch_id", flt.batch_id),
        ),
        created=activities.c.created_at,
        created_from=flt.created_from,
        created_to=flt.created_to,
    )
    return stmt, params


async def search(
    conn: Connection,
    tenant_id: str,
    flt: ActivityFilter,
    *,
    limit: int,
    before_id: int | None = None,
    after_id: int | None = None,
    offset: int = 0,
) -> list[ActivityWithMessage]:
    """Activities newest first (``before_id`` pages backwards) or, with ``after_id``, the
    ones newer than a given id, oldest first (a live tail)."""
    stmt, params = _filtered(tenant_id, flt)
    if after_id is not None:
        stmt = stmt.where(activities.c.id > bindparam("after_id")).order_by(activities.c.id)
        params["after_id"] = after_id
    else:
        if before_id is not None:
            stmt = stmt.where(activities.c.id < bindparam("before_id"))
            params["before_id"] = before_id
        stmt = stmt.order_by(activities.c.id.desc())
    stmt = stmt.limit(bindparam("limit")).offset(bindparam("offset"))
    params["limit"] = limit
    params["offset"] = offset
    rows = await conn.fetch(Query(stmt), params)
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


async def count(conn: Connection, tenant_id: str, flt: ActivityFilter) -> int:
    stmt, params = _filtered(tenant_id, flt)
    counted = select(func.count()).select_from(stmt.subquery())
    value = await conn.fetchval(Query(counted), params)
    return int(value or 0)
