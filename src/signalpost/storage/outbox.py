"""The dispatch queue's outbox writes: a message's queue row is written in the transaction
that stores (or cancels) the message, and removed when the message is done.

Kept below both sides: ``messages`` writes the outbox when it accepts or cancels a send,
``dispatch`` claims, holds and finishes the rows (its repository holds that SQL), and
neither package has to import the other's repository for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, insert

from signalpost.storage.db import Connection
from signalpost.storage.statements import Query, in_list
from signalpost.storage.tables import dispatch_queue as q

__all__ = ["HELD_DUE_AT", "enqueue", "remove"]

HELD_DUE_AT = 2**62
"""``due_at`` of a held row: never due, so the claim query passes it by without a change."""

_ENQUEUE = Query(
    insert(q).values(
        message_id=bindparam("message_id"),
        due_at=bindparam("due_at"),
        attempts=bindparam("attempts"),
        leased_by=bindparam("leased_by"),
        hold_key=bindparam("hold_key", None, type_=q.c.hold_key.type),
    )
)
_REMOVE = Query(lambda d: delete(q).where(in_list(q.c.message_id, "ids", d)))


async def enqueue(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Queue rows: ``message_id, due_at, attempts, leased_by`` and optionally ``hold_key``."""
    await conn.executemany(_ENQUEUE, rows)


async def remove(conn: Connection, message_ids: Sequence[str]) -> None:
    if message_ids:
        await conn.execute(_REMOVE, {"ids": list(message_ids)})
