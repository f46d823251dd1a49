"""Background delivery of webhook events: claim, POST concurrently, record every attempt.

One :class:`DeliveryWorker` per process runs a claim loop and a recorder:

1. *Claim* (one short transaction): lease due events, at most
   ``endpoint_concurrency`` per endpoint and none for endpoints already saturated in this
   process, up to the free share of ``concurrency``.
2. *Deliver* (no transaction): each event is its own task behind its endpoint's semaphore
   (``endpoint_concurrency`` concurrent requests per endpoint), so a slow receiver holds
   only its own slots while every other endpoint's events go out at once.
3. *Record* (one transaction per batch of finished attempts): an attempt row each, the
   event delivered, rescheduled with backoff or given up, and the endpoint's health; an
   endpoint that has kept failing is disabled with the reason.

A worker killed between 1 and 3 leaves its events leased; when the lease runs out another
worker claims them again, so every event is delivered at least once (receivers
de-duplicate on the event id, which never changes).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from signalpost.observability.context import use_request_id
from signalpost.observability.metrics import count_webhook_outcomes
from signalpost.storage import Connection, Database, Row
from signalpost.timeutil import now_us
from signalpost.webhooks import formats
from signalpost.webhooks import repository as repo
from signalpost.webhooks.delivery import Deliverer, backoff_seconds
from signalpost.webhooks.formats import EndpointInfo, SigningContext
from signalpost.webhooks.outbox import EndpointCache
from signalpost.webhooks.schemas import AttemptResult, DeliveryPolicy, DeliveryStatus, Endpoint
from signalpost.webhooks.service import signing_secrets, to_endpoint

__all__ = ["Claimed", "DeliveryWorker", "Outcome", "attempt", "record_outcomes"]

log = logging.getLogger("signalpost.webhooks")


@dataclass(frozen=True, slots=True)
class Claimed:
    """A leased event, as the worker holds it while delivering."""

    id: str
    endpoint_id: str
    tenant_id: str
    event_type: str
    payload: str
    attempts: int
    created_at: int
    token: str
    request_id: str | None = None  # of the request that accepted the event's message

    @classmethod
    def from_row(cls, row: Row, token: str) -> Claimed:
        return cls(
            row["id"],
            row["endpoint_id"],
            row["tenant_id"],
            row["event_type"],
            row["payload"],
            row["attempts"],
            row["created_at"],
            token,
            row["request_id"],
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one claimed event ended this time: an attempt, or abandoned without one."""

    event: Claimed
    result: AttemptResult | None
    max_attempts: int | None = None
    reason: str | None = None  # why it was abandoned (result is None)


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


# --------------------------------------------------------------------------- recording


def _next_state(policy: DeliveryPolicy, o: Outcome, now: int) -> tuple[str, int | None]:
    """``(status, due_at)`` after this outcome."""
    if o.result is None:
        return DeliveryStatus.FAILED.value, None
    if o.result.ok:
        return DeliveryStatus.DELIVERED.value, None
    attempt_no = o.event.attempts + 1
    window_end = o.event.created_at + int(policy.retry_window_seconds * 1_000_000)
    exhausted = o.max_attempts is not None and attempt_no >= o.max_attempts
    if exhausted or now >= window_end:
        return DeliveryStatus.FAILED.value, None
    return DeliveryStatus.PENDING.value, now + int(backoff_seconds(policy, attempt_no) * 1e6)


