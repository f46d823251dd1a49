"""Webhook housekeeping: what a delivery worker does besides delivering, now and then.

- Paused events of endpoints that are enabled (a process wrote them from a view of the
  endpoint that was out of date by a moment) are made due.
- Paused events older than the retry window are given up: their endpoint stayed disabled.
- Events delivered or given up more than ``retention_seconds`` ago are deleted with their
  attempts, ``prune_batch`` events per short transaction, so sends and deliveries are
  never held up behind a long delete.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from signalpost.storage import Connection, Database
from signalpost.webhooks import repository as repo
from signalpost.webhooks.schemas import DeliveryPolicy

__all__ = ["prune", "resume_stray"]

Batch = Callable[[Connection], Awaitable[int]]


async def resume_stray(db: Database, policy: DeliveryPolicy, now: int) -> int:
    """Make due the paused events of enabled endpoints (inside the retry window)."""
    since = now - int(policy.retry_window_seconds * 1_000_000)
    async with db.transaction() as conn:
        return await repo.resume_enabled(conn, since=since, now=now)


async def prune(db: Database, policy: DeliveryPolicy, now: int) -> int:
    """Give up stale paused events, then delete finished events past the retention period
    with their attempts; returns how many events were deleted."""
    since = now - int(policy.retry_window_seconds * 1_000_000)
    before = now - int(policy.retention_seconds * 1_000_000)
    limit = policy.prune_batch

    async def expire(conn: Connection) -> int:
        return await repo.expire_paused(conn, since=since, now=now, limit=limit)

    async def delete(conn: Connection) -> int:
        return await repo.prune(conn, before=before, limit=limit)

    await _in_batches(db, expire, limit)
    return await _in_batches(db, delete, limit)


async def _in_batches(db: Database, batch: Batch, size: int) -> int:
    total = 0
    while True:
        async with db.transaction() as conn:
            done = await batch(conn)
        total += done
        if done < size:
            return total
        await asyncio.sleep(0)  # other work gets the database between batches
