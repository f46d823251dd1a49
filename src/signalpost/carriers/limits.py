"""A carrier's limits held by every process on the database together, not by each one.

:class:`SharedRate` paces sends so that all processes together stay at the configured
rate: it reserves the carrier's send time in batches (up to a tenth of a second of sends
per database round trip, the next batch fetched while the last one is used) and spaces
its own sends within what it reserved.  :class:`SlotLeases` keeps the leases of a carrier's
numbered slots (an SMPP connection's binds): the slots spread over the processes sharing
them, each holding its share and renewing it; a slot whose holder died (or that its holder
gave up, the slots being shared more widely) is taken by another process once its lease
has run out.  Both work through whatever database the processes share (on SQLite, the processes
of one machine sharing the file); see :mod:`signalpost.storage.limits`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections import deque

from signalpost.storage import Database, clock_us
from signalpost.storage import limits as store

__all__ = ["Grant", "SharedRate", "SlotLeases", "process_holder"]

log = logging.getLogger("signalpost.carriers")

_BATCH_SECONDS = 0.1


def process_holder() -> str:
    """A holder name unique to this process (and this use within it)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class SharedRate:
    """At most ``rate`` sends per second over every process sharing the database.

    A reservation is as large as the demand: the sends waiting for a slot, or as many as
    went out in the last tenth of a second, at most a tenth of a second of sends; the next
    one is made while the last is used.  So a busy process makes about ten round trips a
    second whatever the rate, and a process sending now and then reserves no more than it
    sends.
    """

    def __init__(self, db: Database, key: str, rate: float) -> None:
        if rate <= 0:
            raise ValueError("a shared rate must be positive")
        self.db = db
        self.key = key
        self.interval = 1.0 / rate
        self.batch = max(1, round(rate * _BATCH_SECONDS))
        self.tolerance = min(0.01, self.interval)  # how early a send may go
        self.lag = max(0.02, 2 * self.interval)  # how late a reserved send may still go
        self.reservations = 0  # database round trips, for tests and metrics
        self._slots: deque[float] = deque()  # loop times of the sends reserved, in order
        self._sent: deque[float] = deque()  # when the sends of the last tenth of a second went
        self._waiting = 0  # callers of wait() without a slot yet
        self._claim: asyncio.Task[None] | None = None
        self._local_next = 0.0  # pacing on our own while the database cannot be reached

    async def wait(self) -> None:
        """Return when the next send may go out."""
        loop = asyncio.get_running_loop()
        self._waiting += 1
        try:
            while True:
                now = loop.time()
                while self._slots and self._slots[0] < now - self.lag:
                    self._slots.popleft()  # reserved while idle: gone, not saved up
                if self._slots:
                    break
                await self._refill()
            at = self._slots.popleft()
        finally:
            self._waiting -= 1
        self._sent.append(now)
        demand = self._demand(now)
        if demand > 1 and len(self._slots) * 2 < demand:
            self._start_claim()
        delay = at - now - self.tolerance
        if delay > 0:
            await asyncio.sleep(delay)

    def _demand(self, now: float) -> int:
        """How many sends the next reservation is for."""
        while self._sent and self._sent[0] < now - _BATCH_SECONDS:
            self._sent.popleft()
        return min(self.batch, max(1, self._waiting, len(self._sent)))

    async def close(self) -> None:
        """Let a reservation under way finish (at a stop)."""
        if self._claim is not None:
            await asyncio.gather(self._claim, return_exceptions=True)

    def _start_claim(self) -> asyncio.Task[None]:
        if self._claim is None:
            self._claim = asyncio.create_task(self._reserve(), name=f"rate-{self.key}")
        return self._claim

    async def _refill(self) -> None:
        await asyncio.shield(self._start_claim())

    async def _reserve(self) -> None:
        loop = asyncio.get_running_loop()
        count = self._demand(loop.time())
        span = self.interval * count
        try:
            async with self.db.transaction() as conn:
                db_now = await clock_us(conn)
                local_now = loop.time()
                start = await store.reserve(
                    conn, self.key, now=db_now, span=round(span * 1_000_000)
                )
            # Send time reserved as free now is used from when the answer is here: a slow
            # round trip must not leave it looking stale (reserved while idle) and throw
            # it away for another.  Later than reserved never exceeds the rate.
            first = max(local_now + (start - db_now) / 1_000_000, loop.time())
            self.reservations += 1
        except Exception:
            log.warning("rate of %s: reserving send time failed; pacing alone", self.key)
            first = max(loop.time(), self._local_next)
        finally:
            self._claim = None
        self._local_next = first + span
        self._slots.extend(first + i * self.interval for i in range(count))


