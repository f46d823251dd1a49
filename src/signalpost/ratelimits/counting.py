"""Fixed-window counters: in this process, or shared by every API process through a store.

A window starts at a key's first hit and lasts the limit's period (as the ``limits``
package's fixed-window strategy counts); a hit returns the key's count in its window,
this hit included, and when the window ends.

:class:`MemoryCounter` counts in a dictionary of this process.  :class:`SharedCounter`
counts in a :class:`WindowStore` (PostgreSQL or Redis) that every process sees, so the
limit holds however many API processes serve it.  It costs one round trip per event-loop
turn, not per request: the hits of the requests that arrive while a round trip is on its
way wait for the next one, which adds them all, one sum per key, in one statement.  The
store hands out counts atomically, so two processes never give out the same count.

When the store fails (unreachable, an error, no answer within
:data:`STORE_TIMEOUT_SECONDS`) requests are not refused for it: a warning is logged, and
for :data:`RETRY_SECONDS` this process counts on its own in memory before it tries the
store again (fail open, to the limit per process that counting in memory gives).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence

__all__ = [
    "RETRY_SECONDS",
    "STORE_TIMEOUT_SECONDS",
    "Counter",
    "MemoryCounter",
    "SharedCounter",
    "Window",
    "WindowStore",
]

log = logging.getLogger("signalpost.ratelimits")

STORE_TIMEOUT_SECONDS = 3.0
"""How long a hit waits for the shared store before it is counted in memory instead."""

RETRY_SECONDS = 5.0
"""After the store failed, how long hits are counted in memory before it is tried again."""


class Window:
    """A key's count in its current window (this hit included) and when the window ends
    (Unix seconds on this process's clock; a store's own clock only measures what is left).

    A counter hands out a window of the hit's own, except :meth:`MemoryCounter.hit_now`.
    """

    __slots__ = ("_reset_header", "count", "ends_at")

    def __init__(self, count: int, ends_at: float) -> None:
        self.count = count
        self.ends_at = ends_at
        self._reset_header: tuple[bytes, bytes] | None = None

    def reset_header(self) -> tuple[bytes, bytes]:
        """``X-RateLimit-Reset``: the window's end in whole Unix seconds (made once)."""
        header = self._reset_header
        if header is None:
            header = self._reset_header = (b"x-ratelimit-reset", b"%d" % math.ceil(self.ends_at))
        return header

    def __repr__(self) -> str:
        return f"Window(count={self.count}, ends_at={self.ends_at})"


class Counter(ABC):
    """Counts hits of keys in fixed windows."""

    @abstractmethod
    async def hit(self, key: str, period: float) -> Window:
        """Count one hit of ``key``, whose window lasts ``period`` seconds."""

    async def close(self) -> None:
        """Release what the counter holds (connections)."""
        return None


class MemoryCounter(Counter):
    """Windows in a plain dictionary on the event loop's thread: each process on its own.

    (``limits``' in-memory storage starts a timer thread every 10 ms while requests flow,
    which on a busy API process costs more than the counting itself.)  Expired windows are
    swept when the table reaches ``max_windows``.
    """

    def __init__(self, *, max_windows: int = 100_000) -> None:
        self._windows: dict[str, Window] = {}
        self._max = max_windows

    async def hit(self, key: str, period: float) -> Window:
        return self.copy_of_hit(key, period)

    def copy_of_hit(self, key: str, period: float) -> Window:
        window = self.hit_now(key, period)
        return Window(window.count, window.ends_at)

    def hit_now(self, key: str, period: float) -> Window:
        """:meth:`hit` without a coroutine, handing out the key's own window, which counts
        on with the next hit: read ``count`` before anything else may hit the key."""
        now = time.time()
        window = self._windows.get(key)
        if window is None or window.ends_at <= now:
            if len(self._windows) >= self._max:
                self._sweep(now)
            window = self._windows[key] = Window(0, now + period)
        window.count += 1
        return window

    def _sweep(self, now: float) -> None:
        self._windows = {k: w for k, w in self._windows.items() if w.ends_at > now}


