"""The webhook engine in-process on both databases: outbox, claims, recording, delivery."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest
from standardwebhooks import Webhook

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.config import Settings
from signalpost.context import Context
from signalpost.messages import service as messages
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.storage import Connection
from signalpost.timeutil import now_us
from signalpost.webhooks import repository as repo
from signalpost.webhooks import service as webhooks
from signalpost.webhooks.schemas import AttemptResult, Endpoint, EndpointPatch, EndpointSpec
from signalpost.webhooks.worker import Claimed, Outcome, record_outcomes
from tests.support.databases import DbTarget
from tests.support.webhook_receiver import Receiver, running_receiver

OpenContext = Callable[..., Awaitable[Context]]

FAST = {
    "simulator_latency_ms": 0,
    "retry_base_seconds": 0.01,
    "dispatch_poll_interval": 0.01,
    "allow_private_webhooks": True,
    "webhook_retry_base_seconds": 0.05,
    "webhook_retry_max_seconds": 0.2,
    "webhook_timeout_seconds": 5.0,
    "webhook_poll_interval": 0.02,
    "workers": 1,
}


@pytest.fixture
async def open_ctx(db_target: DbTarget) -> AsyncIterator[OpenContext]:
    opened: list[Context] = []

    async def open_(**overrides: Any) -> Context:
        settings = Settings(
            database_url=db_target.url,
            database_schema=db_target.schema,
            **{**FAST, **overrides},
        )
        context = await Context.open(settings)
        opened.append(context)
        return context

    yield open_
    for context in opened:
        await context.close()


@pytest.fixture
async def ctx(open_ctx: OpenContext) -> Context:
    return await open_ctx()


@pytest.fixture
def receiver() -> Any:
    with running_receiver() as rx:
        yield rx


async def _scope(ctx: Context, name: str = "Test") -> Scope:
    async with ctx.db.transaction() as conn:
        org = await accounts.create_organization(conn, name)
    return Scope(org.id, None)


async def _endpoint(ctx: Context, scope: Scope, url: str, **kw: Any) -> Endpoint:
    async with ctx.db.transaction() as conn:
        spec = EndpointSpec(url=url, **kw)
        return await webhooks.create_endpoint(conn, ctx.webhooks, scope, spec)


def _spec(count: int, start: int = 1000) -> SendSpec:
    numbers = tuple(RecipientSpec(f"+1415555{start + i}") for i in range(count))
    return SendSpec(recipients=numbers, text="hello")


async def _send(ctx: Context, scope: Scope, count: int, start: int = 1000) -> list[str]:
    async with ctx.db.transaction() as conn:
        result = await messages.send(conn, ctx.send_policy, scope, _spec(count, start))
    return [m.id for m in result.messages]


async def _events(conn: Connection, scope: Scope, endpoint: Endpoint) -> list[Any]:
    return await webhooks.list_deliveries(conn, scope, endpoint.id, limit=1000)


async def _wait(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


# --------------------------------------------------------------------------- outbox


async def test_events_are_written_with_the_state_change(ctx: Context) -> None:
    scope = await _scope(ctx)
    everything = await _endpoint(ctx, scope, "http://127.0.0.1:9/all")
    delivered_only = await _endpoint(
        ctx, scope, "http://127.0.0.1:9/d", event_types=("message.delivered",)
    )
    ids = await _send(ctx, scope, 3)
    async with ctx.db.reader() as conn:
        rows = await _events(conn, scope, everything)
        assert await _events(conn, scope, delivered_only) == []
    assert sorted(r.message_id for r in rows) == sorted(ids)
    assert {r.event_type for r in rows} == {"message.queued"}
    assert len({r.id for r in rows}) == 3
    body = orjson.loads(rows[0].payload)
    assert body["id"] == rows[0].id
    assert body["data"]["status"] == "queued"
    assert body["data"]["activity"]["status"] == "queued"


async def test_a_rolled_back_send_leaves_no_event(ctx: Context) -> None:
    scope = await _scope(ctx)
    endpoint = await _endpoint(ctx, scope, "http://127.0.0.1:9/hook")

    async def send_then_crash() -> None:
        async with ctx.db.transaction() as conn:
            await messages.send(conn, ctx.send_policy, scope, _spec(2))
            raise RuntimeError("crash after the send, before commit")

    with pytest.raises(RuntimeError, match="crash"):
        await send_then_crash()
    async with ctx.db.reader() as conn:
        assert await _events(conn, scope, endpoint) == []


async def test_endpoint_changes_reach_the_outbox_at_once(ctx: Context) -> None:
    scope = await _scope(ctx)
    await _send(ctx, scope, 1, 1000)  # caches "no endpoints" for this tenant
    endpoint = await _endpoint(ctx, scope, "http://127.0.0.1:9/hook")
    await _send(ctx, scope, 1, 1001)
    async with ctx.db.transaction() as conn:
        patch = EndpointPatch(enabled=False)
        await webhooks.update_endpoint(conn, ctx.webhooks, scope, endpoint.id, patch)
    await _send(ctx, scope, 1, 1002)
    async with ctx.db.reader() as conn:
        rows = await _events(conn, scope, endpoint)
        stored = await webhooks.get_endpoint(conn, scope, endpoint.id)
    # Waiting or written while disabled: kept paused, delivered once it is enabled again.
    assert [r.status for r in rows] == ["paused", "paused"]
    assert stored.enabled is False
    assert stored.disabled_reason == "Disabled through the API"


# --------------------------------------------------------------------------- claims


async def _insert(ctx: Context, endpoint: Endpoint, count: int, due: int) -> None:
    rows = [
        {
            "id": str(uuid.uuid4()),
            "endpoint_id": endpoint.id,
            "tenant_id": endpoint.tenant_id,
            "event_type": "message.sent",
            "message_id": None,
            "payload": "{}",
            "status": "pending",
            "attempts": 0,
            "due_at": due,
            "leased_by": None,
            "created_at": due,
            "finished_at": None,
            "last_status_code": None,
            "last_error": None,
        }
        for n in range(count)
    ]
    async with ctx.db.transaction() as conn:
        await repo.insert_events(conn, rows)


async def _claim(ctx: Context, now: int, busy: list[str], lease: int = 1_000_000) -> list[Any]:
    async with ctx.db.transaction() as conn:
        return await repo.claim(
            conn,
            now=now,
            lease_until=now + lease,
            token="t",
            limit=50,
            per_endpoint=4,
            busy=busy,
        )


async def test_claims_share_out_endpoints_and_lease_events(ctx: Context) -> None:
    scope = await _scope(ctx)
    backlog = await _endpoint(ctx, scope, "http://127.0.0.1:9/a")
    other = await _endpoint(ctx, scope, "http://127.0.0.1:9/b")
    now = now_us()
    await _insert(ctx, backlog, 30, now - 10_000_000)  # older: first in due order
    await _insert(ctx, other, 3, now)
    first = await _claim(ctx, now, [])
    counts = {e: sum(1 for r in first if r["endpoint_id"] == e) for e in (backlog.id, other.id)}
    assert counts == {backlog.id: 4, other.id: 3}
    assert {r["endpoint_id"] for r in await _claim(ctx, now, [backlog.id])} == set()
    second = await _claim(ctx, now, [])
    assert len(second) == 4
    assert {r["endpoint_id"] for r in second} == {backlog.id}
    assert not {r["id"] for r in first} & {r["id"] for r in second}
    after_lease = await _claim(ctx, now + 2_000_000, [backlog.id])
    assert {r["id"] for r in after_lease} == {
        r["id"] for r in first if r["endpoint_id"] == other.id
    }


async def test_endpoints_behind_another_backlog_get_their_share(ctx: Context) -> None:
    # A claim looks at a window of 10 x limit due events; an endpoint whose events all lie
    # behind a longer, older backlog is found past the window, busy or not.
    scope = await _scope(ctx)
    backlog = await _endpoint(ctx, scope, "http://127.0.0.1:9/a")
    quiet = await _endpoint(ctx, scope, "http://127.0.0.1:9/b")
    now = now_us()
    await _insert(ctx, backlog, 60, now - 10_000_000)
    await _insert(ctx, quiet, 3, now)

    async def claim(busy: list[str], limit: int) -> list[str]:
        async with ctx.db.transaction() as conn:
            rows = await repo.claim(
                conn,
                now=now,
                lease_until=now + 1_000_000,
                token="t",
                limit=limit,
                per_endpoint=2,
                busy=busy,
            )
        return sorted(r["endpoint_id"] for r in rows)

    assert await claim([backlog.id], limit=2) == [quiet.id, quiet.id]
    shared = await claim([], limit=3)  # the window holds only the backlog
    assert shared == sorted([backlog.id, backlog.id, quiet.id])
    assert await claim([backlog.id], limit=2) == []  # nothing else is due


async def test_outcomes_reschedule_give_up_and_disable(open_ctx: OpenContext) -> None:
    ctx = await open_ctx(webhook_disable_after_seconds=0.001, webhook_disable_min_failures=3)
    scope = await _scope(ctx)
    endpoint = await _endpoint(ctx, scope, "http://127.0.0.1:9/a", max_attempts=2)
    now = now_us()
    await _insert(ctx, endpoint, 3, now)
    claimed = [Claimed.from_row(r, "t") for r in await _claim(ctx, now, [])]
    assert len(claimed) == 3

    def failed(event: Claimed, at: int) -> Outcome:
        result = AttemptResult(False, None, 1, None, "connect: refused", at)
        return Outcome(event, result, max_attempts=2)

    async with ctx.db.transaction() as conn:
        first = await record_outcomes(conn, ctx.webhooks.policy, [failed(claimed[0], now)], now)
    assert first == []
    async with ctx.db.reader() as conn:
        delivery, attempts = await webhooks.get_delivery(conn, scope, claimed[0].id)
    assert delivery.status == "pending"
    assert delivery.attempts == 1
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at > now
    assert [(a.attempt_no, a.ok, a.error) for a in attempts] == [(1, False, "connect: refused")]

    retried = dataclasses.replace(claimed[0], attempts=1)
    later = now + 10_000
    async with ctx.db.transaction() as conn:
        await repo.retry_event(conn, scope.tenant_id, retried.id, later)
        await repo.claim(
            conn, now=later, lease_until=later + 10**6, token="t", limit=1, per_endpoint=1, busy=[]
        )
        outcomes = [failed(retried, later), failed(claimed[1], later)]
        disabled = await record_outcomes(conn, ctx.webhooks.policy, outcomes, later + 5_000)
    assert [r["id"] for r in disabled] == [endpoint.id]
    async with ctx.db.reader() as conn:
        gave_up, _ = await webhooks.get_delivery(conn, scope, retried.id)
        stored = await webhooks.get_endpoint(conn, scope, endpoint.id)
    assert gave_up.status == "failed"
    assert gave_up.attempts == 2
    assert stored.enabled is False
    assert stored.consecutive_failures == 3
    assert stored.disabled_reason is not None
    assert "connect: refused" in stored.disabled_reason


# --------------------------------------------------------------------------- delivery


async def test_every_event_is_delivered_signed(ctx: Context, receiver: Receiver) -> None:
    scope = await _scope(ctx)
    endpoint = await _endpoint(ctx, scope, receiver.url())
    pool = ctx.worker_pool()
    await pool.start()
    try:
        ids = await _send(ctx, scope, 20)
        await _wait(lambda: len(receiver.requests()) >= 60)
    finally:
        await pool.stop()
    verifier = Webhook(endpoint.secret)
    seen: dict[str, set[str]] = {}
    for request in receiver.requests():
        event = verifier.verify(request.body, request.headers)
        assert request.headers["webhook-id"] == event["id"]
        seen.setdefault(event["data"]["id"], set()).add(event["type"])
    assert set(seen) == set(ids)
    assert all(t == {"message.queued", "message.sent", "message.delivered"} for t in seen.values())
    async with ctx.db.reader() as conn:
        attempts = await webhooks.list_attempts(conn, scope, limit=1000)
    assert len(attempts) == 60
    assert all(a.ok and a.status_code == 200 and a.response_body == "ok" for a in attempts)


async def test_failures_are_retried_until_the_receiver_answers(
    ctx: Context, receiver: Receiver
) -> None:
    scope = await _scope(ctx)
    endpoint = await _endpoint(ctx, scope, receiver.url())
    receiver.answer("/hook", status=503)
    worker = ctx.webhooks.worker()
    await worker.start()
    try:
        await _send(ctx, scope, 3)
        await _wait(lambda: len(receiver.requests()) >= 9)
        receiver.answer("/hook", status=200)
        async with ctx.db.reader() as conn:
            await _wait_delivered(ctx, scope, endpoint, 3)
            rows = await _events(conn, scope, endpoint)
            _, attempts = await webhooks.get_delivery(conn, scope, rows[0].id)
    finally:
        await worker.stop()
    assert all(r.status == "delivered" for r in rows)
    assert [a.status_code for a in attempts][-1] == 200
    assert {a.error for a in attempts[:-1]} == {"HTTP 503"}
    assert len(attempts) >= 2
    ids = {r.headers["webhook-id"] for r in receiver.requests()}
    assert ids == {r.id for r in rows}  # retries reuse the event id


async def _wait_delivered(ctx: Context, scope: Scope, endpoint: Endpoint, count: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        async with ctx.db.reader() as conn:
            rows = await _events(conn, scope, endpoint)
        if len([r for r in rows if r.status == "delivered"]) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("events were not delivered in time")


async def test_a_slow_endpoint_does_not_hold_up_another(
    open_ctx: OpenContext, receiver: Receiver
) -> None:
    ctx = await open_ctx(webhook_endpoint_concurrency=2)
    slow_tenant, fast_tenant = await _scope(ctx, "Slow"), await _scope(ctx, "Fast")
    receiver.answer("/slow", delay=2.0)
    await _endpoint(ctx, slow_tenant, receiver.url("/slow"))
    await _endpoint(ctx, fast_tenant, receiver.url("/fast"))
    worker = ctx.webhooks.worker()
    await worker.start()
    try:
        await _send(ctx, slow_tenant, 20, 1000)
        await asyncio.sleep(0.2)
        started = time.time()
        await _send(ctx, fast_tenant, 10, 2000)
        await _wait(lambda: len(receiver.requests("/fast")) >= 10, timeout=10)
        elapsed = time.time() - started
        slow_done = len(receiver.requests("/slow"))
    finally:
        await worker.stop(grace=0.1)
    assert elapsed < 1.5
    assert slow_done <= 4  # two at a time, two seconds each: the slow backlog is still waiting


# --------------------------------------------------------------------------- SSRF at delivery


async def test_delivery_refuses_local_targets_when_not_allowed(open_ctx: OpenContext) -> None:
    ctx = await open_ctx(allow_private_webhooks=False)
    result = await ctx.webhooks.deliverer.post("http://127.0.0.1:9/hook", b"{}", {})
    assert not result.ok
    assert result.status_code is None
    assert result.error is not None
    assert result.error.startswith("refused:")