def _rows(
    policy: DeliveryPolicy, outcomes: Sequence[Outcome], now: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    attempts: list[dict[str, Any]] = []
    finished: list[dict[str, Any]] = []
    for o in outcomes:
        status, due_at = _next_state(policy, o, now)
        r = o.result
        ev = o.event
        finished.append(
            {
                "id": ev.id,
                "token": ev.token,
                "status": status,
                "attempts": ev.attempts + (1 if r is not None else 0),
                "due_at": due_at,
                "finished_at": None if due_at is not None else now,
                "status_code": r.status_code if r is not None else None,
                "error": r.error if r is not None else o.reason,
            }
        )
        if r is not None:
            attempts.append(
                {
                    "event_id": ev.id,
                    "endpoint_id": ev.endpoint_id,
                    "tenant_id": ev.tenant_id,
                    "attempt_no": ev.attempts + 1,
                    "ok": r.ok,
                    "status_code": r.status_code,
                    "latency_ms": r.latency_ms,
                    "response_body": r.response_body,
                    "error": r.error,
                    "created_at": r.at,
                }
            )
    return attempts, finished


def _health(
    outcomes: Sequence[Outcome],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """Per endpoint: rows for ``note_successes``, for ``note_failures``, and last errors."""
    by_endpoint: dict[str, list[AttemptResult]] = {}
    for o in outcomes:
        if o.result is not None:
            by_endpoint.setdefault(o.event.endpoint_id, []).append(o.result)
    successes: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    last_errors: dict[str, str] = {}
    for endpoint_id, results in by_endpoint.items():
        results.sort(key=lambda r: r.at)
        last_ok = max((i for i, r in enumerate(results) if r.ok), default=-1)
        after = results[last_ok + 1 :]
        since = after[0].at if after else None
        if last_ok >= 0:
            successes.append(
                {
                    "id": endpoint_id,
                    "failures": len(after),
                    "failing_since": since,
                    "last_attempt_at": results[-1].at,
                    "last_success_at": results[last_ok].at,
                }
            )
        else:
            failures.append(
                {
                    "id": endpoint_id,
                    "failures": len(after),
                    "failing_since": since,
                    "last_attempt_at": results[-1].at,
                }
            )
            last_errors[endpoint_id] = results[-1].error or "unknown error"
    return successes, failures, last_errors


async def record_outcomes(
    conn: Connection, policy: DeliveryPolicy, outcomes: Sequence[Outcome], now: int
) -> list[Row]:
    """Write attempts, event states and endpoint health; returns endpoints it disabled."""
    attempts, finished = _rows(policy, outcomes, now)
    await repo.insert_attempts(conn, attempts)
    await repo.finish_events(conn, finished)
    successes, failures, last_errors = _health(outcomes)
    await repo.note_successes(conn, successes)
    await repo.note_failures(conn, failures)
    disabled: list[Row] = []
    cutoff = now - int(policy.disable_after_seconds * 1_000_000)
    for endpoint_id, error in last_errors.items():
        reason = (
            f"Disabled automatically: every delivery failed for over "
            f"{_duration(policy.disable_after_seconds)} (last error: {error})"
        )
        row = await repo.disable_failing(
            conn,
            endpoint_id,
            cutoff=cutoff,
            min_failures=policy.disable_min_failures,
            reason=reason[:1000],
            now=now,
        )
        if row is not None:
            disabled.append(row)
    return disabled


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size * 2:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} seconds"


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
        self._gates: dict[str, asyncio.Semaphore] = {}
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
        ]

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming, let deliveries in flight finish for ``grace`` seconds, record."""
        self._stop.set()
        if not self._loops:
            return
        await asyncio.gather(self._loops[0], return_exceptions=True)
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
                saturated = any(
                    n >= self.policy.endpoint_concurrency for n in self._inflight.values()
                )
                await self._idle(self.policy.poll_interval, on_new_events=not saturated)

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

    async def _claim(self, now: int, limit: int) -> list[Claimed]:
        cap = self.policy.endpoint_concurrency
        busy = [e for e, n in self._inflight.items() if n >= cap]
        token = f"{self.name}/{secrets.token_hex(8)}"
        async with self.db.transaction() as conn:
            rows = await repo.claim(
                conn,
                now=now,
                lease_until=now + int(self.policy.lease_seconds * 1_000_000),
                token=token,
                limit=limit,
                per_endpoint=2 * cap,  # a second round waits locally, ready to go
                busy=busy,
            )
        return [Claimed.from_row(r, token) for r in rows]

    def _start(self, event: Claimed, endpoint: Endpoint | None) -> None:
        if endpoint is None or not endpoint.enabled:
            why = "endpoint was removed" if endpoint is None else "endpoint is disabled"
            self._finish(Outcome(event, None, reason=f"not delivered: {why}"))
            return
        self._inflight[endpoint.id] = self._inflight.get(endpoint.id, 0) + 1
        task = asyncio.create_task(self._deliver(event, endpoint))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: Claimed, endpoint: Endpoint) -> None:
        gate = self._gates.get(endpoint.id)
        if gate is None:
            gate = self._gates[endpoint.id] = asyncio.Semaphore(self.policy.endpoint_concurrency)
        use_request_id(event.request_id)  # this task's own context: every line carries it
        try:
            async with gate:
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
        self._finish(Outcome(event, result, endpoint.max_attempts))

    def _release(self, endpoint_id: str) -> None:
        was_full = self.active >= self.policy.concurrency
        left = self._inflight.get(endpoint_id, 1) - 1
        if left > 0:
            self._inflight[endpoint_id] = left
        else:
            self._inflight.pop(endpoint_id, None)
            self._gates.pop(endpoint_id, None)
        # The claimer skips saturated endpoints, so another claim can only bring more once
        # this endpoint drops below its concurrency or the process had no free slot at all:
        # waking it on every finished delivery would mostly claim nothing.
        if was_full or left == self.policy.endpoint_concurrency - 1:
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


def _outcome(o: Outcome) -> str:
    if o.result is None:
        return "abandoned"
    return "delivered" if o.result.ok else "failed"