class Grant:
    """Whether this process holds one slot; waiters learn when it is granted or lost.
    ``idle`` is clear while the slot is in use (a session of it open or opening)."""

    def __init__(self) -> None:
        self.held = asyncio.Event()
        self.lost = asyncio.Event()
        self.lost.set()
        self.idle = asyncio.Event()
        self.idle.set()

    def set(self, held: bool) -> None:
        if held:
            self.lost.clear()
            self.held.set()
        else:
            self.held.clear()
            self.lost.set()


class SlotLeases:
    """The leases of ``count`` slots of ``key``: take what is free, renew what is held.

    A slot's lease lasts ``lease_seconds``; it is renewed every third of that.  When the
    renewals fail for longer than the lease (the database is out of reach), every slot is
    given up here before another process can take it there.  A slot beyond this process's
    share is freed in the database as soon as its session is closed (its grant idle), so
    another process takes it at its next renewal.
    """

    def __init__(
        self, db: Database, key: str, count: int, lease_seconds: float, holder: str | None = None
    ) -> None:
        self.db = db
        self.key = key
        self.count = count
        self.lease_seconds = lease_seconds
        self.holder = holder or process_holder()
        self.grants = [Grant() for _ in range(count)]
        self.checked = False  # at least one renewal answered
        self._valid_until = 0.0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # renewals and give-ups, one at a time
        self._giving_up: dict[int, asyncio.Task[None]] = {}

    @property
    def held(self) -> list[int]:
        return [n for n, grant in enumerate(self.grants) if grant.held.is_set()]

    @property
    def held_elsewhere(self) -> bool:
        """Every slot is held by other processes (as of the last renewal)."""
        return self.checked and not self.held

    async def start(self) -> None:
        await self.renew()
        self._task = asyncio.create_task(self._loop(), name=f"slots-{self.key}")

    async def stop(self) -> None:
        """Stop renewing and give every slot back (their sessions are closed by now)."""
        for task in [self._task, *self._giving_up.values()]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = None
        self._giving_up.clear()
        for grant in self.grants:
            grant.set(False)
        try:
            async with self.db.transaction() as conn:
                await store.release_slots(conn, self.key, self.holder)
        except Exception:
            log.warning(
                "slots of %s: could not give them back; their leases run out",
                self.key,
                exc_info=True,
            )

    def renew_soon(self) -> None:
        self._wake.set()

    async def renew(self) -> list[int]:
        """Renew and take slots now; returns the slots held."""
        async with self._lock:
            return await self._renew()

    async def _renew(self) -> list[int]:
        loop = asyncio.get_running_loop()
        asked = loop.time()
        lease_us = round(self.lease_seconds * 1_000_000)
        try:
            async with self.db.transaction() as conn:
                now = await clock_us(conn)
                held = set(
                    await store.take_slots(
                        conn, self.key, self.count, self.holder, now=now, lease_until=now + lease_us
                    )
                )
        except Exception:
            log.exception("slots of %s: renewing the leases failed", self.key)
            if loop.time() >= self._valid_until:
                for grant in self.grants:
                    grant.set(False)
            return self.held
        self.checked = True
        self._valid_until = asked + self.lease_seconds * 0.9
        for n, grant in enumerate(self.grants):
            if n in held and not grant.held.is_set():
                log.info("slots of %s: took slot %d", self.key, n)
            elif n not in held and grant.held.is_set():
                log.info("slots of %s: gave up slot %d (shared more widely, or lost)", self.key, n)
                if n not in self._giving_up:
                    self._giving_up[n] = asyncio.create_task(self._give_up(n))
            grant.set(n in held)
        return self.held

    async def _give_up(self, slot: int) -> None:
        """Free a slot no longer ours once its session is closed (unless granted again)."""
        grant = self.grants[slot]
        try:
            await grant.idle.wait()
            async with self._lock:
                if grant.held.is_set():
                    return
                async with self.db.transaction() as conn:
                    await store.give_up_slot(conn, self.key, self.holder, slot)
        except Exception:
            log.warning("slots of %s: could not free slot %d; its lease runs out", self.key, slot)
        finally:
            self._giving_up.pop(slot, None)

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.lease_seconds / 3)
            self._wake.clear()
            await self.renew()
