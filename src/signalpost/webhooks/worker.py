"""Background delivery of webhook events: claim, POST concurrently, record every attempt.

One :class:`DeliveryWorker` per process runs a claim loop, a recorder and housekeeping
(:mod:`signalpost.webhooks.retention`):

1. *Claim* (one short transaction): lease due events, up to the free part of
   ``concurrency``; an endpoint gets only what it can have in flight at once, counting
   what it already has: ``endpoint_concurrency``, or less for its fair part of
   ``concurrency`` among the endpoints in flight and one more (:func:`repo.claim`).
2. *Deliver* (no transaction): each claimed event is a request at once, so a slow
   receiver holds only its own requests in flight, nothing waits behind them, and a slot
   always stays free for another endpoint's events.
3. *Record* (one transaction per batch of finished attempts,
   :mod:`signalpost.webhooks.recording`): an attempt row each, the event delivered,
   rescheduled with backoff, paused or given up, and the endpoint's health; an endpoint
   that meets its format's disable rule is disabled with the reason.

A worker killed between 1 and 3 leaves its events leased; when the lease runs out another
worker claims them again, so every event is delivered at least once (receivers
de-duplicate on the event id, which never changes).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
import time

from signalpost.observability.metrics import count_webhook_outcomes
from signalpost.request_ids import use_request_id
from signalpost.storage import Database
from signalpost.timeutil import now_us
from signalpost.webhooks import formats, retention
from signalpost.webhooks import repository as repo
from signalpost.webhooks.delivery import Deliverer
from signalpost.webhooks.formats import EndpointInfo, SigningContext
from signalpost.webhooks.outbox import EndpointCache
from signalpost.webhooks.recording import Claimed, Outcome, record_outcomes
from signalpost.webhooks.schemas import AttemptResult, DeliveryPolicy, Endpoint
from signalpost.webhooks.service import signing_secrets, to_endpoint

__all__ = ["Claimed", "DeliveryWorker", "Outcome", "attempt", "record_outcomes"]

log = logging.getLogger("signalpost.webhooks")

_HOUSEKEEPING_SECONDS = 5.0


async def attempt(deliverer: Deliverer, event: Claimed, endpoint: Endpoint) -> AttemptResult:
    """Sign and POST one event to its endpoint (never raises for receiver faults)."""
    fmt = formats.get(endpoint.dialect)
    body = event.payload.encode()
    keys = signing_secrets(endpoint, now_us())
    context = SigningContext(
        secret=keys[0],
        secrets=keys,
        event_id=event.id,
        event_type=event.event_type,
        timestamp=int(time.time()),
        body=body,
        endpoint=EndpointInfo.of(endpoint),
        attempt_no=event.attempts + 1,
    )
    headers = {"content-type": fmt.content_type, **fmt.sign(context)}
    return await deliverer.post(
        endpoint.url,
        body,
        headers,
        timeout=endpoint.timeout_seconds,
        is_success=fmt.is_success,
    )


# --------------------------------------------------------------------------- the worker


class DeliveryWorker:
    """Claims and delivers due events until stopped (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        deliverer: Deliverer,
        policy: DeliveryPolicy,
        cache: EndpointCache,
        *,
        name: str | None = None,
    ) -> None:
        self.db = db
        self.deliverer = deliverer
        self.policy = policy
        self.cache = cache
        self.name = (name or f"{socket.gethostname()}:{os.getpid()}")[:40]
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._flush_wanted = asyncio.Event()
        self._inflight: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._done: list[Outcome] = []
        self._loops: list[asyncio.Task[None]] = []
        self._closing = False

    @property
    def active(self) -> int:
        """Claimed events not yet finished in this process."""
        return sum(self._inflight.values())

    def wake(self) -> None:
        """New events may be due: claim without waiting for the poll interval."""
        self._wake.set()

    async def start(self) -> None:
        self._stop.clear()
        self._closing = False
        self._loops = [
            asyncio.create_task(self._claim_loop(), name="webhook-claims"),
            asyncio.create_task(self._record_loop(), name="webhook-records"),
            asyncio.create_task(self._housekeeping_loop(), name="webhook-housekeeping"),
        ]

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming, let deliveries in flight finish for ``grace`` seconds, record."""
        self._stop.set()
        if not self._loops:
            return
        await asyncio.gather(self._loops[0], self._loops[2], return_exceptions=True)
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._closing = True
        self._flush_wanted.set()
        await asyncio.gather(self._loops[1], return_exceptions=True)
        self._loops.clear()

    async def _claim_loop(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = await self.run_once()
            except Exception:
                log.exception("webhook claim round failed")
                claimed = 0
                await self._idle(1.0)
            if not claimed:
                # While an endpoint is saturated, new events are most likely its own and a
                # claim would skip them: they alone do not start another claim before the
                # poll interval, a slot of a saturated endpoint coming free does.
                cap = self._cap()
                saturated = any(n >= cap for n in self._inflight.values())
                await self._idle(self.policy.poll_interval, on_new_events=not saturated)

    async def _housekeeping_loop(self) -> None:
        """Paused events of enabled endpoints made due every few seconds; pruning (see
        :mod:`signalpost.webhooks.retention`) every ``prune_interval``."""
        next_prune = time.monotonic() + random.uniform(0, 10)  # processes start together
        while not self._stop.is_set():
            try:
                if await retention.resume_stray(self.db, self.policy, now_us()):
                    self.wake()
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + self.policy.prune_interval
                    pruned = await retention.prune(self.db, self.policy, now_us())
                    if pruned:
                        log.info("pruned %d webhook events past their retention", pruned)
            except Exception:
                log.exception("webhook housekeeping failed")
            try:
                await asyncio.wait_for(self._stop.wait(), _HOUSEKEEPING_SECONDS)
            except TimeoutError:
                pass

    async def _idle(self, seconds: float, *, on_new_events: bool = True) -> None:
        """Wait for new events, a freed slot (its endpoint may take more now) or the poll."""
        events = (
            (self._wake, self._stop, self._slot_freed)
            if on_new_events
            else (self._stop, self._slot_freed)
        )
        waits = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        self._wake.clear()
        self._slot_freed.clear()

    async def run_once(self) -> int:
        """One claim round; returns how many events it started (or 1 while saturated)."""
        free = self.policy.concurrency - self.active
        if free <= 0:
            self._slot_freed.clear()
            await self._wait_for_slot()
            return 1
        now = now_us()
        async with self.db.reader() as conn:
            if not await repo.any_due(conn, now):
                return 0
        claimed = await self._claim(now, min(free, self.policy.batch_size))
        if not claimed:
            return 0
        async with self.db.reader() as conn:
            rows = await repo.endpoints_by_ids(conn, list({c.endpoint_id for c in claimed}))
        endpoints = {k: to_endpoint(v) for k, v in rows.items()}
        for event in claimed:
            self._start(event, endpoints.get(event.endpoint_id))
        return len(claimed)

    async def _wait_for_slot(self) -> None:
        try:
            await asyncio.wait_for(self._slot_freed.wait(), 1.0)
        except TimeoutError:
            pass

    def _cap(self) -> int:
        """Requests one endpoint may have in flight now (see :func:`repo.claim`)."""
        return repo.fair_cap(
            self.policy.endpoint_concurrency, self.policy.concurrency, self._inflight
        )

    async def _claim(self, now: int, limit: int) -> list[Claimed]:
        token = f"{self.name}/{secrets.token_hex(8)}"
        async with self.db.transaction() as conn:
            rows = await repo.claim(
                conn,
                now=now,
                lease_until=now + int(self.policy.lease_seconds * 1_000_000),
                token=token,
                limit=limit,
                per_endpoint=self.policy.endpoint_concurrency,
                held=dict(self._inflight),  # an endpoint holds only what it has in flight
                share=self.policy.concurrency,
            )
        return [Claimed.from_row(r, token) for r in rows]

    def _start(self, event: Claimed, endpoint: Endpoint | None) -> None:
        if endpoint is None:
            self._finish(Outcome(event, None, reason="endpoint was removed", orphan=True))
            return
        if not endpoint.enabled:
            keep = _keeps_events(endpoint.dialect)
            why = "endpoint is disabled" if keep else "not delivered: endpoint is disabled"
            self._finish(Outcome(event, None, reason=why, paused=keep, dialect=endpoint.dialect))
            return
        self._inflight[endpoint.id] = self._inflight.get(endpoint.id, 0) + 1
        task = asyncio.create_task(self._deliver(event, endpoint))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: Claimed, endpoint: Endpoint) -> None:
        use_request_id(event.request_id)  # this task's own context: every line carries it
        try:
            result = await attempt(self.deliverer, event, endpoint)
        except Exception as exc:
            log.exception("webhook delivery %s failed unexpectedly", event.id)
            error = f"internal: {type(exc).__name__}: {exc}"[:500]
            result = AttemptResult(False, None, 0, None, error, now_us())
        finally:
            self._release(endpoint.id)
        log.debug(
            "webhook %s %s to endpoint %s: %s",
            event.id,
            event.event_type,
            endpoint.id,
            "delivered" if result.ok else f"failed ({result.status_code or result.error})",
            extra={"event_id": event.id, "endpoint_id": endpoint.id, "ok": result.ok},
        )
        self._finish(Outcome(event, result, endpoint.max_attempts, dialect=endpoint.dialect))

    def _release(self, endpoint_id: str) -> None:
        was_full = self.active >= self.policy.concurrency
        left = self._inflight.get(endpoint_id, 1) - 1
        if left > 0:
            self._inflight[endpoint_id] = left
        else:
            self._inflight.pop(endpoint_id, None)
        # The claimer skips endpoints at their cap, so another claim can only bring more
        # once this endpoint is below it or the process had no free slot at all: waking it
        # on every finished delivery would mostly claim nothing.
        if was_full or left < self._cap():
            self._slot_freed.set()

    def _finish(self, outcome: Outcome) -> None:
        self._done.append(outcome)
        self._flush_wanted.set()

    async def _record_loop(self) -> None:
        while True:
            await self._flush_wanted.wait()
            self._flush_wanted.clear()
            batch, self._done = self._done, []
            if batch:
                await self._record(batch)
            if self._closing and not self._done:
                return

    async def _record(self, batch: list[Outcome]) -> None:
        for attempt_no in range(3):
            try:
                async with self.db.transaction() as conn:
                    disabled = await record_outcomes(conn, self.policy, batch, now_us())
            except Exception:
                log.exception("recording %d webhook outcomes failed", len(batch))
                await asyncio.sleep(0.5 * (attempt_no + 1))
                continue
            count_webhook_outcomes(_outcome(o) for o in batch)
            for row in disabled:
                log.warning("webhook endpoint %s disabled after repeated failures", row["id"])
                self.cache.invalidate(row["tenant_id"])
            return
        log.error("dropped %d webhook outcomes; their leases will expire and retry", len(batch))


def _keeps_events(dialect: str) -> bool:
    try:
        return formats.get(dialect).keeps_events_while_disabled
    except formats.UnknownDialect:
        return True


def _outcome(o: Outcome) -> str:
    if o.result is None:
        return "abandoned"
    return "delivered" if o.result.ok else "failed"
