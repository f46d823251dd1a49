"""The simulator as a :class:`~signalpost.carriers.base.Carrier`."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Sequence
from typing import Any

from signalpost.carriers.base import (
    Carrier,
    CarrierEvents,
    Receipt,
    ReceiptHandler,
    Submission,
    SubmitOutcome,
    SubmitResult,
)
from signalpost.carriers.simulator import repository as repo
from signalpost.carriers.simulator.outcomes import outcome_for
from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.storage import Database, Row
from signalpost.timeutil import now_us

__all__ = ["SimulatorCarrier"]

log = logging.getLogger("signalpost.simulator")

RECEIPT_LEASE_US = 30_000_000


class SimulatorCarrier(Carrier):
    """Accepts submits, answers with a carrier id, and reports receipts after ``latency_ms``."""

    name = "simulator"
    idempotent = True
    channels = frozenset({"sms", "whatsapp", "rcs"})

    def __init__(
        self, db: Database, *, latency_ms: int = 300, poll_interval: float = 0.05, batch: int = 1000
    ) -> None:
        self._db = db
        self._latency_us = latency_ms * 1000
        self._poll = poll_interval
        self._batch = batch
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def _due(self, now: int) -> int:
        if not self._latency_us:
            return now
        return now + int(self._latency_us * random.uniform(0.8, 1.2))

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        now = now_us()
        async with self._db.transaction() as conn:
            known = await repo.find_attempts(conn, [s.attempt_id for s in batch])
            fresh = [s for s in batch if s.attempt_id not in known]
            flaky = [s.message_id for s in fresh if outcome_for(s.to, s.channel).transient_submits]
            transients = await repo.transient_counts(conn, flaky)
            rows = [self._decide(s, transients, now) for s in fresh]
            await repo.insert_submits(conn, rows)
        decided = {r["attempt_key"]: r for r in rows}
        return [
            self._result(s.attempt_id, known.get(s.attempt_id) or decided[s.attempt_id])
            for s in batch
        ]

    def _decide(self, sub: Submission, transients: dict[str, int], now: int) -> dict[str, Any]:
        outcome = outcome_for(sub.to, sub.channel)
        accepted = transients.get(sub.message_id, 0) >= outcome.transient_submits
        if accepted:
            transients[sub.message_id] = transients.get(sub.message_id, 0)
        else:
            transients[sub.message_id] = transients.get(sub.message_id, 0) + 1
        has_receipt = accepted and outcome.final is not None
        return {
            "attempt_key": sub.attempt_id,
            "message_ref": sub.message_id,
            "destination": sub.to,
            "channel": sub.channel,
            "accepted": accepted,
            "carrier_message_id": uuid.uuid4().hex if accepted else None,
            "receipt_status": outcome.final.value if has_receipt and outcome.final else None,
            "receipt_due_at": self._due(now) if has_receipt else None,
            "created_at": now,
        }

    @staticmethod
    def _result(attempt_id: str, row: Row | dict[str, Any]) -> SubmitResult:
        if row["accepted"]:
            return SubmitResult(attempt_id, SubmitOutcome.ACCEPTED, row["carrier_message_id"])
        return SubmitResult(
            attempt_id,
            SubmitOutcome.TRANSIENT,
            reason_code=ReasonCode.RETRIES_EXHAUSTED.value,
            reason="Carrier temporarily unavailable",
            error_code="THROTTLED",
        )

    # ------------------------------------------------------------------ receipts

    async def start(self, sink: CarrierEvents) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(sink.apply_receipts), name="simulator-receipts")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self, sink: ReceiptHandler) -> None:
        while not self._stopping.is_set():
            try:
                sent = await self.deliver_due(sink)
            except Exception:
                log.exception("simulator receipt delivery failed")
                sent = 0
            if not sent:
                try:
                    await asyncio.wait_for(self._stopping.wait(), self._poll)
                except TimeoutError:
                    pass

    async def deliver_due(self, sink: ReceiptHandler) -> int:
        """Report the receipts that are due; returns how many were reported."""
        now = now_us()
        async with self._db.transaction() as conn:
            due = await repo.claim_receipts(conn, now, now + RECEIPT_LEASE_US, self._batch)
        if not due:
            return 0
        receipts = [self._receipt(row, now) for row in due]
        await sink(self.name, receipts)
        follow_ups: list[tuple[int, str | None, int | None]] = []
        for row in due:
            read_next = (
                row["receipt_status"] == Status.DELIVERED.value
                and outcome_for(row["destination"], row["channel"]).read_after_delivery
            )
            if read_next:
                follow_ups.append((row["id"], Status.READ.value, self._due(now_us())))
            else:
                follow_ups.append((row["id"], row["receipt_status"], None))
        async with self._db.transaction() as conn:
            await repo.set_receipts(conn, follow_ups)
        return len(due)

    @staticmethod
    def _receipt(row: Row, now: int) -> Receipt:
        status = Status(row["receipt_status"])
        outcome = outcome_for(row["destination"], row["channel"])
        if status in (Status.DELIVERED, Status.READ):
            return Receipt(row["carrier_message_id"], status, now)
        return Receipt(
            row["carrier_message_id"],
            status,
            now,
            reason_code=outcome.reason_code,
            reason=outcome.reason,
            error_code=outcome.error_code,
        )
