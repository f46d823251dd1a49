"""Fixed-window rate limits: counts, headers, windows that end, callers kept apart."""

from __future__ import annotations

import time

import pytest

from signalpost.api.ratelimit import RateLimiter


def test_counts_within_a_window_and_refuses_beyond() -> None:
    limiter = RateLimiter({"send": "3/minute"})
    decisions = [limiter.hit("send", "key-a") for _ in range(4)]
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
    assert limiter.hit("send", "key-b").allowed  # another caller has its own window


def test_a_new_window_starts_when_the_last_one_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    limiter = RateLimiter({"lookup": "2/second"})
    assert [limiter.hit("lookup", "k").allowed for _ in range(3)] == [True, True, False]
    clock[0] += 1.0
    assert limiter.hit("lookup", "k").allowed
    assert limiter.hit("lookup", "k").remaining == 0


def test_expired_windows_are_swept_when_the_table_is_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    limiter = RateLimiter({"x": "1/second"}, max_windows=10)
    for n in range(10):
        limiter.hit("x", f"k{n}")
    clock[0] += 2.0
    limiter.hit("x", "fresh")
    assert len(limiter._windows) == 1
