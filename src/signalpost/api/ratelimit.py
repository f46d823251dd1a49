"""Named per-caller rate limits for the dialects, counted with the ``limits`` package.

Counting uses in-memory storage and fixed windows: each process counts on its own, so N
API processes behind a balancer allow up to N times the configured rate.  A dialect makes
one :class:`RateLimiter` with its named limits (``{"send": "100/minute"}``) and calls
:meth:`RateLimiter.hit` with a limit name and the caller's key; the :class:`Decision` says
whether to go on, how long to wait, and carries the usual ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage

__all__ = ["Decision", "RateLimiter"]


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request may go on, and where the caller stands in the window."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # Unix seconds
    retry_after: int  # seconds, at least 1

    def headers(self, *, reset: bool = True) -> list[tuple[bytes, bytes]]:
        """``X-RateLimit-Limit``, ``-Remaining`` and (unless ``reset`` is false) ``-Reset``."""
        out = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
        ]
        if reset:
            out.append((b"x-ratelimit-reset", str(self.reset_at).encode()))
        return out


class RateLimiter:
    """Counts requests per (limit name, caller key) against named limits.

    Fixed windows on the ``limits`` package's in-memory storage, driven through the
    storage's own ``incr``/``get_expiry`` so each request costs one increment and one
    lookup (the strategy class would build the key and read the counter twice more).
    """

    def __init__(self, limits: Mapping[str, str]) -> None:
        self._storage = MemoryStorage()
        self._items: dict[str, RateLimitItem] = {name: parse(v) for name, v in limits.items()}
        self._prefixes = {
            name: f"{name}/{item.amount}/{item.get_expiry()}/" for name, item in self._items.items()
        }

    def hit(self, name: str, key: str) -> Decision:
        """Count one request of ``key`` against the limit called ``name``."""
        item = self._items[name]
        window = self._prefixes[name] + key
        count = self._storage.incr(window, item.get_expiry())
        reset_time = self._storage.get_expiry(window)
        return Decision(
            count <= item.amount,
            item.amount,
            max(0, item.amount - count),
            math.ceil(reset_time),
            max(1, math.ceil(reset_time - time.time())),
        )
