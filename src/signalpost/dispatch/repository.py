"""SQL of the dispatch queue (claims, holds, retries), submit attempts and early receipts.

The outbox writes (:func:`enqueue`, :func:`remove`) live in :mod:`signalpost.storage.outbox`,
shared with ``messages``; they are re-exported here for the dispatcher.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from signalpost.storage import Connection, Query, Row, in_list, parking
from signalpost.storage.leases import lease_claim
from signalpost.storage.outbox import HELD_DUE_AT, enqueue, remove
from signalpost.storage.tables import dispatch_queue as q
from signalpost.storage.tables import messages as m
from signalpost.storage.tables import submit_attempts as a

__all__ = [
    "HELD_DUE_AT",
    "claim",
    "delete_orphans",
    "enqueue",
    "hand_over",
    "held_ids",
    "hold",
    "hold_depth",
    "insert_attempts",
    "last_failures",
    "oldest_orphans",
    "open_attempts",
    "park_orphans",
    "release",
    "remove",
    "reschedule",
    "take_orphans",
    "update_attempts",
]

_HOLD = Query(
    update(q)
    .where(
        q.c.hold_key == bindparam("key"),
        (q.c.leased_by.is_(None)) | (q.c.due_at <= bindparam("now")),
    )
    .values(due_at=HELD_DUE_AT, leased_by=None)
)
_RELEASE = Query(
    update(q)
    .where(q.c.hold_key == bindparam("key"), q.c.due_at == HELD_DUE_AT)
    .values(due_at=bindparam("now"))
)
_HELD_IDS = Query(
    select(q.c.message_id)
    .where(q.c.hold_key == bindparam("key"), q.c.due_at == HELD_DUE_AT)
    .order_by(q.c.message_id)
    .limit(bindparam("limit"))
)
_HOLD_DEPTH = Query(
    select(func.count(), func.min(m.c.created_at))
    .select_from(q.join(m, m.c.id == q.c.message_id))
    .where(q.c.hold_key == bindparam("key"))
)


_CLAIM = Query(
    lease_claim(
        q.c.message_id,
        q.c.due_at,
        values={"attempts": q.c.attempts + 1, "leased_by": bindparam("worker")},
        returning=(q.c.message_id, q.c.attempts),
    )
)
# A process that leaves some carriers to other processes passes by the rows handed to them.
_CLAIM_PASSING_BY = Query(
    lease_claim(
        q.c.message_id,
        q.c.due_at,
        values={"attempts": q.c.attempts + 1, "leased_by": bindparam("worker")},
        returning=(q.c.message_id, q.c.attempts),
        where=lambda d: q.c.for_carrier.is_(None) | ~in_list(q.c.for_carrier, "pass_by", d),
    )
)
_RESCHEDULE = Query(
    update(q)
    .where(q.c.message_id == bindparam("b_id"))
    .values(due_at=bindparam("b_due_at"), leased_by=None, for_carrier=None)
)
_HAND_OVER = Query(
    lambda d: (
        update(q)
        .where(in_list(q.c.message_id, "ids", d))
        .values(due_at=bindparam("now"), leased_by=None, for_carrier=bindparam("carrier"))
    )
)
_INSERT_ATTEMPT = Query(insert(a))
_OPEN_ATTEMPTS = Query(
    lambda d: select(a).where(in_list(a.c.message_id, "ids", d), a.c.status == "in_flight")
)
_LAST_ATTEMPTS = Query(
    lambda d: (
        select(a.c.message_id, a.c.carrier, a.c.status, a.c.error_code)
        .where(in_list(a.c.message_id, "ids", d))
        .order_by(a.c.message_id, a.c.attempt_no)
    )
)
_UPDATE_ATTEMPT = Query(
    update(a)
    .where(a.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        carrier_message_id=bindparam("b_carrier_message_id"),
        error_code=bindparam("b_error_code"),
        error_reason=bindparam("b_error_reason"),
        completed_at=bindparam("b_completed_at"),
    )
)


async def hold(conn: Connection, key: str, now: int) -> int:
    """Hold every waiting row of a group (rows a live worker has leased finish their round)."""
    return await conn.execute(_HOLD, {"key": key, "now": now})


async def release(conn: Connection, key: str, now: int) -> int:
    """Make every held row of a group due at ``now``."""
    return await conn.execute(_RELEASE, {"key": key, "now": now})


async def held_ids(conn: Connection, key: str, limit: int) -> list[str]:
    return [r[0] for r in await conn.fetch(_HELD_IDS, {"key": key, "limit": limit})]


async def hold_depth(conn: Connection, key: str) -> tuple[int, int | None]:
    """How many rows of a group wait in the queue, and the oldest one's creation time."""
    row = await conn.fetchrow(_HOLD_DEPTH, {"key": key})
    return (int(row[0]), row[1]) if row is not None else (0, None)


