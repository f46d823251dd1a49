"""Dispatch in-process on both databases: outcomes, crash recovery by lease, receipts, expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import bindparam, func, select, update

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.carriers.base import Receipt
from signalpost.config import Settings
from signalpost.context import Context
from signalpost.domain.lifecycle import Status
from signalpost.messages import service as messages
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.storage import Query
from signalpost.storage.tables import dispatch_queue, sim_submits, submit_attempts
from signalpost.timeutil import now_us
from tests.support.databases import DbTarget

_ACCEPTED = Query(
    select(func.count()).select_from(sim_submits).where(sim_submits.c.accepted.is_(True))
)
_END_LEASES = Query(
    update(dispatch_queue)
    .where(dispatch_queue.c.leased_by == bindparam("worker"))
    .values(due_at=bindparam("now"))
)
_ATTEMPTS = Query(select(submit_attempts.c.status, func.count()).group_by(submit_attempts.c.status))


@pytest.fixture
async def ctx(db_target: DbTarget) -> AsyncIterator[Context]:
    settings = Settings(
        database_url=db_target.url,
        database_schema=db_target.schema,
        simulator_latency_ms=0,
        retry_base_seconds=0.01,
        dispatch_lease_seconds=0.2,
    )
    context = await Context.open(settings)
    yield context
    await context.close()


async def _scope(ctx: Context) -> Scope:
    async with ctx.db.transaction() as conn:
        org = await accounts.create_organization(conn, "Test")
    return Scope(org.id, None)


async def _send(
    ctx: Context, scope: Scope, *numbers: str, channels: tuple[str, ...] = ("sms",)
) -> list[str]:
    spec = SendSpec(
        recipients=tuple(RecipientSpec(n) for n in numbers), channels=channels, text="hello"
    )
    async with ctx.db.transaction() as conn:
        result = await messages.send(conn, ctx.send_policy, scope, spec)
    return [m.id for m in result.messages]


async def _drain(ctx: Context, rounds: int = 200) -> None:
    simulator = ctx.carriers.carriers["simulator"]
    assert hasattr(simulator, "deliver_due")
    for _ in range(rounds):
        claimed = await ctx.dispatcher.run_once("test")
        delivered = await simulator.deliver_due(ctx.dispatcher.apply_receipts)
        if not claimed and not delivered:
            await asyncio.sleep(0.02)
            if not await ctx.dispatcher.run_once("test") and not await simulator.deliver_due(
                ctx.dispatcher.apply_receipts
            ):
                return


async def _statuses(ctx: Context, scope: Scope, ids: list[str]) -> list[str]:
    async with ctx.db.reader() as conn:
        return [(await messages.get_message(conn, scope, i, with_events=False)).status for i in ids]


async def test_outcomes_by_destination(ctx: Context) -> None:
    scope = await _scope(ctx)
    ids = await _send(
        ctx, scope, "+14155551234", "+14155550001", "+14155550002", "+14155550003", "+14155550004"
    )
    for _ in range(5):
        await _drain(ctx)
        await asyncio.sleep(0.05)
    assert await _statuses(ctx, scope, ids) == [
        "delivered",
        "failed",
        "rejected",
        "expired",
        "delivered",
    ]
    async with ctx.db.reader() as conn:
        flaky = await messages.get_message(conn, scope, ids[-1])
        attempts = {r[0]: r[1] for r in await conn.fetch(_ATTEMPTS)}
    assert flaky.attempts == 3
    assert attempts == {"accepted": 5, "transient": 2}


async def test_claimed_work_of_a_dead_worker_is_resumed_without_a_second_send(ctx: Context) -> None:
    scope = await _scope(ctx)
    ids = await _send(ctx, scope, "+14155551234", "+14155551235")
    # A worker claims and records its in-flight attempts, submits, then dies before recording.
    now = now_us()
    async with ctx.db.transaction() as conn:
        from signalpost.dispatch import repository as queue

        claimed = await queue.claim(
            conn, now=now, lease_until=now + 3600 * 1_000_000, limit=10, worker="dead"
        )
        pending = await ctx.dispatcher._prepare(conn, [c[0] for c in claimed], now)
    await ctx.dispatcher._submit(pending)  # the carrier took them; the answer is never recorded
    assert await _statuses(ctx, scope, ids) == ["routed", "routed"]
    assert await ctx.dispatcher.run_once("alive") == 0  # still leased
    async with ctx.db.transaction() as conn:  # the dead worker's lease runs out
        await conn.execute(_END_LEASES, {"worker": "dead", "now": now_us()})
    await _drain(ctx)
    assert await _statuses(ctx, scope, ids) == ["delivered", "delivered"]
    async with ctx.db.reader() as conn:
        assert await conn.fetchval(_ACCEPTED) == 2


async def test_receipt_before_submit_is_recorded_is_parked_then_applied(ctx: Context) -> None:
    scope = await _scope(ctx)
    [message_id] = await _send(ctx, scope, "+14155551234")
    early = Receipt("carrier-id-1", Status.DELIVERED, now_us())
    await ctx.dispatcher.apply_receipts("simulator", [early])
    async with ctx.db.transaction() as conn:
        from signalpost.messages.transitions import Change

        await ctx.recorder.apply(
            conn,
            [
                Change(message_id, Status.PROCESSED, now_us()),
                Change(message_id, Status.ROUTED, now_us()),
            ],
        )
        await ctx.recorder.apply(
            conn,
            [
                Change(
                    message_id,
                    Status.SENT,
                    now_us(),
                    carrier="simulator",
                    carrier_message_id="carrier-id-1",
                    from_carrier=True,
                )
            ],
        )
    assert await ctx.dispatcher.retry_orphans() == 1
    assert await _statuses(ctx, scope, [message_id]) == ["delivered"]
    await ctx.dispatcher.apply_receipts("simulator", [early])  # a duplicate changes nothing
    async with ctx.db.reader() as conn:
        message = await messages.get_message(conn, scope, message_id)
    assert [e.status for e in message.events].count("delivered") == 1


async def _send_backdated(ctx: Context, scope: Scope, number: str, age_seconds: float) -> str:
    spec = SendSpec(recipients=(RecipientSpec(number),), text="x", validity_seconds=60)
    async with ctx.db.transaction() as conn:
        result = await messages.send(
            conn, ctx.send_policy, scope, spec, now=now_us() - int(age_seconds * 1_000_000)
        )
    return result.messages[0].id


async def test_silent_carrier_expires_at_validity_end(ctx: Context) -> None:
    scope = await _scope(ctx)
    message_id = await _send_backdated(ctx, scope, "+14155550005", 30)
    await _drain(ctx)
    assert await _statuses(ctx, scope, [message_id]) == ["sent"]
    assert await ctx.dispatcher.expire_due() == 0
    assert await ctx.dispatcher.expire_due(now=now_us() + 31 * 1_000_000) == 1
    assert await _statuses(ctx, scope, [message_id]) == ["expired"]


async def test_validity_ending_in_the_queue_expires_without_sending(ctx: Context) -> None:
    scope = await _scope(ctx)
    message_id = await _send_backdated(ctx, scope, "+14155551234", 61)
    await _drain(ctx)
    assert await _statuses(ctx, scope, [message_id]) == ["expired"]
    async with ctx.db.reader() as conn:
        assert await conn.fetchval(_ACCEPTED) == 0
