"""Limits shared by the processes of one database, on both databases: bind slots held
under leases, send time reserved so that reservations never overlap, and messages handed
over by a process without the carrier's binds to the process that has them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import cast

import pytest
from sqlalchemy import func, select, update

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.carriers.base import Carrier, Submission, SubmitOutcome, SubmitResult
from signalpost.carriers.http import ProviderConfig, SentDmCarrier
from signalpost.carriers.limits import SharedRate, SlotLeases
from signalpost.carriers.registry import CarrierRegistry
from signalpost.config import Settings
from signalpost.context import Context
from signalpost.dispatch.service import Dispatcher, DispatchPolicy
from signalpost.egress import Reply
from signalpost.messages import service as messages
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.storage import Connection, Database, Query, clock_us
from signalpost.storage import limits as store
from signalpost.storage.tables import (
    activities,
    carrier_holders,
    carrier_rates,
    carrier_slots,
    dispatch_queue,
)
from tests.support.databases import DbTarget
from tests.support.scripted_provider import Call, ScriptedClient, answer


async def test_slots_spread_over_the_processes_and_change_hands_only_when_free(
    db: Database,
) -> None:
    async def take(holder: str, now: int, count: int = 2, carrier: str = "c") -> list[int]:
        async with db.transaction() as conn:
            return await store.take_slots(
                conn, carrier, count, holder, now=now, lease_until=now + 1000
            )

    assert await take("a", 1000) == [0, 1]  # alone: every slot
    assert await take("b", 1500) == []  # both leased to a until 2000
    assert await take("a", 1900) == [0]  # two processes: a keeps its share, one slot
    assert await take("b", 1999) == []  # slot 1 is a's until its lease runs out
    assert await take("b", 2000) == [1]
    assert await take("a", 2600) == [0]  # b stops renewing (it died) ...
    assert await take("a", 3000) == [0, 1]  # ... and its slot and its share are a's
    assert await take("a", 3000, count=1, carrier="d") == [0]  # another carrier's own
    async with db.transaction() as conn:
        assert await store.release_slots(conn, "c", "a") == 2  # a clean stop
    assert await take("b", 3001) == [0, 1]
    assert await take("a", 3100) == []  # a is back: b's slots are leased ...
    assert await take("b", 3200) == [0]  # ... b keeps its share and, done with slot 1,
    async with db.transaction() as conn:  # frees it
        assert await store.give_up_slot(conn, "c", "b", 1)
        assert not await store.give_up_slot(conn, "c", "a", 0)  # not a's to free
    assert await take("a", 3300) == [1]
    async with db.transaction() as conn:
        await store.release_slots(conn, "c", "a")
    assert await take("b", 3001) == [0, 1]
    assert await take("b", 3002, count=1) == [0]  # fewer binds: slot 1 is never held again
    async with db.reader() as conn:
        holders = await store.slot_holders(conn, "c")
    assert holders == [(0, "b", 4002), (1, "b", 4001)]


async def test_reservations_of_send_time_never_overlap(db: Database) -> None:
    async with db.transaction() as conn:
        assert await store.reserve(conn, "r", now=1000, span=100) == 1000
        assert await store.reserve(conn, "r", now=1010, span=100) == 1100
        assert await store.reserve(conn, "r", now=1020, span=50) == 1200
        assert await store.reserve(conn, "other", now=1020, span=50) == 1020
        # an idle rate saves no credit: the next reservation starts now
        assert await store.reserve(conn, "r", now=9000, span=100) == 9000


async def test_a_process_takes_the_slots_another_one_gave_up_or_left(db: Database) -> None:
    first = SlotLeases(db, "smsc", 2, lease_seconds=30)
    second = SlotLeases(db, "smsc", 2, lease_seconds=30)
    await first.start()
    await second.start()
    try:
        assert (first.held, second.held) == ([0, 1], [])
        assert (first.held_elsewhere, second.held_elsewhere) == (False, True)
        assert await second.renew() == []
        await first.stop()  # a clean stop gives the slots back at once
        assert await second.renew() == [0, 1]
        assert second.grants[0].held.is_set()
        assert not second.grants[1].lost.is_set()

        third = SlotLeases(db, "smsc", 2, lease_seconds=30)
        await third.start()
        try:
            assert third.held == []  # its share is one slot, but both are leased
            assert await second.renew() == [0]  # its share is one now: slot 1 is freed
            assert await _renewed_until(third, [1]) == [1]
            assert await second.renew() == [0]
            # the second process dies (it stops renewing) and its leases run out
            async with db.transaction() as conn:
                await conn.execute(Query(update(carrier_slots).values(lease_until=0)))
                await conn.execute(Query(update(carrier_holders).values(seen_until=0)))
            assert await third.renew() == [0, 1]
            assert await second.renew() == []  # had it been alive: it unbinds
            assert second.grants[0].lost.is_set()
        finally:
            await third.stop()
    finally:
        await second.stop()


async def test_a_send_now_and_then_reserves_no_more_than_itself(db: Database) -> None:
    rate = SharedRate(db, "slow", 100)  # batches of up to 10 sends, 10 ms each
    await rate.wait()
    async with db.reader() as conn:
        after = await clock_us(conn)
        next_at = await conn.fetchval(Query(select(carrier_rates.c.next_at)))
    assert rate.reservations == 1
    assert next_at - after <= 10_000  # one send's time, not a batch's


class _SlowRoundTrips:
    """The database as a far or busy one answers: every commit takes a while to come back."""

    def __init__(self, db: Database, delay: float) -> None:
        self._db = db
        self._delay = delay

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self._db.transaction() as conn:
            yield conn
        await asyncio.sleep(self._delay)  # the commit's round trip, not a wait for an event


async def test_send_time_reserved_over_a_slow_round_trip_is_used(db: Database) -> None:
    """A reservation answered later than a send may lag is still the send's: it is not
    mistaken for time reserved while idle and thrown away for another round trip."""
    slow = cast(Database, _SlowRoundTrips(db, 0.05))
    rate = SharedRate(slow, "far", 100)  # a send may go 20 ms late; the answer takes 50
    await rate.wait()
    assert rate.reservations == 1


async def test_a_shared_rate_reserves_send_time_in_batches(db: Database) -> None:
    rate = SharedRate(db, "fast", 10_000)
    sends = rate.batch * 3
    for _ in range(sends):
        await rate.wait()
    # a round trip per batch (the next one fetched while the last is used), not per send
    assert 3 <= rate.reservations <= sends // 10
    async with db.reader() as conn:
        next_at = await conn.fetchval(Query(select(func.max(carrier_rates.c.next_at))))
    assert next_at > 0


def _sms(n: int) -> Submission:
    return Submission(f"a-{n}", f"m-{n}", f"+1415555{1000 + n}", None, "hi", "sms", "gsm7", 1, 0)


async def test_an_http_providers_rate_is_shared_by_its_carriers(db: Database) -> None:
    """Two carriers of one provider (as in two processes) draw on one rate: together they
    reserve at least a send slot per request, one after another."""

    def accepted(call: Call) -> Reply:
        data = {"recipients": [{"message_id": f"up-{len(call.body)}", "to": "+1"}]}
        return answer(202, {"success": True, "data": data, "error": None})

    config = ProviderConfig(
        name="up", kind="sentdm", base_url="http://upstream.test", api_key="k", rate=2000
    )
    carriers = [SentDmCarrier(config, db, ScriptedClient(accepted)) for _ in range(2)]
    async with db.reader() as conn:
        started = await clock_us(conn)
    batches = [[_sms(n) for n in range(k * 100, k * 100 + 100)] for k in range(2)]
    pairs = zip(carriers, batches, strict=True)
    results = await asyncio.gather(*(c.submit(b) for c, b in pairs))
    for carrier in carriers:
        await carrier.stop()
    assert {r.outcome for batch in results for r in batch} == {SubmitOutcome.ACCEPTED}
    async with db.reader() as conn:
        next_at = await conn.fetchval(Query(select(carrier_rates.c.next_at)))
    assert next_at - started >= 200 * 1_000_000 // 2000  # 200 requests at 2000/s


async def _renewed_until(leases: SlotLeases, wanted: list[int]) -> list[int]:
    """Renew until ``wanted`` is held (a slot given up is freed in the background)."""
    for _ in range(200):
        if await leases.renew() == wanted:
            return wanted
        await asyncio.sleep(0.01)
    raise AssertionError(f"{leases.holder} holds {leases.held}, not {wanted}")


class Recording(Carrier):
    """Accepts everything; ``elsewhere`` says other processes hold all of it."""

    def __init__(self, name: str, *, elsewhere: bool = False) -> None:
        self.name = name
        self.elsewhere = elsewhere
        self.seen: list[str] = []

    @property
    def available(self) -> bool:
        return not self.elsewhere

    @property
    def served_elsewhere(self) -> bool:
        return self.elsewhere

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        self.seen += [s.message_id for s in batch]
        return [
            SubmitResult(s.attempt_id, SubmitOutcome.ACCEPTED, f"{self.name}-{s.message_id}")
            for s in batch
        ]


@pytest.fixture
async def ctx(db_target: DbTarget) -> AsyncIterator[Context]:
    settings = Settings(database_url=db_target.url, database_schema=db_target.schema)
    context = await Context.open(settings)
    yield context
    await context.close()


def _dispatcher(ctx: Context, primary: Recording, fallback: Recording) -> Dispatcher:
    registry = CarrierRegistry([primary, fallback], default=None)
    registry.add_route("+1", primary.name, fallbacks=[fallback.name])
    return Dispatcher(ctx.db, ctx.recorder, registry, DispatchPolicy())


async def test_messages_go_to_the_process_that_holds_the_binds(ctx: Context) -> None:
    async with ctx.db.transaction() as conn:
        org = await accounts.create_organization(conn, "Test")
        scope = Scope(org.id, None)
        numbers = [f"+1415555{1000 + i}" for i in range(5)]
        spec = SendSpec(recipients=tuple(RecipientSpec(n) for n in numbers), text="hello")
        ids = [m.id for m in (await messages.send(conn, ctx.send_policy, scope, spec)).messages]

    unbound, fallback = Recording("smsc", elsewhere=True), Recording("backup")
    without_binds = _dispatcher(ctx, unbound, fallback)
    assert await without_binds.run_once("b") == 5
    async with ctx.db.reader() as conn:
        rows = await conn.fetch(Query(select(dispatch_queue.c.for_carrier)))
        steps = await conn.fetchval(Query(select(func.count()).select_from(activities)))
        listed = [await messages.get_message(conn, scope, mid, with_events=False) for mid in ids]
    assert [r[0] for r in rows] == ["smsc"] * 5
    assert {m.status for m in listed} == {"queued"}  # untouched: no attempt, no failover
    assert (unbound.seen, fallback.seen) == ([], [])
    assert await without_binds.run_once("b") == 0  # passed by from now on

    holder = Recording("smsc")
    with_binds = _dispatcher(ctx, holder, Recording("backup"))
    assert await with_binds.run_once("a") == 5
    async with ctx.db.reader() as conn:
        listed = [await messages.get_message(conn, scope, mid, with_events=False) for mid in ids]
        after = await conn.fetchval(Query(select(func.count()).select_from(activities)))
    assert sorted(holder.seen) == sorted(ids)
    assert {(m.status, m.carrier, m.attempts) for m in listed} == {("sent", "smsc", 1)}
    assert after > steps
