"""Fixed-window rate limits: counts, headers, windows that end, callers kept apart; the
shared counter's batching and its fallback when the store fails (with a fake store)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import pytest

from signalpost.api.ratelimit import RateLimiter
from signalpost.ratelimits import MemoryCounter, SharedCounter
from signalpost.ratelimits.counting import WindowStore


async def test_counts_within_a_window_and_refuses_beyond() -> None:
    limiter = RateLimiter("test", {"send": "3/minute"})
    decisions = [await limiter.hit("send", "key-a") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert all(d.limit == 3 for d in decisions)
    last = decisions[-1]
    assert 1 <= last.retry_after <= 60
    assert last.reset_at >= time.time()
    assert dict(last.headers()) == {
        b"x-ratelimit-limit": b"3",
        b"x-ratelimit-remaining": b"0",
        b"x-ratelimit-reset": str(last.reset_at).encode(),
    }
    assert (await limiter.hit("send", "key-b")).allowed  # another caller has its own window


async def test_a_new_window_starts_when_the_last_one_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    limiter = RateLimiter("test", {"lookup": "2/second"})
    assert [(await limiter.hit("lookup", "k")).allowed for _ in range(3)] == [True, True, False]
    clock[0] += 0.25
    refused = await limiter.hit("lookup", "k")
    assert (refused.reset_at, refused.retry_after) == (1001, 1)
    clock[0] += 0.75
    assert (await limiter.hit("lookup", "k")).allowed
    assert (await limiter.hit("lookup", "k")).remaining == 0


async def test_limiters_sharing_a_counter_keep_their_limits_apart() -> None:
    counter = MemoryCounter()
    one = RateLimiter("one", {"x": "1/minute"}, counter)
    two = RateLimiter("two", {"x": "1/minute"}, counter)
    assert (await one.hit("x", "k")).allowed
    assert (await two.hit("x", "k")).allowed
    assert not (await one.hit("x", "k")).allowed


async def test_expired_windows_are_swept_when_the_table_is_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    counter = MemoryCounter(max_windows=10)
    for n in range(10):
        await counter.hit(f"k{n}", 1.0)
    clock[0] += 2.0
    await counter.hit("fresh", 1.0)
    assert len(counter._windows) == 1


class FakeStore(WindowStore):
    """Windows in a dictionary behind an ``await``; records each batch; fails on demand."""

    name = "fake store"

    def __init__(self) -> None:
        self.windows: dict[str, int] = {}
        self.batches: list[list[tuple[str, int, int]]] = []
        self.failing = False
        self.pruned = 0

    async def add(self, hits: Sequence[tuple[str, int, int]]) -> list[tuple[int, int]]:
        await asyncio.sleep(0)  # a round trip: other requests run meanwhile
        if self.failing:
            raise ConnectionError("store unreachable")
        self.batches.append(list(hits))
        out = []
        for key, n, period in hits:
            self.windows[key] = self.windows.get(key, 0) + n
            out.append((self.windows[key], period // 2))
        return out

    async def prune(self) -> None:
        self.pruned += 1


async def test_concurrent_hits_share_one_round_trip_and_get_distinct_counts() -> None:
    store = FakeStore()
    counter = SharedCounter(store)
    before = time.time()
    windows = await asyncio.gather(
        *(counter.hit("a", 60.0) for _ in range(5)), *(counter.hit("b", 1.0) for _ in range(2))
    )
    assert sorted(w.count for w in windows[:5]) == [1, 2, 3, 4, 5]
    assert sorted(w.count for w in windows[5:]) == [1, 2]
    assert store.batches == [[("a", 5, 60_000_000), ("b", 2, 1_000_000)]]
    assert before + 30 <= windows[0].ends_at <= time.time() + 30  # the store's time left
    assert (await counter.hit("a", 60.0)).count == 6
    assert len(store.batches) == 2
    await counter.close()


async def test_hits_arriving_during_a_round_trip_go_in_the_next() -> None:
    store = FakeStore()
    counter = SharedCounter(store)
    first = asyncio.ensure_future(counter.hit("a", 60.0))
    await asyncio.sleep(0)  # the first batch is on its way
    later = [asyncio.ensure_future(counter.hit("a", 60.0)) for _ in range(3)]
    windows = await asyncio.gather(first, *later)
    assert [w.count for w in windows] == [1, 2, 3, 4]
    assert [b[0][1] for b in store.batches] == [1, 3]
    await counter.close()


async def test_an_unreachable_store_fails_open_to_counting_in_memory(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FakeStore()
    store.failing = True
    counter = SharedCounter(store, retry=3600.0)
    limiter = RateLimiter("test", {"send": "2/minute"}, counter)
    with caplog.at_level(logging.WARNING, logger="signalpost.ratelimits"):
        decisions = [await limiter.hit("send", "k") for _ in range(3)]
    # Not refused for the failure: this process counts on its own meanwhile.
    assert [d.allowed for d in decisions] == [True, True, False]
    assert decisions[0].headers()[0] == (b"x-ratelimit-limit", b"2")
    assert 1 <= decisions[2].retry_after <= 60
    warnings = [r for r in caplog.records if "fake store failed" in r.getMessage()]
    assert len(warnings) == 1  # once, not per request
    assert store.batches == []  # not tried again before the retry time
    await counter.close()


async def test_concurrent_hits_counted_in_memory_for_a_failing_store_keep_their_counts() -> None:
    store = FakeStore()
    store.failing = True
    counter = SharedCounter(store)
    windows = await asyncio.gather(*(counter.hit("a", 60.0) for _ in range(3)))
    assert [w.count for w in windows] == [1, 2, 3]
    await counter.close()


async def test_the_store_is_used_again_once_it_answers(caplog: pytest.LogCaptureFixture) -> None:
    store = FakeStore()
    store.failing = True
    counter = SharedCounter(store, retry=0.0)
    assert (await counter.hit("a", 60.0)).count == 1  # in memory
    store.failing = False
    with caplog.at_level(logging.WARNING, logger="signalpost.ratelimits"):
        assert (await counter.hit("a", 60.0)).count == 1  # the store's first
        assert (await counter.hit("a", 60.0)).count == 2
    assert any("answers again" in r.getMessage() for r in caplog.records)
    await counter.close()


async def test_a_store_that_does_not_answer_in_time_fails_open() -> None:
    class Hanging(FakeStore):
        async def add(self, hits: Sequence[tuple[str, int, int]]) -> list[tuple[int, int]]:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    counter = SharedCounter(Hanging(), timeout=0.01)
    assert (await counter.hit("a", 60.0)).count == 1
    await counter.close()


async def test_ended_windows_are_pruned_now_and_then(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    store = FakeStore()
    counter = SharedCounter(store)
    await counter.hit("a", 1.0)
    assert store.pruned == 0
    clock[0] += 61.0
    await counter.hit("a", 1.0)
    await counter.hit("a", 1.0)
    assert store.pruned == 1
    await counter.close()
