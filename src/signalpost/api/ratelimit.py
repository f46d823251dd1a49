"""Named per-caller rate limits for the dialects, written as the ``limits`` package writes them.

Counting is in memory with fixed windows: each process counts on its own, so N
API processes behind a balancer allow up to N times the configured rate.  A dialect makes
one :class:`RateLimiter` with its named limits (``{"send": "100/minute"}``) and calls
:meth:`RateLimiter.hit` with a limit name and the caller's key; the :class:`Decision` says
whether to go on, how long to wait, and carries the usual ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import NamedTuple

from limits import RateLimitItem, parse

__all__ = ["Decision", "RateLimiter"]


class Decision(NamedTuple):
    """Whether a request may go on, and where the caller stands in the window (a tuple:
    one is made for every request of a rate-limited API)."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # Unix seconds
    retry_after: int  # seconds, at least 1

    def headers(self, *, reset: bool = True) -> list[tuple[bytes, bytes]]:
        """``X-RateLimit-Limit``, ``-Remaining`` and (unless ``reset`` is false) ``-Reset``."""
        out = [
            (b"x-ratelimit-limit", b"%d" % self.limit),
            (b"x-ratelimit-remaining", b"%d" % self.remaining),
        ]
        if reset:
            out.append((b"x-ratelimit-reset", b"%d" % self.reset_at))
        return out


class RateLimiter:
    """Counts requests per (limit name, caller key) against named limits.

    Limits are written and parsed as the ``limits`` package writes them
    (``"100/minute"``); counting is fixed windows, each starting at a caller's first request
    and lasting the limit's period, as ``limits``' fixed-window strategy counts.  The count
    lives in a plain dictionary on the event loop's thread: ``limits``' in-memory storage
    starts a timer thread every 10 ms while requests flow, which on a busy API process
    costs more than the counting itself.  Expired windows are swept when the table grows.
    """

    def __init__(self, limits: Mapping[str, str], *, max_windows: int = 100_000) -> None:
        self._items: dict[str, RateLimitItem] = {name: parse(v) for name, v in limits.items()}
        self._periods = {name: float(item.get_expiry()) for name, item in self._items.items()}
        self._windows: dict[tuple[str, str], list[float]] = {}  # -> [ends at, count]
        self._max = max_windows

    def hit(self, name: str, key: str) -> Decision:
        """Count one request of ``key`` against the limit called ``name``."""
        amount = self._items[name].amount
        now = time.time()
        slot = self._windows.get((name, key))
        if slot is None or slot[0] <= now:
            if len(self._windows) >= self._max:
                self._sweep(now)
            slot = self._windows[(name, key)] = [now + self._periods[name], 0]
        slot[1] += 1
        count = int(slot[1])
        return Decision(
            count <= amount,
            amount,
            max(0, amount - count),
            math.ceil(slot[0]),
            max(1, math.ceil(slot[0] - now)),
        )

    def _sweep(self, now: float) -> None:
        self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
