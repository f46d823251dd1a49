"""Webhook engine edge cases on both databases: retries in flight, deletion in flight,
attempt logs."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.config import Settings
from signalpost.context import Context
from signalpost.messages import service as messages
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.storage import Query
from signalpost.storage.tables import webhook_attempts, webhook_events
from signalpost.timeutil import now_us
from signalpost.webhooks import repository as repo
from signalpost.webhooks import retention
from signalpost.webhooks import service as webhooks
from signalpost.webhooks.exceptions import DeliveryAlreadyDelivered, DeliveryInFlight
from signalpost.webhooks.schemas import Endpoint, EndpointPatch, EndpointSpec
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
    "webhook_timeout_seconds": 10.0,
    "webhook_poll_interval": 0.02,
    "workers": 1,
}

_ATTEMPTS = Query(select(func.count()).select_from(webhook_attempts))
_EVENTS = Query(select(func.count()).select_from(webhook_events))


@pytest.fixture
async def open_ctx(db_target: DbTarget) -> AsyncIterator[OpenContext]:
    opened: list[Context] = []

    async def open_(**overrides: Any) -> Context:
        settings = Settings(
            database_url=db_target.url, database_schema=db_target.schema, **{**FAST, **overrides}
        )
        context = await Context.open(settings)
        opened.append(context)
        return context

    yield open_
    for context in opened:
        await context.close()


@pytest.fixture
def receiver() -> Any:
    with running_receiver() as rx:
        yield rx


async def scope_of(ctx: Context, name: str = "Test") -> Scope:
    async with ctx.db.transaction() as conn:
        org = await accounts.create_organization(conn, name)
    return Scope(org.id, None)


async def endpoint_of(ctx: Context, scope: Scope, url: str, **kw: Any) -> Endpoint:
    async with ctx.db.transaction() as conn:
        return await webhooks.create_endpoint(conn, ctx.webhooks, scope, EndpointSpec(url, **kw))


async def send(ctx: Context, scope: Scope, count: int, start: int = 1000) -> list[str]:
    numbers = tuple(RecipientSpec(f"+1415555{start + i}") for i in range(count))
    async with ctx.db.transaction() as conn:
        result = await messages.send(
            conn, ctx.send_policy, scope, SendSpec(recipients=numbers, text="hello")
        )
    return [m.id for m in result.messages]


async def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def count(ctx: Context, query: Query) -> int:
    async with ctx.db.reader() as conn:
        row = await conn.fetchrow(query)
    assert row is not None
    return int(row[0])


# --------------------------------------------------------------------------- manual retries


async def test_a_retry_never_sends_an_event_in_flight_or_delivered_again(
    open_ctx: OpenContext, receiver: Receiver
) -> None:
    # The delivering process and the one handling the retry are separate engines with their
    # own connections, as two processes on one database are.
    delivering = await open_ctx(webhook_timeout_seconds=30)  # the held delivery stays in flight
    api = await open_ctx(webhook_delivery=False)
    scope = await scope_of(api)
    release = receiver.hold("/hook")
    endpoint = await endpoint_of(api, scope, receiver.url(), event_types=("message.queued",))
    worker = delivering.webhooks.worker()
    await worker.start()
    try:
        await send(api, scope, 1)
        await wait_for(lambda: len(receiver.requests()) == 1)
        event_id = receiver.requests()[0].headers["webhook-id"]
        async with api.db.transaction() as conn:
            with pytest.raises(DeliveryInFlight):
                await webhooks.retry_delivery(conn, api.webhooks, scope, event_id)
        release()

        async def delivered() -> bool:
            async with api.db.reader() as conn:
                shown, _ = await webhooks.get_delivery(conn, scope, event_id)
            return shown.status == "delivered"

        await wait_until(delivered)
        async with api.db.transaction() as conn:
            with pytest.raises(DeliveryAlreadyDelivered):
                await webhooks.retry_delivery(conn, api.webhooks, scope, event_id)
    finally:
        await worker.stop()
    assert [r.headers["webhook-id"] for r in receiver.requests()] == [event_id]
    async with api.db.reader() as conn:
        _, attempts = await webhooks.get_delivery(conn, scope, event_id)
    assert [(a.attempt_no, a.ok) for a in attempts] == [(1, True)]
    assert endpoint.id == attempts[0].endpoint_id


async def test_attempts_of_a_delivery_name_its_event_type(
    open_ctx: OpenContext, receiver: Receiver
) -> None:
    ctx = await open_ctx()
    scope = await scope_of(ctx)
    await endpoint_of(ctx, scope, receiver.url(), event_types=("message.delivered",))
    pool = ctx.worker_pool()
    await pool.start()
    try:
        await send(ctx, scope, 1)
        await wait_for(lambda: len(receiver.requests()) == 1)
        event_id = receiver.requests()[0].headers["webhook-id"]

        async def recorded() -> bool:
            async with ctx.db.reader() as conn:
                return bool((await webhooks.get_delivery(conn, scope, event_id))[1])

        await wait_until(recorded)
    finally:
        await pool.stop()
    async with ctx.db.reader() as conn:
        _, attempts = await webhooks.get_delivery(conn, scope, event_id)
    assert [a.event_type for a in attempts] == ["message.delivered"]


# --------------------------------------------------------------------------- deletion


async def test_deleting_an_endpoint_in_flight_leaves_nothing_behind(
    open_ctx: OpenContext, receiver: Receiver
) -> None:
    ctx = await open_ctx(webhook_timeout_seconds=30)  # the held deliveries stay in flight
    scope = await scope_of(ctx)
    release = receiver.hold("/hook")
    endpoint = await endpoint_of(ctx, scope, receiver.url(), event_types=("message.queued",))
    worker = ctx.webhooks.worker()
    await worker.start()
    try:
        await send(ctx, scope, 3)
        await wait_for(lambda: len(receiver.requests()) == 3)
        async with ctx.db.transaction() as conn:
            await webhooks.delete_endpoint(conn, ctx.webhooks, scope, endpoint.id)
        release()
        await wait_for(lambda: worker.active == 0)
    finally:
        await worker.stop()
    assert await count(ctx, _ATTEMPTS) == 0
    assert await count(ctx, _EVENTS) == 0


async def test_events_written_for_an_endpoint_deleted_elsewhere_are_removed(
    open_ctx: OpenContext, receiver: Receiver
) -> None:
    # A process whose endpoint cache has not yet seen the deletion writes events for it.
    stale = await open_ctx(webhook_endpoint_cache_seconds=3600, webhook_delivery=False)
    other = await open_ctx()
    scope = await scope_of(stale)
    endpoint = await endpoint_of(stale, scope, receiver.url(), event_types=("message.queued",))
    await send(stale, scope, 1, 1000)  # the stale process caches the endpoint
    async with other.db.transaction() as conn:
        await webhooks.delete_endpoint(conn, other.webhooks, scope, endpoint.id)
    await send(stale, scope, 2, 2000)
    assert await count(other, _EVENTS) == 2
    worker = other.webhooks.worker()
    await worker.start()
    try:

        async def gone() -> bool:
            return await count(other, _EVENTS) == 0

        await wait_until(gone)
    finally:
        await worker.stop()
    assert await count(other, _ATTEMPTS) == 0
    assert receiver.requests() == []


# --------------------------------------------------------------------------- fairness


async def test_hanging_receivers_leave_room_for_a_healthy_endpoint(
    open_ctx: OpenContext, receiver: Receiver
) -> None:
    # Eight endpoints whose receivers never answer within the test, each with a backlog
    # beyond its concurrency: together they could take every process slot.
    ctx = await open_ctx(webhook_timeout_seconds=25.0, webhook_delivery=False)
    slow_tenant, healthy_tenant = await scope_of(ctx, "Slow"), await scope_of(ctx, "Healthy")
    for n in range(8):
        receiver.answer(f"/slow{n}", delay=60.0)
        await endpoint_of(ctx, slow_tenant, receiver.url(f"/slow{n}"))
    await endpoint_of(ctx, healthy_tenant, receiver.url("/healthy"))
    pool, worker = ctx.worker_pool(), ctx.webhooks.worker()
    await pool.start()
    await worker.start()
    try:
        await send(ctx, slow_tenant, 8, 1000)  # 24 events per slow endpoint
        await wait_for(lambda: len(receiver.requests()) >= 32)
        await send(ctx, healthy_tenant, 5, 2000)
        # Every healthy event arrives while every slow request is still unanswered.
        await wait_for(lambda: len(receiver.requests("/healthy")) >= 15, timeout=15.0)
    finally:
        await worker.stop(grace=0.1)
        await pool.stop()
    slow = [r for r in receiver.requests() if r.path.startswith("/slow")]
    assert len(slow) <= ctx.webhooks.policy.concurrency - 1


# --------------------------------------------------------------------------- disabling


async def _stored(ctx: Context, scope: Scope, endpoint: Endpoint) -> Endpoint:
    async with ctx.db.reader() as conn:
        return await webhooks.get_endpoint(conn, scope, endpoint.id)


async def _statuses(ctx: Context, scope: Scope, endpoint: Endpoint) -> list[str]:
    async with ctx.db.reader() as conn:
        rows = await webhooks.list_deliveries(conn, scope, endpoint.id, limit=1000)
    return [r.status for r in rows]


async def test_sentdm_webhooks_are_disabled_after_ten_failed_events(
    open_ctx: OpenContext, receiver: Receiver
) -> None:
    ctx = await open_ctx()
    scope = await scope_of(ctx)
    receiver.answer("/sentdm", status=500)
    receiver.answer("/native", status=500)
    sentdm = await endpoint_of(ctx, scope, receiver.url("/sentdm"), dialect="sentdm")
    native = await endpoint_of(ctx, scope, receiver.url("/native"), max_attempts=1)
    async with ctx.db.transaction() as conn:  # one attempt per event, as retry_count allows
        await webhooks.update_endpoint(
            conn, ctx.webhooks, scope, sentdm.id, EndpointPatch(max_attempts=1)
        )
    pool = ctx.worker_pool()
    await pool.start()
    try:
        await send(ctx, scope, 4)  # twelve events per endpoint

        async def disabled() -> bool:
            return not (await _stored(ctx, scope, sentdm)).enabled

        await wait_until(disabled)

        async def native_gave_up() -> bool:
            return await _statuses(ctx, scope, native) == ["failed"] * 12

        await wait_until(native_gave_up)
    finally:
        await pool.stop()
    stored = await _stored(ctx, scope, sentdm)
    assert stored.failed_events >= 10
    assert stored.disabled_reason is not None
    assert "10 events in a row could not be delivered" in stored.disabled_reason
    assert "HTTP 500" in stored.disabled_reason
    assert (await _stored(ctx, scope, native)).enabled  # the native rule: five days failing


async def test_events_of_a_disabled_endpoint_are_delivered_once_it_is_enabled(
    open_ctx: OpenContext, receiver: Receiver
) -> None:
    ctx = await open_ctx(webhook_retry_window_seconds=3600)
    scope = await scope_of(ctx)
    receiver.answer("/hook", status=503)
    endpoint = await endpoint_of(ctx, scope, receiver.url())
    pool = ctx.worker_pool()
    await pool.start()
    try:
        await send(ctx, scope, 1, 1000)
        await wait_for(lambda: len(receiver.requests()) >= 3)
        async with ctx.db.transaction() as conn:
            await webhooks.update_endpoint(
                conn, ctx.webhooks, scope, endpoint.id, EndpointPatch(enabled=False)
            )
        await send(ctx, scope, 1, 2000)  # written while disabled

        async def all_paused() -> bool:
            return await _statuses(ctx, scope, endpoint) == ["paused"] * 6

        await wait_until(all_paused)
        stale = await _insert_paused(ctx, endpoint, created_at=now_us() - 3601 * 1_000_000)
        receiver.answer("/hook", status=200)
        async with ctx.db.transaction() as conn:
            await webhooks.update_endpoint(
                conn, ctx.webhooks, scope, endpoint.id, EndpointPatch(enabled=True)
            )

        async def delivered() -> bool:
            return sorted(await _statuses(ctx, scope, endpoint)) == ["delivered"] * 6 + ["failed"]

        await wait_until(delivered)
    finally:
        await pool.stop()
    async with ctx.db.reader() as conn:
        given_up, _ = await webhooks.get_delivery(conn, scope, stale)
        rows = await webhooks.list_deliveries(conn, scope, endpoint.id, limit=1000)
    assert given_up.last_error is not None
    assert "disabled past the retry window" in given_up.last_error
    requested = {r.headers["webhook-id"] for r in receiver.requests()}
    assert requested == {r.id for r in rows if r.status == "delivered"}
    assert stale not in requested


async def _insert_paused(ctx: Context, endpoint: Endpoint, *, created_at: int) -> str:
    event_id = str(uuid.uuid4())
    row = {
        "id": event_id,
        "endpoint_id": endpoint.id,
        "tenant_id": endpoint.tenant_id,
        "event_type": "message.sent",
        "message_id": None,
        "payload": "{}",
        "status": "paused",
        "attempts": 0,
        "due_at": None,
        "leased_by": None,
        "created_at": created_at,
        "finished_at": None,
        "last_status_code": None,
        "last_error": None,
    }
    async with ctx.db.transaction() as conn:
        await repo.insert_events(conn, [row])
    return event_id


# --------------------------------------------------------------------------- retention


async def _insert_event(
    ctx: Context,
    endpoint: Endpoint,
    *,
    status: str,
    created_at: int,
    finished_at: int | None,
    attempts: int = 1,
) -> str:
    event_id = str(uuid.uuid4())
    row = {
        "id": event_id,
        "endpoint_id": endpoint.id,
        "tenant_id": endpoint.tenant_id,
        "event_type": "message.sent",
        "message_id": None,
        "payload": "{}",
        "status": status,
        "attempts": attempts,
        "due_at": created_at if status == "pending" else None,
        "leased_by": None,
        "created_at": created_at,
        "finished_at": finished_at,
        "last_status_code": None,
        "last_error": None,
    }
    attempt_rows = [
        {
            "event_id": event_id,
            "endpoint_id": endpoint.id,
            "tenant_id": endpoint.tenant_id,
            "attempt_no": n + 1,
            "ok": status == "delivered" and n == attempts - 1,
            "status_code": 200,
            "latency_ms": 1,
            "response_body": None,
            "error": None,
            "created_at": created_at,
        }
        for n in range(attempts)
    ]
    async with ctx.db.transaction() as conn:
        await repo.insert_events(conn, [row])
        await repo.insert_attempts(conn, attempt_rows)
    return event_id


_EVENT_IDS = Query(select(webhook_events.c.id, webhook_events.c.status))
_ATTEMPT_EVENTS = Query(select(webhook_attempts.c.event_id))


async def test_finished_events_past_retention_go_with_their_attempts(
    open_ctx: OpenContext,
) -> None:
    ctx = await open_ctx(webhook_retention_days=1, webhook_retry_window_seconds=3600)
    scope = await scope_of(ctx)
    endpoint = await endpoint_of(ctx, scope, "http://127.0.0.1:9/hook")
    now = now_us()
    day, hour = 86_400_000_000, 3_600_000_000
    cutoff = now - day
    old = now - 40 * day

    async def event(status: str, finished_at: int | None, created_at: int = old) -> str:
        return await _insert_event(
            ctx, endpoint, status=status, created_at=created_at, finished_at=finished_at
        )

    gone = [await event("delivered", cutoff - 1 - n) for n in range(5)]
    gone += [await event("failed", cutoff - 1), await event("failed", old)]
    kept = {
        await event("delivered", cutoff): "delivered",  # exactly at the limit: kept
        await event("failed", now - hour): "failed",
        await event("pending", None): "pending",  # still being retried, however old
        await event("paused", None, created_at=now - hour // 2): "paused",
    }
    stale_pause = await event("paused", None, created_at=now - 2 * hour)
    kept[stale_pause] = "failed"  # given up, then kept for the retention period
    policy = dataclasses.replace(ctx.webhooks.policy, prune_batch=2)
    assert await retention.prune(ctx.db, policy, now) == len(gone)
    async with ctx.db.reader() as conn:
        events = {r[0]: r[1] for r in await conn.fetch(_EVENT_IDS)}
        attempted = {r[0] for r in await conn.fetch(_ATTEMPT_EVENTS)}
    assert events == kept
    assert attempted == set(kept)
    assert await retention.prune(ctx.db, policy, now) == 0


# --------------------------------------------------------------------------- ordering


async def test_each_payload_carries_the_step_sequence_of_its_message(
    open_ctx: OpenContext, receiver: Receiver
) -> None:
    ctx = await open_ctx()
    scope = await scope_of(ctx)
    await endpoint_of(ctx, scope, receiver.url("/native"))
    await endpoint_of(ctx, scope, receiver.url("/sentdm"), dialect="sentdm")
    pool = ctx.worker_pool()
    await pool.start()
    try:
        ids = await send(ctx, scope, 5)
        await wait_for(lambda: len(receiver.requests()) >= 35)  # sent.dm also has ROUTED
    finally:
        await pool.stop()
    native: dict[str, dict[str, int]] = {}
    for r in receiver.requests("/native"):
        body = orjson.loads(r.body)
        native.setdefault(body["data"]["id"], {})[body["type"]] = body["data"]["activity"][
            "sequence"
        ]
    sentdm: dict[str, dict[str, int]] = {}
    for r in receiver.requests("/sentdm"):
        body = orjson.loads(r.body)["payload"]
        sentdm.setdefault(body["message_id"], {})[body["message_status"]] = body["sequence"]
    assert set(native) == set(sentdm) == set(ids)
    for message_id in ids:
        steps = native[message_id]
        assert steps["message.queued"] < steps["message.sent"] < steps["message.delivered"]
        assert sentdm[message_id] == {
            "QUEUED": steps["message.queued"],
            "ROUTED": sentdm[message_id]["ROUTED"],
            "SENT": steps["message.sent"],
            "DELIVERED": steps["message.delivered"],
        }
        assert steps["message.queued"] < sentdm[message_id]["ROUTED"] < steps["message.sent"]
