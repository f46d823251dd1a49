"""A configured SMPP connection: its binds kept up with backoff, its pacing and throttling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from signalpost.carriers.limits import Grant, SharedRate
from signalpost.carriers.smpp.config import ConnectionConfig
from signalpost.carriers.smpp.session import DeliverHandler, Session, SessionClosed
from signalpost.smpp import BindRequest, Command

__all__ = ["Link", "Pacer", "reconnect_delay"]

log = logging.getLogger("signalpost.smpp")


def reconnect_delay(config: ConnectionConfig, failures: int) -> float:
    """``min(max, min * 2^(n-1)) * U(0.5, 1)`` after ``n`` failed connects in a row."""
    exponent = float(2 ** max(0, failures - 1))
    delay = min(config.reconnect_max_seconds, config.reconnect_min_seconds * exponent)
    return float(delay * random.uniform(0.5, 1.0))


class Pacer:
    """Paces submit_sm of one connection: at most ``rate`` per second (a small burst
    allowed), and a pause that doubles each time the SMSC answers ``ESME_RTHROTTLED`` or
    ``ESME_RMSGQFUL`` in a row and resets on the next success.  With ``shared`` the rate is
    that of every process together (:class:`~signalpost.carriers.limits.SharedRate`); the
    pause is this process's own."""

    def __init__(
        self, rate: float, pause: float, pause_max: float, shared: SharedRate | None = None
    ) -> None:
        self.shared = shared
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.tolerance = min(0.05, 50 * self.interval)
        self.pause = pause
        self.pause_max = pause_max
        self._tat = 0.0  # theoretical arrival time of the next submit
        self._paused_until = 0.0
        self.strikes = 0
        self.throttled_total = 0

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if self._paused_until > now:
                await asyncio.sleep(self._paused_until - now)
                continue
            if self.shared is not None:
                await self.shared.wait()
                return
            if not self.interval:
                return
            start = max(self._tat, now)
            self._tat = start + self.interval
            delay = start - now - self.tolerance
            if delay > 0:
                await asyncio.sleep(delay)
            return

    def throttled(self) -> None:
        self.strikes += 1
        self.throttled_total += 1
        pause = min(self.pause_max, self.pause * 2 ** min(self.strikes - 1, 16))
        until = asyncio.get_running_loop().time() + pause * random.uniform(0.75, 1.0)
        self._paused_until = max(self._paused_until, until)

    def relieved(self) -> None:
        self.strikes = 0


class Link:
    """Keeps one session of a connection bound: connect, bind, keep alive, reconnect.

    With a ``grant`` (the bind slot the session belongs to), the session is only open
    while this process holds the slot: it waits for the slot, and unbinds when it is lost.
    """

    def __init__(
        self,
        config: ConnectionConfig,
        command: Command,
        on_deliver: DeliverHandler,
        label: str,
        grant: Grant | None = None,
    ) -> None:
        self.grant = grant
        self.config = config
        self.command = command
        self.label = label
        self.on_deliver = on_deliver
        self.session: Session | None = None
        self.connects = 0
        self._bound = asyncio.Event()

    @property
    def can_submit(self) -> bool:
        return self.session is not None and self.session.can_submit

    async def wait_bound(self, timeout: float) -> Session | None:
        if not self._bound.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._bound.wait(), timeout)
        session = self.session
        return session if session is not None and session.can_submit else None

    async def run(self, stopping: asyncio.Event) -> None:
        """Until ``stopping`` is set: bind, serve the session, back off after any drop."""
        failures = 0
        while not stopping.is_set():
            if self.grant is not None and not self.grant.held.is_set():
                await _first(stopping, self.grant.held)
                continue
            if self.grant is not None:
                self.grant.idle.clear()
            try:
                served = await self._serve_once(stopping)
            finally:
                if self.grant is not None:
                    self.grant.idle.set()  # no session of the slot is open now
            if not served:
                failures += 1
                await _sleep_unless(stopping, reconnect_delay(self.config, failures))
                continue
            failures = 0
            if not stopping.is_set() and not self._lost():
                delay = reconnect_delay(self.config, 1)
                log.info("smpp %s: reconnecting in %.2fs", self.label, delay)
                await _sleep_unless(stopping, delay)

    async def _serve_once(self, stopping: asyncio.Event) -> bool:
        """Bind and serve one session until it ends (unbinding it when we end it); False
        when the bind failed."""
        try:
            session = await self._open()
        except (OSError, TimeoutError) as exc:
            log.warning("smpp %s: bind failed (%s)", self.label, exc)
            return False
        self.connects += 1
        self.session = session
        self._bound.set()
        log.info("smpp %s: bound (%s)", self.label, self.command.name.lower())
        try:
            await self._keep_alive(session, stopping)
        finally:
            self._bound.clear()
            self.session = None
        if stopping.is_set() or self._lost():
            await session.unbind()
        return True

    def _lost(self) -> bool:
        return self.grant is not None and self.grant.lost.is_set()

    async def _open(self) -> Session:
        c = self.config
        credentials = BindRequest(c.system_id, c.password, c.system_type)
        return await Session.open(
            c.host,
            c.port,
            self.command,
            credentials,
            name=self.label,
            window=c.window,
            response_timeout=c.response_timeout,
            connect_timeout=c.connect_timeout,
            on_deliver=self.on_deliver,
        )

    async def _keep_alive(self, session: Session, stopping: asyncio.Event) -> None:
        interval = self.config.enquire_link_seconds
        while not stopping.is_set() and not session.closed.is_set() and not self._lost():
            waiters = [
                asyncio.ensure_future(session.closed.wait()),
                asyncio.ensure_future(stopping.wait()),
            ]
            if self.grant is not None:
                waiters.append(asyncio.ensure_future(self.grant.lost.wait()))
            _done, pending = await asyncio.wait(
                waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in pending:
                waiter.cancel()
            if stopping.is_set() or session.closed.is_set() or self._lost():
                return
            try:
                await session.enquire_link()
            except SessionClosed as exc:
                session.abort(f"enquire_link failed: {exc}")
                await session.closed.wait()
                return


async def _first(*events: asyncio.Event) -> None:
    """Return when any of ``events`` is set."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def _sleep_unless(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
