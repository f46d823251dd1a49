"""SQL of the SMPP carrier's own tables."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import BigInteger, bindparam, delete, func, insert, select, true, update

from signalpost.storage import Connection, Query, Row, in_list, parking
from signalpost.storage.tables import smpp_messages as g
from signalpost.storage.tables import smpp_mo_parts as mo
from signalpost.storage.tables import smpp_parts as p

__all__ = [
    "delete_mo_message",
    "delete_parked",
    "delete_parked_before",
    "due_reports",
    "find_parts",
    "groups_for_messages",
    "insert_groups",
    "insert_mo_part",
    "insert_parts",
    "lock_connections",
    "lock_groups",
    "mark_reported",
    "mo_parts",
    "park",
    "parked_for",
    "parts_of",
    "update_groups",
    "update_parts",
]


def _values(table: Any, skip: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    return {c.name: bindparam(c.name) for c in table.c if c.name not in skip}


_GROUPS_FOR_MESSAGES = Query(lambda d: select(g).where(in_list(g.c.message_id, "ids", d)))
_LOCK_GROUPS = Query(
    lambda d: select(g).where(in_list(g.c.id, "ids", d)).order_by(g.c.id).with_for_update()
)
_INSERT_GROUP = Query(insert(g).values(_values(g, ())))
_GROUP_FIELDS = (
    "state",
    "carrier",
    "outcome",
    "outcome_reason_code",
    "outcome_reason",
    "outcome_error_code",
    "outcome_at",
    "report_due",
    "updated_at",
)
_UPDATE_GROUP = Query(
    update(g)
    .where(g.c.id == bindparam("b_id"))
    .values({f: bindparam(f"b_{f}", type_=g.c[f].type) for f in _GROUP_FIELDS})
)
_DUE_REPORTS = Query(
    select(g)
    .where(
        g.c.report_due == true(),
        g.c.carrier == bindparam("carrier"),
        g.c.state == "sent",
    )
    .limit(bindparam("limit"))
)
_MARK_REPORTED = Query(
    lambda d: update(g).where(in_list(g.c.id, "ids", d)).values(report_due=False)
)

_PARTS_OF = Query(
    lambda d: select(p).where(in_list(p.c.smpp_message_id, "ids", d)).order_by(p.c.id)
)
_FIND_PARTS = Query(
    lambda d: (
        select(p)
        .where(p.c.connection == bindparam("connection"), in_list(p.c.smsc_message_id, "ids", d))
        .order_by(p.c.id)
    )
)
_INSERT_PART = Query(insert(p).values(_values(p)))
_PART_FIELDS = ("status", "reason_code", "reason", "error_code", "done_at")
_UPDATE_PART = Query(
    update(p)
    .where(p.c.id == bindparam("b_id"))
    .values({f: bindparam(f"b_{f}", type_=p.c[f].type) for f in _PART_FIELDS})
)

_LOCK_CONNECTION = Query(select(func.pg_advisory_xact_lock(bindparam("key", type_=BigInteger))))

_MO_MESSAGE = (
    mo.c.connection == bindparam("connection"),
    mo.c.source == bindparam("source"),
    mo.c.destination == bindparam("destination"),
    mo.c.ref == bindparam("ref"),
    mo.c.total == bindparam("total"),
)
_MO_PARTS = Query(select(mo).where(*_MO_MESSAGE))
_INSERT_MO = Query(insert(mo).values(_values(mo)))
_DELETE_MO = Query(delete(mo).where(*_MO_MESSAGE))


# ------------------------------------------------------------------ messages (groups)


async def groups_for_messages(conn: Connection, message_ids: Sequence[str]) -> list[Row]:
    return await conn.fetch(_GROUPS_FOR_MESSAGES, {"ids": list(message_ids)})


async def lock_groups(conn: Connection, ids: Sequence[str]) -> list[Row]:
    """Rows of ``ids``, locked for update on PostgreSQL (in id order)."""
    return await conn.fetch(_LOCK_GROUPS, {"ids": list(ids)})


async def insert_groups(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    await conn.executemany(_INSERT_GROUP, rows)


async def update_groups(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    await conn.executemany(
        _UPDATE_GROUP,
        ({"b_id": r["id"], **{f"b_{f}": r[f] for f in _GROUP_FIELDS}} for r in rows),
    )


async def due_reports(conn: Connection, carrier: str, limit: int) -> list[Row]:
    return await conn.fetch(_DUE_REPORTS, {"carrier": carrier, "limit": limit})


async def mark_reported(conn: Connection, ids: Sequence[str]) -> None:
    if ids:
        await conn.execute(_MARK_REPORTED, {"ids": list(ids)})


def _lock_key(connection: str) -> int:
    digest = hashlib.blake2b(f"smpp-books:{connection}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_connections(conn: Connection, connections: Sequence[str]) -> None:
    """Hold the books of these connections until the transaction ends (in the given
    order).  SQLite transactions already run one at a time (``BEGIN IMMEDIATE``)."""
    if conn.dialect != "postgresql":
        return
    for connection in connections:
        await conn.fetch(_LOCK_CONNECTION, {"key": _lock_key(connection)})


# ------------------------------------------------------------------ parts


async def parts_of(conn: Connection, group_ids: Sequence[str]) -> list[Row]:
    return await conn.fetch(_PARTS_OF, {"ids": list(group_ids)})


async def find_parts(conn: Connection, connection: str, smsc_ids: Sequence[str]) -> list[Row]:
    """Parts sent over ``connection`` with these SMSC ids, oldest first."""
    return await conn.fetch(_FIND_PARTS, {"connection": connection, "ids": list(smsc_ids)})


async def insert_parts(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    await conn.executemany(_INSERT_PART, rows)


async def update_parts(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    await conn.executemany(
        _UPDATE_PART,
        ({"b_id": r["id"], **{f"b_{f}": r[f] for f in _PART_FIELDS}} for r in rows),
    )


# ------------------------------------------------------------------ parked receipts
# rows: carrier (the connection), carrier_message_id (the part's key), the receipt's fields


async def park(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    await parking.park(conn, parking.PART, rows)


async def parked_for(conn: Connection, connection: str, keys: Sequence[str]) -> list[Row]:
    return await parking.parked_for(conn, parking.PART, connection, keys)


async def delete_parked_before(conn: Connection, connection: str, before: int) -> int:
    return await parking.delete_before(conn, parking.PART, connection, before)


async def delete_parked(conn: Connection, ids: Sequence[int]) -> None:
    await parking.unpark(conn, ids)


# ------------------------------------------------------------------ mobile-originated parts


def _mo_message(
    connection: str, source: str, destination: str, ref: int, total: int
) -> dict[str, Any]:
    return {
        "connection": connection,
        "source": source,
        "destination": destination,
        "ref": ref,
        "total": total,
    }


async def mo_parts(
    conn: Connection, connection: str, source: str, destination: str, ref: int, total: int
) -> list[Row]:
    """The parts held of one concatenated message."""
    return await conn.fetch(_MO_PARTS, _mo_message(connection, source, destination, ref, total))


async def insert_mo_part(conn: Connection, row: Mapping[str, Any]) -> None:
    await conn.execute(_INSERT_MO, row)


async def delete_mo_message(
    conn: Connection, connection: str, source: str, destination: str, ref: int, total: int
) -> None:
    """Delete every part held of one concatenated message."""
    await conn.execute(_DELETE_MO, _mo_message(connection, source, destination, ref, total))
