"""Limits shared by every process on one database: slots and send rates of a carrier.

*Slots* (``carrier_slots``): a carrier has ``count`` numbered slots (an SMPP connection's
binds); a process holds a slot while its lease runs and renews it well before it runs out.
The processes sharing a carrier's slots say so in ``carrier_holders`` (under the same
lease), and each holds its share, ``ceil(count / processes)``, so that the slots spread
over them.  :func:`take_slots` renews the slots ``holder`` keeps (the lowest-numbered of
its share) and takes free ones (whose lease ran out: their holder stopped renewing, it
died or lost the database) up to its share; a slot beyond the share is no longer renewed,
and its holder frees it (:func:`give_up_slot`) once it no longer uses it, or else it is
free when its lease has run out; never while its holder may still use it.  On PostgreSQL
two processes taking the same free slot serialise on its row, and the second finds it
taken.  :func:`release_slots` gives a holder's slots back at once (a clean stop, after its
sessions are closed).

*Rates* (``carrier_rates``): one row per carrier holds ``next_at``, the start of the next
send slot nobody has reserved.  :func:`reserve` takes ``span`` microseconds of it (a batch
of sends, ``span = count / rate``) starting no earlier than now, so the reservations of
all processes never overlap and their total stays at the rate.  An idle carrier saves no
credit: a reservation starts at ``max(next_at, now)``.

Times are on :func:`signalpost.storage.clock_us`, the database server's clock on
PostgreSQL (processes on several machines agree on it), this machine's on SQLite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, case, delete, func, literal, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement

from signalpost.storage.db import Connection
from signalpost.storage.statements import Query, in_list
from signalpost.storage.tables import carrier_holders as h
from signalpost.storage.tables import carrier_rates as r
from signalpost.storage.tables import carrier_slots as s

__all__ = ["give_up_slot", "release_slots", "reserve", "slot_holders", "take_slots"]


def _insert_missing(table: Any, keys: list[str]) -> Any:
    def build(dialect: str) -> ClauseElement:
        module: Any = postgresql if dialect == "postgresql" else sqlite
        return module.insert(table).on_conflict_do_nothing(  # type: ignore[no-any-return]
            index_elements=keys
        )

    return build


_INSERT_SLOT = Query(_insert_missing(s, ["carrier", "slot"]))
_SLOT_COUNT = Query(select(func.count()).select_from(s).where(s.c.carrier == bindparam("carrier")))


def _present(dialect: str) -> ClauseElement:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(h).values(
        carrier=bindparam("carrier"), holder=bindparam("holder"), seen_until=bindparam("until")
    )
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["carrier", "holder"], set_={"seen_until": stmt.excluded.seen_until}
    )


_PRESENT = Query(_present)
_FORGET_GONE = Query(
    delete(h).where(h.c.carrier == bindparam("carrier"), h.c.seen_until <= bindparam("now"))
)
_FORGET = Query(
    delete(h).where(h.c.carrier == bindparam("carrier"), h.c.holder == bindparam("holder"))
)
_PRESENT_COUNT = Query(
    select(func.count()).select_from(h).where(h.c.carrier == bindparam("carrier"))
)
_MINE = Query(
    select(s.c.slot)
    .where(
        s.c.carrier == bindparam("carrier"),
        s.c.holder == bindparam("holder"),
        s.c.lease_until > bindparam("now"),
        s.c.slot < bindparam("count"),
    )
    .order_by(s.c.slot)
)
_RENEW = Query(
    lambda d: (
        update(s)
        .where(
            s.c.carrier == bindparam("carrier"),
            s.c.holder == bindparam("holder"),
            in_list(s.c.slot, "slots", d),
        )
        .values(lease_until=bindparam("lease_until"))
    )
)


def _take(dialect: str) -> ClauseElement:
    free = (
        select(s.c.slot)
        .where(
            s.c.carrier == bindparam("carrier"),
            s.c.slot < bindparam("count"),
            s.c.lease_until <= bindparam("now"),
        )
        .order_by(s.c.slot)
        .limit(bindparam("wanted"))
    )
    if dialect == "postgresql":
        free = free.with_for_update(skip_locked=True)
    return (
        update(s)
        .where(
            s.c.carrier == bindparam("carrier"),
            s.c.lease_until <= bindparam("now"),
            s.c.slot.in_(free.scalar_subquery()),
        )
        .values(holder=bindparam("holder"), lease_until=bindparam("lease_until"))
        .returning(s.c.slot)
    )


_TAKE = Query(_take)
_RELEASE = Query(
    update(s)
    .where(s.c.carrier == bindparam("carrier"), s.c.holder == bindparam("holder"))
    .values(holder=null(), lease_until=literal(0))
)
_GIVE_UP = Query(
    update(s)
    .where(
        s.c.carrier == bindparam("carrier"),
        s.c.holder == bindparam("holder"),
        s.c.slot == bindparam("slot"),
    )
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


async def take_slots(
    conn: Connection, carrier: str, count: int, holder: str, *, now: int, lease_until: int
) -> list[int]:
    """Say ``holder`` shares the first ``count`` slots of ``carrier`` until ``lease_until``,
    renew the slots of its share and take free ones up to it; returns the slots held."""
    if await conn.fetchval(_SLOT_COUNT, {"carrier": carrier}) < count:
        free = {"carrier": carrier, "holder": None, "lease_until": 0}
        await conn.executemany(_INSERT_SLOT, [{**free, "slot": n} for n in range(count)])
    who = {"carrier": carrier, "holder": holder}
    await conn.execute(_FORGET_GONE, {"carrier": carrier, "now": now})
    await conn.execute(_PRESENT, {**who, "until": lease_until})
    sharing = max(1, int(await conn.fetchval(_PRESENT_COUNT, {"carrier": carrier})))
    share = -(-count // sharing)
    mine = [int(r[0]) for r in await conn.fetch(_MINE, {**who, "now": now, "count": count})]
    keep = mine[:share]  # the rest is no longer renewed: others take it when it runs out
    if keep:
        await conn.execute(_RENEW, {**who, "slots": keep, "lease_until": lease_until})
    taken: list[int] = []
    if len(keep) < share:
        params = {
            **who,
            "count": count,
            "now": now,
            "wanted": share - len(keep),
            "lease_until": lease_until,
        }
        taken = [int(r[0]) for r in await conn.fetch(_TAKE, params)]
    return sorted(keep + taken)


async def release_slots(conn: Connection, carrier: str, holder: str) -> int:
    """Give back every slot of ``carrier`` that ``holder`` has and stop sharing them;
    returns how many slots it had."""
    await conn.execute(_FORGET, {"carrier": carrier, "holder": holder})
    return await conn.execute(_RELEASE, {"carrier": carrier, "holder": holder})


async def give_up_slot(conn: Connection, carrier: str, holder: str, slot: int) -> bool:
    """Free one slot ``holder`` has (its session closed); False if it was not its own."""
    params = {"carrier": carrier, "holder": holder, "slot": slot}
    return await conn.execute(_GIVE_UP, params) > 0


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
