"""A worker killed with SIGKILL mid-dispatch: nothing lost, nothing sent twice (PostgreSQL)."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from sqlalchemy import func, select

from signalpost.accounts.schemas import Scope
from signalpost.config import Settings
from signalpost.context import Context
from signalpost.messages import service as messages
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.storage import Database, Query
from signalpost.storage.tables import activities, dispatch_queue, sim_submits
from signalpost.storage.tables import messages as m
from tests.support.databases import DbTarget
from tests.support.processes import stop
from tests.support.server import cli, start_process

FINAL = ("delivered", "failed", "expired", "rejected")
TOTAL = 2000
WORKER_ENV = {
    "SIGNALPOST_WORKERS": "2",
    "SIGNALPOST_DISPATCH_BATCH_SIZE": "25",
    "SIGNALPOST_DISPATCH_LEASE_SECONDS": "2",
    "SIGNALPOST_SIMULATOR_LATENCY_MS": "20",
}

_COUNT_BY_STATUS = Query(select(m.c.status, func.count()).group_by(m.c.status))
_ACCEPTED_SUBMITS = Query(
    select(sim_submits.c.message_ref, func.count())
    .where(sim_submits.c.accepted.is_(True))
    .group_by(sim_submits.c.message_ref)
)
_FINAL_ACTIVITIES = Query(
    select(activities.c.message_id, func.count())
    .where(activities.c.status.in_(FINAL))
    .group_by(activities.c.message_id)
)
_QUEUE = Query(select(func.count()).select_from(dispatch_queue))


async def _send(ctx: Context, scope: Scope) -> list[str]:
    ids: list[str] = []
    numbers = [f"+1415555{1000 + i:04d}" for i in range(TOTAL - 20)]
    numbers += [f"+1415{600 + i:03d}0001" for i in range(20)]  # some undeliverable
    for start in range(0, TOTAL, 1000):
        spec = SendSpec(
            recipients=tuple(RecipientSpec(n) for n in numbers[start : start + 1000]),
            text="crash test",
        )
        async with ctx.db.transaction() as conn:
            result = await messages.send(conn, ctx.send_policy, scope, spec)
        ids += [c.id for c in result.messages]
    return ids


async def _counts(db: Database) -> dict[str, int]:
    async with db.reader() as conn:
        return {r[0]: r[1] for r in await conn.fetch(_COUNT_BY_STATUS)}


async def _wait(db: Database, predicate: object, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        counts = await _counts(db)
        if predicate(counts):  # type: ignore[operator]
            return counts
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out, statuses: {counts}")


async def test_sigkill_mid_dispatch_loses_and_duplicates_nothing(
    pg_target: DbTarget, tmp_path: Path
) -> None:
    org = cli(pg_target, "org", "create", "Crash")
    settings = Settings(database_url=pg_target.url, database_schema=pg_target.schema)
    ctx = await Context.open(settings)
    try:
        ids = await _send(ctx, Scope(org["id"], None))
        assert len(ids) == TOTAL
        first = start_process(["worker"], pg_target, tmp_path / "worker-a.log", WORKER_ENV)
        try:

            def in_the_middle(c: dict[str, int]) -> bool:
                done = sum(c.get(s, 0) for s in ("sent", *FINAL))
                return done >= TOTAL // 5

            before = await _wait(ctx.db, in_the_middle, 60)
        finally:
            stop(first, signal.SIGKILL)
        assert sum(before.get(s, 0) for s in FINAL) < TOTAL, "the kill came too late to matter"
        second = start_process(["worker"], pg_target, tmp_path / "worker-b.log", WORKER_ENV)
        try:
            final = await _wait(ctx.db, lambda c: sum(c.get(s, 0) for s in FINAL) == TOTAL, 120)
        finally:
            stop(second)
        assert final == {"delivered": TOTAL - 20, "failed": 20}
        async with ctx.db.reader() as conn:
            submits = {r[0]: r[1] for r in await conn.fetch(_ACCEPTED_SUBMITS)}
            finals = {r[0]: r[1] for r in await conn.fetch(_FINAL_ACTIVITIES)}
            queued = await conn.fetchval(_QUEUE)
        assert set(submits) == set(ids)
        assert set(submits.values()) == {1}, "a message was accepted by the carrier twice"
        assert set(finals) == set(ids)
        assert set(finals.values()) == {1}, "a message recorded two final states"
        assert queued == 0
    finally:
        await ctx.close()