class WindowStore(ABC):
    """Where shared windows live: adds many keys' hits in one round trip."""

    name: str

    @abstractmethod
    async def add(self, hits: Sequence[tuple[str, int, int]]) -> list[tuple[int, int]]:
        """Add ``(key, hits, period in µs)`` each to its key's window, starting a new
        window where there is none or it has ended; return, in the same order, each key's
        count after the addition and the microseconds until its window ends."""

    async def prune(self) -> None:
        """Drop windows that have ended (a store whose entries expire on their own: none)."""
        return None

    async def close(self) -> None:
        return None


PRUNE_SECONDS = 60.0
"""How often a process prunes the store's ended windows."""


class _Pending:
    __slots__ = ("futures", "period")

    def __init__(self, period: int) -> None:
        self.period = period
        self.futures: list[asyncio.Future[Window]] = []


class SharedCounter(Counter):
    """Windows in a store every API process shares, one round trip per event-loop turn."""

    def __init__(
        self,
        store: WindowStore,
        *,
        timeout: float = STORE_TIMEOUT_SECONDS,
        retry: float = RETRY_SECONDS,
    ) -> None:
        self.store = store
        self.fallback = MemoryCounter()
        self._timeout = timeout
        self._retry = retry
        self._pending: dict[str, _Pending] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._down_until = 0.0  # monotonic: count in memory until then
        self._next_prune = time.monotonic() + PRUNE_SECONDS

    async def hit(self, key: str, period: float) -> Window:
        if self._down_until and time.monotonic() < self._down_until:
            return self.fallback.copy_of_hit(key, period)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Pending(math.ceil(period * 1_000_000))
        future: asyncio.Future[Window] = asyncio.get_running_loop().create_future()
        pending.futures.append(future)
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        """Send what is pending, then what arrived meanwhile, until nothing is."""
        try:
            while self._pending:
                batch, self._pending = self._pending, {}
                await self._send(batch)
                if time.monotonic() >= self._next_prune:
                    self._next_prune = time.monotonic() + PRUNE_SECONDS
                    await self._prune()
        finally:
            self._flusher = None

    async def _send(self, batch: dict[str, _Pending]) -> None:
        keys = sorted(batch)  # one order of row locks for every process
        hits = [(key, len(batch[key].futures), batch[key].period) for key in keys]
        try:
            async with asyncio.timeout(self._timeout):
                counts = await self.store.add(hits)
            if len(counts) != len(keys):
                raise RuntimeError(f"{len(counts)} counts for {len(keys)} keys")
        except Exception as exc:
            self._store_failed(exc)
            for key in keys:
                pending = batch[key]
                for future in pending.futures:
                    if not future.done():
                        future.set_result(self.fallback.copy_of_hit(key, pending.period / 1e6))
            return
        if self._down_until:
            log.warning("rate limits: %s answers again; counting there", self.store.name)
            self._down_until = 0.0
        now = time.time()
        for key, (count, ends_in) in zip(keys, counts, strict=True):
            futures = batch[key].futures
            first = count - len(futures) + 1
            ends_at = now + ends_in / 1e6
            for n, future in enumerate(futures):
                if not future.done():  # a caller that went away leaves its count unused
                    future.set_result(Window(first + n, ends_at))

    async def _prune(self) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self.store.prune()
        except Exception as exc:
            log.warning("rate limits: pruning ended windows in %s failed: %r", self.store.name, exc)

    def _store_failed(self, exc: BaseException) -> None:
        if not self._down_until:
            log.warning(
                "rate limits: %s failed (%r); counting in this process only, retrying in %g s",
                self.store.name,
                exc,
                self._retry,
            )
        self._down_until = time.monotonic() + self._retry

    async def close(self) -> None:
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self.store.close()
