"""Failover between a route's carriers, on both databases: a transient failure moves the
message to the next carrier with the move in its activities; a submit whose answer was lost
goes back to the same carrier, never to another."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy import select

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.carriers.base import (
    NO_RESPONSE,
    Carrier,
    Submission,
    SubmitOutcome,
    SubmitResult,
)
from signalpost.carriers.registry import CarrierRegistry
from signalpost.config import Settings
from signalpost.context import Context
from signalpost.dispatch.service import Dispatcher, DispatchPolicy
from signalpost.messages import service as messages
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.storage import Query
from signalpost.storage.tables import activities
from tests.support.databases import DbTarget


class Scripted(Carrier):
    """Answers each submit with the next scripted error code, then accepts."""

    def __init__(self, name: str, errors: Sequence[str] = ()) -> None:
        self.name = name
        self.errors = list(errors)
        self.seen: list[str] = []

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        out = []
        for s in batch:
            self.seen.append(s.message_id)
            if self.errors:
                code = self.errors.pop(0)
                out.append(SubmitResult(s.attempt_id, SubmitOutcome.TRANSIENT, error_code=code))
            else:
                cid = f"{self.name}-{s.message_id}"
                out.append(
                    SubmitResult(s.attempt_id, SubmitOutcome.ACCEPTED, carrier_message_id=cid)
                )
        return out


@pytest.fixture
async def ctx(db_target: DbTarget) -> AsyncIterator[Context]:
    settings = Settings(database_url=db_target.url, database_schema=db_target.schema)
    context = await Context.open(settings)
    yield context
    await context.close()


async def _one_message(ctx: Context) -> tuple[Scope, str]:
    async with ctx.db.transaction() as conn:
        org = await accounts.create_organization(conn, "Test")
        scope = Scope(org.id, None)
        spec = SendSpec(recipients=(RecipientSpec("+14155551234"),), text="hello")
        result = await messages.send(conn, ctx.send_policy, scope, spec)
    return scope, result.messages[0].id


def _dispatcher(ctx: Context, a: Scripted, b: Scripted) -> Dispatcher:
    registry = CarrierRegistry([a, b], default=None)
    registry.add_route("+1", "a", fallbacks=["b"])
    policy = DispatchPolicy(retry_base_seconds=0.001, retry_max_seconds=0.001)
    return Dispatcher(ctx.db, ctx.recorder, registry, policy)


async def _run(dispatcher: Dispatcher, rounds: int = 20) -> None:
    for _ in range(rounds):
        await dispatcher.run_once("test")
        await asyncio.sleep(0.01)


async def test_a_transient_failure_moves_the_message_to_the_next_carrier(ctx: Context) -> None:
    a, b = Scripted("a", ["CONNECTION"]), Scripted("b")
    scope, mid = await _one_message(ctx)
    await _run(_dispatcher(ctx, a, b))
    async with ctx.db.reader() as conn:
        message = await messages.get_message(conn, scope, mid)
        reasons = await conn.fetch(
            Query(select(activities.c.status, activities.c.reason).order_by(activities.c.id))
        )
    assert (message.status, message.carrier, message.carrier_message_id) == (
        "sent",
        "b",
        f"b-{mid}",
    )
    assert (a.seen, b.seen) == ([mid], [mid])
    moves = [(r[0], r[1]) for r in reasons if r[1]]
    assert ("queued", "Carrier a failed (CONNECTION), failing over to b") in moves
    assert ("routed", "Failed over from a") in moves


async def test_a_lost_answer_is_asked_of_the_same_carrier_again(ctx: Context) -> None:
    a, b = Scripted("a", [NO_RESPONSE, NO_RESPONSE]), Scripted("b")
    scope, mid = await _one_message(ctx)
    await _run(_dispatcher(ctx, a, b))
    async with ctx.db.reader() as conn:
        message = await messages.get_message(conn, scope, mid, with_events=False)
    assert (message.status, message.carrier) == ("sent", "a")
    assert (a.seen, b.seen) == ([mid, mid, mid], [])


async def _many_messages(ctx: Context, count: int) -> tuple[Scope, list[str]]:
    async with ctx.db.transaction() as conn:
        org = await accounts.create_organization(conn, "Test")
        scope = Scope(org.id, None)
        recipients = tuple(RecipientSpec(f"+1415555{i:04d}") for i in range(count))
        result = await messages.send(conn, ctx.send_policy, scope, SendSpec(recipients, text="hi"))
    return scope, [m.id for m in result.messages]


async def test_a_weighted_route_sends_to_both_carriers_and_fails_over(ctx: Context) -> None:
    a, b = Scripted("a"), Scripted("b", ["CONNECTION"])  # b fails the first message it gets
    registry = CarrierRegistry([a, b], default=None)
    registry.add_route("+1", "a", fallbacks=["b"], weights=[3, 1])
    policy = DispatchPolicy(retry_base_seconds=0.001, retry_max_seconds=0.001)
    dispatcher = Dispatcher(ctx.db, ctx.recorder, registry, policy)
    scope, ids = await _many_messages(ctx, 60)
    for _ in range(10):  # a failover is due at once: the rounds end when nothing is left
        if not await dispatcher.run_once("test"):
            break
    async with ctx.db.reader() as conn:
        sent = [await messages.get_message(conn, scope, mid, with_events=False) for mid in ids]
        rows = await conn.fetch(
            Query(
                select(activities.c.message_id, activities.c.status, activities.c.reason).where(
                    activities.c.reason.is_not(None)
                )
            )
        )
    assert {m.status for m in sent} == {"sent"}
    on = {m.id: m.carrier for m in sent}
    assert set(on.values()) == {"a", "b"}  # the traffic is split (3 to 1 in expectation)
    moved = b.seen[0]  # failed on b, so it went to a and never back to b
    assert on[moved] == "a"
    assert b.seen.count(moved) == 1
    assert a.seen.count(moved) == 1
    moves = {(r[1], r[2]) for r in rows if r[0] == moved}
    assert ("queued", "Carrier b failed (CONNECTION), failing over to a") in moves
    assert ("routed", "Failed over from b") in moves
    assert sorted(a.seen + b.seen) == sorted([*ids, moved])  # nobody else sent twice
