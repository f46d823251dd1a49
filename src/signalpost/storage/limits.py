"""Limits shared by every process on one database: slots and send rates of a carrier.

*Slots* (``carrier_slots``): a carrier has ``count`` numbered slots (an SMPP connection's
binds); a process holds a slot while its lease runs and renews it well before it runs out.
:func:`take_slots` renews the slots ``holder`` has and takes those whose lease ran out
(their holder stopped renewing: it died, or lost the database), in one statement; on
PostgreSQL two processes taking the same free slot serialise on its row, and the second
finds it taken.  :func:`release_slots` gives them back at once (a clean stop).

*Rates* (``carrier_rates``): one row per carrier holds ``next_at``, the start of the next
send slot nobody has reserved.  :func:`reserve` takes ``span`` microseconds of it (a batch
of sends, ``span = count / rate``) starting no earlier than now, so the reservations of
all processes never overlap and their total stays at the rate.  An idle carrier saves no
credit: a reservation starts at ``max(next_at, now)``.

Times are on :func:`clock_us`, the database server's clock on PostgreSQL (processes on
several machines agree on it), this machine's on SQLite (one machine).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, bindparam, case, func, literal, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement

from signalpost.storage.db import Connection, Query
from signalpost.storage.tables import carrier_rates as r
from signalpost.storage.tables import carrier_slots as s
from signalpost.timeutil import now_us

__all__ = ["clock_us", "release_slots", "reserve", "slot_holders", "take_slots"]

_CLOCK = Query(
    select(func.floor(func.extract("epoch", func.clock_timestamp()) * 1_000_000).cast(BigInteger))
)


def _insert_missing(table: Any, keys: list[str]) -> Any:
    def build(dialect: str) -> ClauseElement:
        module: Any = postgresql if dialect == "postgresql" else sqlite
        return module.insert(table).on_conflict_do_nothing(  # type: ignore[no-any-return]
            index_elements=keys
        )

    return build


_INSERT_SLOT = Query(_insert_missing(s, ["carrier", "slot"]))
_SLOT_COUNT = Query(select(func.count()).select_from(s).where(s.c.carrier == bindparam("carrier")))
_TAKE = Query(
    update(s)
    .where(
        s.c.carrier == bindparam("carrier"),
        s.c.slot < bindparam("count"),
        (s.c.holder == bindparam("holder")) | (s.c.lease_until <= bindparam("now")),
    )
    .values(holder=bindparam("holder"), lease_until=bindparam("lease_until"))
    .returning(s.c.slot)
)
_RELEASE = Query(
    update(s)
    .where(s.c.carrier == bindparam("carrier"), s.c.holder == bindparam("holder"))
    .values(holder=null(), lease_until=literal(0))
)
_HOLDERS = Query(
    select(s.c.slot, s.c.holder, s.c.lease_until)
    .where(s.c.carrier == bindparam("carrier"))
    .order_by(s.c.slot)
)
_INSERT_RATE = Query(_insert_missing(r, ["carrier"]))
_RESERVE = Query(
    update(r)
    .where(r.c.carrier == bindparam("carrier"))
    .values(
        next_at=case((r.c.next_at > bindparam("now"), r.c.next_at), else_=bindparam("now"))
        + bindparam("span")
    )
    .returning(r.c.next_at)
)


async def clock_us(conn: Connection) -> int:
    """Now in microseconds on the clock every process sharing the database agrees on."""
    if conn.dialect != "postgresql":
        return now_us()
    return int(await conn.fetchval(_CLOCK))


async def take_slots(
    conn: Connection, carrier: str, count: int, holder: str, *, now: int, lease_until: int
) -> list[int]:
    """Renew ``holder``'s slots of ``carrier`` and take every free one of the first
    ``count``, all until ``lease_until``; returns the slots ``holder`` now has."""
    if await conn.fetchval(_SLOT_COUNT, {"carrier": carrier}) < count:
        rows = [
            {"carrier": carrier, "slot": n, "holder": None, "lease_until": 0} for n in range(count)
        ]
        await conn.executemany(_INSERT_SLOT, rows)
    params = {
        "carrier": carrier,
        "count": count,
        "holder": holder,
        "now": now,
        "lease_until": lease_until,
    }
    return sorted(int(row[0]) for row in await conn.fetch(_TAKE, params))


async def release_slots(conn: Connection, carrier: str, holder: str) -> int:
    """Give back every slot of ``carrier`` that ``holder`` has; returns how many."""
    return await conn.execute(_RELEASE, {"carrier": carrier, "holder": holder})


async def slot_holders(conn: Connection, carrier: str) -> list[tuple[int, str | None, int]]:
    """``(slot, holder, lease_until)`` of each slot of ``carrier``."""
    rows = await conn.fetch(_HOLDERS, {"carrier": carrier})
    return [(int(row[0]), row[1], int(row[2])) for row in rows]


async def reserve(conn: Connection, carrier: str, *, now: int, span: int) -> int:
    """Reserve ``span`` microseconds of ``carrier``'s send time; returns when it starts."""
    params = {"carrier": carrier, "now": now, "span": span}
    next_at = await conn.fetchval(_RESERVE, params)
    if next_at is None:
        await conn.execute(_INSERT_RATE, {"carrier": carrier, "next_at": 0})
        next_at = await conn.fetchval(_RESERVE, params)
    return int(next_at) - span
