"""Rate-limit counting where a deployment keeps it: in PostgreSQL shared by every process,
in each process's memory on SQLite, and in Redis when one is configured."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from sqlalchemy import select, update

from signalpost.api.ratelimit import RateLimiter
from signalpost.config import Settings
from signalpost.ratelimits import Counter, MemoryCounter, SharedCounter, open_counter
from signalpost.ratelimits.redis_store import KEY_PREFIX, RedisWindowStore
from signalpost.storage import Database, Query, open_database
from signalpost.storage.tables import rate_limit_windows as w
from tests.support.databases import DbTarget
from tests.support.redis import redis_required
from tests.support.server import free_port

_ENDS = Query(select(w.c.key, w.c.hits, w.c.ends_at).order_by(w.c.key))
_END_ALL = Query(update(w).values(ends_at=w.c.ends_at - 3_600_000_000))


def _settings(db_target: DbTarget, redis_url: str | None = None) -> Settings:
    return Settings(
        database_url=db_target.url, database_schema=db_target.schema, redis_url=redis_url
    )


@pytest.fixture
async def second_db(db_target: DbTarget) -> AsyncIterator[Database]:
    """Another process's connections to the same database."""
    database = open_database(db_target.url, schema=db_target.schema, pool_size=4)
    await database.connect()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def pg_pair(pg_target: DbTarget) -> AsyncIterator[tuple[DbTarget, Database, Database]]:
    """Two processes' connections to one PostgreSQL database."""
    one = open_database(pg_target.url, schema=pg_target.schema, pool_size=4)
    two = open_database(pg_target.url, schema=pg_target.schema, pool_size=4)
    await one.connect()
    await two.connect()
    try:
        yield pg_target, one, two
    finally:
        await one.close()
        await two.close()


async def _hits(counter: Counter, key: str, n: int) -> list[int]:
    windows = await asyncio.gather(*(counter.hit(key, 60.0) for _ in range(n)))
    return [window.count for window in windows]


async def test_two_processes_count_in_one_window_on_postgresql_and_apart_on_sqlite(
    db: Database, second_db: Database, db_target: DbTarget
) -> None:
    one = open_counter(_settings(db_target), db)
    two = open_counter(_settings(db_target), second_db)
    try:
        counts = await asyncio.gather(_hits(one, "k", 60), _hits(two, "k", 60))
        if db_target.backend == "sqlite":
            assert isinstance(one, MemoryCounter)
            assert list(counts) == [list(range(1, 61))] * 2  # each process on its own
            return
        assert isinstance(one, SharedCounter)
        # Every count of the window handed out once, whichever process asked.
        assert sorted(counts[0] + counts[1]) == list(range(1, 121))
        assert (await one.hit("other", 60.0)).count == 1
    finally:
        await one.close()
        await two.close()


async def test_the_hundred_and_first_request_is_refused_whichever_process_asks(
    pg_pair: tuple[DbTarget, Database, Database],
) -> None:
    db_target, db, second_db = pg_pair
    one = RateLimiter("sentdm", {"standard": "100/minute"}, open_counter(_settings(db_target), db))
    two = RateLimiter(
        "sentdm", {"standard": "100/minute"}, open_counter(_settings(db_target), second_db)
    )
    first = await asyncio.gather(
        *((one if n % 2 else two).hit("standard", "key-1") for n in range(100))
    )
    assert all(d.allowed for d in first)
    assert sorted(d.remaining for d in first) == list(range(100))
    refused = await two.hit("standard", "key-1")
    assert not refused.allowed
    assert refused.remaining == 0
    assert 1 <= refused.retry_after <= 60
    assert refused.reset_at == max(d.reset_at for d in first)  # the same window
    assert not (await one.hit("standard", "key-1")).allowed
    assert (await one.hit("standard", "key-2")).allowed


async def test_a_window_that_ended_starts_again_and_is_pruned(
    pg_pair: tuple[DbTarget, Database, Database],
) -> None:
    db_target, db, _ = pg_pair  # (on SQLite, counting is in memory: unit tests)
    counter = open_counter(_settings(db_target), db)
    assert isinstance(counter, SharedCounter)
    try:
        assert await _hits(counter, "old", 3) == [1, 2, 3]
        async with db.transaction() as conn:
            await conn.execute(_END_ALL)  # an hour later, as far as the rows know
        assert (await counter.hit("new", 60.0)).count == 1
        assert (await counter.hit("old", 60.0)).count == 1  # a new window
        async with db.transaction() as conn:
            await conn.execute(_END_ALL)
        assert (await counter.hit("new", 60.0)).count == 1
        await counter.store.prune()
        async with db.reader() as conn:
            rows = await conn.fetch(_ENDS)
        assert [(r[0], r[1]) for r in rows] == [("new", 1)]  # ended windows are gone
    finally:
        await counter.close()


@pytest.fixture
async def redis_prefix() -> AsyncIterator[tuple[str, str]]:
    """The test Redis's URL and a key prefix of this test's own, its keys deleted after."""
    url = redis_required()
    prefix = f"{KEY_PREFIX}test-{uuid.uuid4()}:"
    yield url, prefix
    client: Redis = Redis.from_url(url)
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_processes_sharing_a_redis_count_in_one_window(
    redis_prefix: tuple[str, str], db_target: DbTarget, db: Database
) -> None:
    url, prefix = redis_prefix
    assert isinstance(open_counter(_settings(db_target, redis_url=url), db), SharedCounter)
    one = SharedCounter(RedisWindowStore(url, prefix=prefix))
    two = SharedCounter(RedisWindowStore(url, prefix=prefix))
    try:
        counts = await asyncio.gather(_hits(one, "k", 60), _hits(two, "k", 60))
        assert sorted(counts[0] + counts[1]) == list(range(1, 121))
        client: Redis = Redis.from_url(url)
        ttl = await client.pttl(prefix + "k")
        await client.aclose()
        assert 0 < ttl <= 60_000  # the window leaves Redis when it ends
        window = await one.hit("k", 60.0)
        assert window.count == 121
    finally:
        await one.close()
        await two.close()


async def test_an_unreachable_redis_fails_open_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    counter = SharedCounter(RedisWindowStore(f"redis://127.0.0.1:{free_port()}/0"))
    limiter = RateLimiter("sentdm", {"standard": "2/minute"}, counter)
    try:
        with caplog.at_level(logging.WARNING, logger="signalpost.ratelimits"):
            decisions = [await limiter.hit("standard", "k") for _ in range(3)]
    finally:
        await counter.close()
    assert [d.allowed for d in decisions] == [True, True, False]  # counted in memory
    assert any("Redis failed" in r.getMessage() for r in caplog.records)
