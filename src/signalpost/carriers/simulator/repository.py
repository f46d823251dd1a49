"""SQL of the simulator's own tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from signalpost.storage import Connection, Query, Row, in_list
from signalpost.storage.leases import lease_claim
from signalpost.storage.tables import sim_submits as s

__all__ = ["claim_receipts", "find_attempts", "insert_submits", "set_receipts", "transient_counts"]

_FIND = Query(lambda d: select(s).where(in_list(s.c.attempt_key, "keys", d)))
_TRANSIENTS = Query(
    lambda d: (
        select(s.c.message_ref, func.count())
        .where(in_list(s.c.message_ref, "refs", d), s.c.accepted.is_(False))
        .group_by(s.c.message_ref)
    )
)
_INSERT = Query(insert(s).values({c.name: bindparam(c.name) for c in s.c if c.name != "id"}))


_CLAIM = Query(
    lease_claim(
        s.c.id,
        s.c.receipt_due_at,
        returning=(
            s.c.id,
            s.c.carrier_message_id,
            s.c.receipt_status,
            s.c.destination,
            s.c.channel,
        ),
    )
)
_SET_RECEIPT = Query(
    update(s)
    .where(s.c.id == bindparam("b_id"))
    .values(receipt_status=bindparam("b_status"), receipt_due_at=bindparam("b_due_at"))
)


async def find_attempts(conn: Connection, keys: Sequence[str]) -> dict[str, Row]:
    return {r["attempt_key"]: r for r in await conn.fetch(_FIND, {"keys": list(keys)})}


async def transient_counts(conn: Connection, refs: Sequence[str]) -> dict[str, int]:
    if not refs:
        return {}
    return {r[0]: r[1] for r in await conn.fetch(_TRANSIENTS, {"refs": list(refs)})}


async def insert_submits(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    await conn.executemany(_INSERT, rows)


async def claim_receipts(conn: Connection, now: int, lease_until: int, limit: int) -> list[Row]:
    return await conn.fetch(_CLAIM, {"now": now, "lease_until": lease_until, "limit": limit})


async def set_receipts(
    conn: Connection, rows: Iterable[tuple[int, str | None, int | None]]
) -> None:
    """``(id, next receipt status, due)``; a None due means no receipt is left to send."""
    await conn.executemany(
        _SET_RECEIPT, ({"b_id": i, "b_status": st, "b_due_at": due} for i, st, due in rows)
    )
