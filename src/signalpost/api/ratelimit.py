"""Named per-caller rate limits for the dialects, written as the ``limits`` package writes them.

A dialect makes one :class:`RateLimiter` with its named limits (``{"send": "100/minute"}``)
and the process's counter, and awaits :meth:`RateLimiter.hit` with a limit name and the
caller's key; the :class:`Decision` says whether to go on, how long to wait, and carries
the usual ``X-RateLimit-*`` headers.  Counting is fixed windows, each starting at a
caller's first request and lasting the limit's period; where the counts live (shared by
every API process in PostgreSQL or Redis, or in this process's memory) is the counter's
business (:mod:`signalpost.ratelimits`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from limits import parse

from signalpost.ratelimits import Counter, MemoryCounter, Window

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


class Decision:
    """Whether a request may go on, and where the caller stands in the window.

    One is made for every request of a rate-limited API, so what only a refusal or a
    header needs is worked out when asked for.
    """

    __slots__ = ("_limit", "_window", "allowed", "count")

    def __init__(self, limit: _Limit, window: Window) -> None:
        self._limit = limit
        self._window = window
        self.count = window.count  # the window may count on: this request's count
        self.allowed = self.count <= limit.amount

    @property
    def limit(self) -> int:
        return self._limit.amount

    @property
    def remaining(self) -> int:
        return max(0, self._limit.amount - self.count)

    @property
    def reset_at(self) -> int:
        """When the window ends, in Unix seconds."""
        return math.ceil(self._window.ends_at)

    @property
    def retry_after(self) -> int:
        """Seconds from now until the window ends, at least 1."""
        return max(1, math.ceil(self._window.ends_at - time.time()))

    def headers(self, *, reset: bool = True) -> list[Header]:
        """``X-RateLimit-Limit``, ``-Remaining`` and (unless ``reset`` is false) ``-Reset``."""
        out = [self._limit.header, (b"x-ratelimit-remaining", b"%d" % self.remaining)]
        if reset:
            out.append(self._window.reset_header())
        return out


class RateLimiter:
    """Counts requests per (limit name, caller key) against named limits.

    Limits are written and parsed as the ``limits`` package writes them (``"100/minute"``).
    ``scope`` (the dialect's name) keeps one dialect's counts apart from another's in a
    counter they share; without a ``counter`` the limiter counts in memory on its own.
    """

    def __init__(
        self, scope: str, limits: Mapping[str, str], counter: Counter | None = None
    ) -> None:
        self._limits = {name: _Limit(spec) for name, spec in limits.items()}
        self._prefix = scope + ":"
        self._counter = counter if counter is not None else MemoryCounter()
        # Counting in memory needs no await: called directly on the hot path.
        self._memory = self._counter if isinstance(self._counter, MemoryCounter) else None

    async def hit(self, name: str, key: str) -> Decision:
        """Count one request of ``key`` against the limit called ``name``."""
        limit = self._limits[name]
        if self._memory is not None:
            window = self._memory.hit_now(f"{self._prefix}{name}:{key}", limit.period)
        else:
            window = await self._counter.hit(f"{self._prefix}{name}:{key}", limit.period)
        return Decision(limit, window)
