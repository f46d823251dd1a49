"""The background work of a process: dispatch loops, carrier receipts, housekeeping and
webhook delivery, started and stopped together."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from signalpost.carriers.registry import CarrierRegistry
from signalpost.dispatch.service import Dispatcher

__all__ = ["Background", "BackgroundWork"]

log = logging.getLogger("signalpost.worker")


class Background(Protocol):
    """A loop that starts and stops with the rest of the process's background work."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class BackgroundWork:
    """Runs ``concurrency`` dispatch loops, the housekeeping loop and the other background
    loops of the process (:class:`Background`, such as webhook delivery) until stopped.

    Stopping is graceful: each loop finishes the round it is in (so no claimed message is
    left waiting for its lease to run out), then the carriers disconnect.  Background work
    without dispatch loops does not connect the carriers at all: an SMPP bind is one of the
    connection's slots shared by every process, and one held where nothing is dispatched
    would keep the connection's messages waiting for it.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        carriers: CarrierRegistry,
        *,
        concurrency: int,
        poll_interval: float,
        housekeeping: list[Callable[[], Awaitable[object]]] | None = None,
        background: Sequence[Background] = (),
    ) -> None:
        self.dispatcher = dispatcher
        self.carriers = carriers
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.housekeeping = housekeeping or []
        self.background = list(background)  # other loops of the process (webhook delivery)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        """Whether every loop started here is still alive (for readiness checks)."""
        return bool(self._tasks) and not any(task.done() for task in self._tasks)

    async def start(self) -> None:
        self._stop.clear()
        if self.concurrency:
            await self.carriers.start(self.dispatcher.events)
        for n in range(self.concurrency):
            self._tasks.append(asyncio.create_task(self._dispatch_loop(n), name=f"dispatch-{n}"))
        if self.concurrency:
            self._tasks.append(asyncio.create_task(self._housekeeping_loop(), name="housekeeping"))
        for service in self.background:
            await service.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for service in self.background:
            await service.stop()
        if self.concurrency:
            await self.carriers.stop()

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            pass

    async def _dispatch_loop(self, n: int) -> None:
        worker = f"{self.worker_id}/{n}"
        while not self._stop.is_set():
            try:
                claimed = await self.dispatcher.run_once(worker)
            except Exception:
                log.exception("dispatch round failed")
                claimed = 0
                await self._pause(1.0)
            if not claimed:
                await self._pause(self.poll_interval)

    async def _housekeeping_loop(self) -> None:
        jobs: list[Callable[[], Awaitable[object]]] = [
            self.dispatcher.expire_due,
            self.dispatcher.retry_orphans,
            *self.housekeeping,
        ]
        while not self._stop.is_set():
            for job in jobs:
                try:
                    await job()
                except Exception:
                    log.exception("housekeeping job failed")
            await self._pause(1.0)
