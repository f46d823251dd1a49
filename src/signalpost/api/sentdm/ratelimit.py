"""Per-key rate limits of the v3 API, with the headers sent.dm clients read.

Counting uses the ``limits`` package with in-memory storage and fixed windows: each
process counts on its own, so N API processes behind a balancer allow up to N times the
configured rate.  The standard limit covers every endpoint; sensitive endpoints (secret
rotation) and webhook tests also count against a tighter limit of their own.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

__all__ = ["Decision", "RateLimits"]


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request may go on, and the headers that tell the caller where it stands."""

    allowed: bool
    headers: list[tuple[bytes, bytes]]
    retry_after: int


class RateLimits:
    """Checks and counts one request of a key against a named limit."""

    def __init__(self, standard: str, sensitive: str, webhook_test: str) -> None:
        self._limiter = FixedWindowRateLimiter(MemoryStorage())
        self._items: dict[str, RateLimitItem] = {
            "standard": parse(standard),
            "sensitive": parse(sensitive),
            "webhook_test": parse(webhook_test),
        }

    def hit(self, kind: str, key: str) -> Decision:
        """Count one request of ``key`` against the limit named ``kind``."""
        item = self._items[kind]
        allowed = self._limiter.hit(item, kind, key)
        stats = self._limiter.get_window_stats(item, kind, key)
        reset = math.ceil(stats.reset_time)
        headers = [
            (b"x-ratelimit-limit", str(item.amount).encode()),
            (b"x-ratelimit-remaining", str(max(0, stats.remaining)).encode()),
            (b"x-ratelimit-reset", str(reset).encode()),
        ]
        return Decision(allowed, headers, max(1, math.ceil(stats.reset_time - time.time())))