async def claim(
    conn: Connection,
    *,
    now: int,
    lease_until: int,
    limit: int,
    worker: str,
    pass_by: Sequence[str] = (),
) -> list[tuple[str, int]]:
    """Claim up to ``limit`` due messages: they stay invisible until ``lease_until``
    (see :mod:`signalpost.storage.leases`).  Rows handed over to a carrier of ``pass_by``
    (:func:`hand_over`) are left to the processes that send over it."""
    params: dict[str, Any] = {
        "now": now,
        "lease_until": lease_until,
        "limit": limit,
        "worker": worker,
    }
    if pass_by:
        params["pass_by"] = list(pass_by)
        rows = await conn.fetch(_CLAIM_PASSING_BY, params)
    else:
        rows = await conn.fetch(_CLAIM, params)
    return [(r[0], r[1]) for r in rows]


async def hand_over(conn: Connection, message_ids: Sequence[str], carrier: str, now: int) -> None:
    """Give claimed rows back, due at ``now``, for the processes that send over ``carrier``."""
    if message_ids:
        await conn.execute(_HAND_OVER, {"ids": list(message_ids), "carrier": carrier, "now": now})


async def reschedule(conn: Connection, due: Mapping[str, int]) -> None:
    await conn.executemany(_RESCHEDULE, ({"b_id": k, "b_due_at": v} for k, v in due.items()))


async def insert_attempts(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    await conn.executemany(_INSERT_ATTEMPT, rows)


async def open_attempts(conn: Connection, message_ids: Sequence[str]) -> list[Row]:
    """Attempts still in flight (their worker died before recording the carrier's answer)."""
    return await conn.fetch(_OPEN_ATTEMPTS, {"ids": list(message_ids)})


async def last_failures(
    conn: Connection, message_ids: Sequence[str], uncertain: str
) -> tuple[dict[str, str], dict[str, str]]:
    """For messages back in the queue, the carrier their last attempt failed on: those that
    failed for sure, and those that may have gone out (error code ``uncertain``)."""
    last: dict[str, Row] = {}
    for r in await conn.fetch(_LAST_ATTEMPTS, {"ids": list(message_ids)}):
        last[r["message_id"]] = r
    failed: dict[str, str] = {}
    unsure: dict[str, str] = {}
    for mid, r in last.items():
        if r["status"] == "transient":
            (unsure if r["error_code"] == uncertain else failed)[mid] = r["carrier"]
    return failed, unsure


async def update_attempts(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    await conn.executemany(_UPDATE_ATTEMPT, ({f"b_{k}": v for k, v in r.items()} for r in rows))


async def park_orphans(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Keep receipts that arrived before we stored the carrier's id for their message."""
    await parking.park(conn, parking.MESSAGE, rows)


async def take_orphans(conn: Connection, carrier: str, carrier_ids: Sequence[str]) -> list[Row]:
    """Remove and return parked receipts for these carrier ids."""
    if not carrier_ids or not await parking.any_parked(conn, parking.MESSAGE):
        return []
    rows = await parking.parked_for(conn, parking.MESSAGE, carrier, carrier_ids)
    await parking.unpark(conn, [r["id"] for r in rows])
    return rows


async def oldest_orphans(conn: Connection, limit: int) -> list[Row]:
    return await parking.oldest(conn, parking.MESSAGE, limit)


async def delete_orphans(conn: Connection, ids: Sequence[int]) -> None:
    await parking.unpark(conn, ids)
