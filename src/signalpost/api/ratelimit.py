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

from limits import parse

__all__ = ["Decision", "RateLimiter"]

Header = tuple[bytes, bytes]


class _Limit:
    """One named limit: how many requests per how many seconds, and its limit header."""

    __slots__ = ("amount", "header", "period")

    def __init__(self, spec: str) -> None:
        item = parse(spec)
        self.amount: int = item.amount
        self.period = float(item.get_expiry())
        self.header: Header = (b"x-ratelimit-limit", b"%d" % self.amount)


class _Window:
    """One caller's current window of one limit: when it ends and how many it has seen."""

    __slots__ = ("count", "ends_at", "limit", "reset_at", "reset_header")

    def __init__(self, limit: _Limit, now: float) -> None:
        self.limit = limit
        self.ends_at = now + limit.period
        self.count = 0
        self.reset_at = math.ceil(self.ends_at)
        self.reset_header: Header = (b"x-ratelimit-reset", b"%d" % self.reset_at)


class Decision:
    """Whether a request may go on, and where the caller stands in the window.

    One is made for every request of a rate-limited API, so what only a refusal needs
    (``retry_after``) is worked out when asked for, and the headers that stay the same for
    a whole window are made once per window.
    """

    __slots__ = ("allowed", "count", "now", "window")

    def __init__(self, window: _Window, count: int, now: float) -> None:
        self.window = window
        self.count = count
        self.now = now
        self.allowed = count <= window.limit.amount

    @property
    def limit(self) -> int:
        return self.window.limit.amount

    @property
    def remaining(self) -> int:
        return max(0, self.window.limit.amount - self.count)

    @property
    def reset_at(self) -> int:
        """When the window ends, in Unix seconds."""
        return self.window.reset_at

    @property
    def retry_after(self) -> int:
        """Seconds until the window ends, at least 1."""
        return max(1, math.ceil(self.window.ends_at - self.now))

    def headers(self, *, reset: bool = True) -> list[Header]:
        """``X-RateLimit-Limit``, ``-Remaining`` and (unless ``reset`` is false) ``-Reset``."""
        window = self.window
        out = [window.limit.header, (b"x-ratelimit-remaining", b"%d" % self.remaining)]
        if reset:
            out.append(window.reset_header)
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
        self._limits = {name: _Limit(spec) for name, spec in limits.items()}
        self._windows: dict[tuple[str, str], _Window] = {}
        self._max = max_windows

    def hit(self, name: str, key: str) -> Decision:
        """Count one request of ``key`` against the limit called ``name``."""
        now = time.time()
        window = self._windows.get((name, key))
        if window is None or window.ends_at <= now:
            if len(self._windows) >= self._max:
                self._sweep(now)
            window = self._windows[(name, key)] = _Window(self._limits[name], now)
        window.count += 1
        return Decision(window, window.count, now)

    def _sweep(self, now: float) -> None:
        self._windows = {k: w for k, w in self._windows.items() if w.ends_at > now}
