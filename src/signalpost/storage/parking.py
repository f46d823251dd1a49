"""Receipts that arrived before what they are about was recorded: one table, two scopes.

``MESSAGE``: a carrier's receipt for a message whose carrier id the platform has not
stored yet (the dispatcher matches it when it stores the id).  ``PART``: an SMPP receipt for
a part whose ``submit_sm_resp`` the SMPP carrier has not recorded yet.  A parked row has the
receipt's fields (``carrier``, ``carrier_message_id``, ``status``, ``reason_code``,
``reason``, ``error_code``, ``occurred_at``) and when it was received (``received_at``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, insert, select

from signalpost.storage.db import Connection, Row
from signalpost.storage.statements import Query, in_list
from signalpost.storage.tables import parked_receipts as pk

__all__ = [
    "MESSAGE",
    "PART",
    "any_parked",
    "delete_before",
    "oldest",
    "park",
    "parked_for",
    "unpark",
]

MESSAGE = "message"
PART = "part"

_PARK = Query(insert(pk).values({c.name: bindparam(c.name) for c in pk.c if c.name != "id"}))
_PARKED_FOR = Query(
    lambda d: (
        select(pk)
        .where(
            pk.c.scope == bindparam("scope"),
            pk.c.carrier == bindparam("carrier"),
            in_list(pk.c.carrier_message_id, "ids", d),
        )
        .order_by(pk.c.id)
    )
)
_ANY = Query(select(pk.c.id).where(pk.c.scope == bindparam("scope")).limit(1))
_OLDEST = Query(
    select(pk).where(pk.c.scope == bindparam("scope")).order_by(pk.c.id).limit(bindparam("limit"))
)
_UNPARK = Query(lambda d: delete(pk).where(in_list(pk.c.id, "ids", d)))
_DELETE_BEFORE = Query(
    delete(pk).where(
        pk.c.scope == bindparam("scope"),
        pk.c.carrier == bindparam("carrier"),
        pk.c.received_at < bindparam("before"),
    )
)


async def park(conn: Connection, scope: str, rows: Iterable[Mapping[str, Any]]) -> None:
    await conn.executemany(_PARK, ({**row, "scope": scope} for row in rows))


async def parked_for(
    conn: Connection, scope: str, carrier: str, carrier_ids: Sequence[str]
) -> list[Row]:
    """Parked receipts for these ids of ``carrier``, oldest first."""
    if not carrier_ids:
        return []
    params = {"scope": scope, "carrier": carrier, "ids": list(carrier_ids)}
    return await conn.fetch(_PARKED_FOR, params)


async def any_parked(conn: Connection, scope: str) -> bool:
    """Whether anything is parked in ``scope`` (one index probe)."""
    return await conn.fetchrow(_ANY, {"scope": scope}) is not None


async def oldest(conn: Connection, scope: str, limit: int) -> list[Row]:
    return await conn.fetch(_OLDEST, {"scope": scope, "limit": limit})


async def unpark(conn: Connection, ids: Sequence[int]) -> None:
    if ids:
        await conn.execute(_UNPARK, {"ids": list(ids)})


async def delete_before(conn: Connection, scope: str, carrier: str, before: int) -> int:
    """Drop what ``carrier`` parked in ``scope`` before ``before``; returns how many."""
    params = {"scope": scope, "carrier": carrier, "before": before}
    return await conn.execute(_DELETE_BEFORE, params)
