"""Hand due messages to carriers, record the answers, apply receipts, expire the silent.

Flow of one dispatch round (:meth:`Dispatcher.run_once`):

1. *Claim* (one transaction): take up to a batch of due rows from the queue with a lease,
   move each message to ``processed`` and ``routed`` and write an in-flight submit attempt.
2. *Submit* (no transaction): each carrier gets its messages in one call.
3. *Record* (one transaction): ``sent`` with the carrier's id, or back to ``queued`` with
   a backoff for a transient error, or a final state for a permanent one; the queue row is
   removed or rescheduled in the same transaction.

A message whose carrier this process leaves to other processes (they hold every bind of
the SMPP connection, see :attr:`~signalpost.carriers.base.Carrier.served_elsewhere`) is
not touched in step 1: its queue row is handed over to that carrier, due at once, and
only processes that send over the carrier claim it, so nothing is failed or delayed for
want of a bind here.

A worker that dies between 1 and 3 leaves the queue row leased; when the lease runs out
another worker claims it and finds the in-flight attempt.  An idempotent carrier (the
simulator) is sent the same attempt id again and answers as the first time, so nothing is
sent twice.  For a carrier that cannot be asked (SMPP), the unknown attempt is closed and
a new one made: at-least-once, because a lost message is worse than a duplicate.

Retry backoff for transient errors: ``delay = min(retry_max, retry_base * 2^(n-1))``
multiplied by a random factor in [0.5, 1.0] (n = attempts so far), up to
``max_submit_attempts``; then the message fails with DELIVERY_009.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from signalpost.carriers.base import (
    NO_RESPONSE,
    Carrier,
    Receipt,
    Submission,
    SubmitOutcome,
    SubmitResult,
)
from signalpost.carriers.registry import CarrierRegistry
from signalpost.dispatch import expiry
from signalpost.dispatch import repository as queue
from signalpost.dispatch.events import PlatformEvents
from signalpost.dispatch.receipts import from_parked, match_parked, record_receipts
from signalpost.domain.backoff import backoff_delay
from signalpost.domain.lifecycle import FINAL, ReasonCode, Status
from signalpost.messages import repository as messages_repo
from signalpost.messages.schemas import Message
from signalpost.messages.transitions import Change, Recorder
from signalpost.observability.metrics import observe_submits
from signalpost.storage import Connection, Database, Row
from signalpost.timeutil import new_id, now_us

__all__ = ["DispatchPolicy", "Dispatcher", "backoff_seconds"]

log = logging.getLogger("signalpost.dispatch")

_BEFORE_ROUTED: dict[Status, tuple[Status, ...]] = {
    Status.ACCEPTED: (Status.QUEUED, Status.PROCESSED, Status.ROUTED),
    Status.SCHEDULED: (Status.QUEUED, Status.PROCESSED, Status.ROUTED),
    Status.QUEUED: (Status.PROCESSED, Status.ROUTED),
    Status.PROCESSED: (Status.ROUTED,),
    Status.ROUTED: (),
}


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    batch_size: int = 500
    lease_seconds: float = 30.0
    max_attempts: int = 8
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 600.0


def backoff_seconds(policy: DispatchPolicy, attempts: int) -> float:
    return backoff_delay(attempts, policy.retry_base_seconds, policy.retry_max_seconds)


@dataclass(slots=True)
class _Pending:
    submission: Submission
    carrier: Carrier
    attempt_no: int
    request_id: str | None = None  # of the request that accepted the message, for logs


class Dispatcher:
    def __init__(
        self,
        db: Database,
        recorder: Recorder,
        carriers: CarrierRegistry,
        policy: DispatchPolicy,
        *,
        currency: str = "USD",
    ) -> None:
        self.db = db
        self.recorder = recorder
        self.carriers = carriers
        self.policy = policy
        self.events = PlatformEvents(db, recorder, currency=currency)  # given to the carriers

    # -------------------------------------------------------------- dispatch round

    async def run_once(self, worker: str) -> int:
        """One claim-submit-record round; returns how many messages it claimed."""
        now = now_us()
        async with self.db.transaction() as conn:
            lease_until = now + int(self.policy.lease_seconds * 1_000_000)
            claimed = await queue.claim(
                conn,
                now=now,
                lease_until=lease_until,
                limit=self.policy.batch_size,
                worker=worker,
                pass_by=self.carriers.served_elsewhere,
            )
            if not claimed:
                return 0
            pending = await self._prepare(conn, [c[0] for c in claimed], now)
        if pending:
            results = await self._submit(pending)
            await self._record(pending, results)
        return len(claimed)

    async def _prepare(self, conn: Connection, ids: list[str], now: int) -> list[_Pending]:
        # Read and locked once: the recorder moves these same values (no second read).
        locked = await messages_repo.lock_messages(conn, ids)
        open_attempts = {r["message_id"]: r for r in await queue.open_attempts(conn, ids)}
        retried = [m.id for m in locked if m.status == Status.QUEUED and m.attempts]
        failed_on, unsure_on = (
            await queue.last_failures(conn, retried, NO_RESPONSE) if retried else ({}, {})
        )
        changes: list[Change] = []
        finished: list[str] = []
        pending: list[_Pending] = []
        new_attempts: list[dict[str, Any]] = []
        closed: list[dict[str, Any]] = []
        handed: dict[str, list[str]] = {}
        for message in locked:
            mid = message.id
            status = Status(message.status)
            if status in FINAL or status == Status.SENT:
                finished.append(mid)
                continue
            if message.expires_at <= now:
                changes.append(expiry.expired_in_queue(mid, now))
                finished.append(mid)
                continue
            last = failed_on.get(mid)
            carrier = self.carriers.carriers.get(unsure_on.get(mid, "")) or (
                self.carriers.route(
                    message.to_number, message.channel, test=message.test, avoid=last, key=mid
                )
            )
            if carrier is None:  # the route went away after the message was accepted
                changes.append(_no_route(message, now))
                finished.append(mid)
                continue
            if carrier.served_elsewhere:  # untouched, for the processes holding its binds
                handed.setdefault(carrier.name, []).append(mid)
                continue
            previous = open_attempts.get(mid)
            attempt_id, attempt_no = self._attempt_for(
                message, carrier, previous, now, new_attempts, closed
            )
            moved = f"Failed over from {last}" if last and last != carrier.name else None
            for step in _BEFORE_ROUTED.get(status, ()):
                routed = step == Status.ROUTED
                inc = 1 if routed and previous is None else 0
                reason = moved if routed else None
                changes.append(
                    Change(mid, step, now, reason=reason, carrier=carrier.name, attempts_inc=inc)
                )
            pending.append(
                _Pending(_submission(message, attempt_id), carrier, attempt_no, message.request_id)
            )
        await self.recorder.apply(conn, changes, locked=locked)
        await queue.update_attempts(conn, closed)
        await queue.insert_attempts(conn, new_attempts)
        await queue.remove(conn, finished)
        for carrier_name, handed_ids in handed.items():
            await queue.hand_over(conn, handed_ids, carrier_name, now)
        return pending

    @staticmethod
    def _attempt_for(
        message: Message,
        carrier: Carrier,
        previous: Row | None,
        now: int,
        new_attempts: list[dict[str, Any]],
        closed: list[dict[str, Any]],
    ) -> tuple[str, int]:
        if previous is not None and carrier.idempotent and previous["carrier"] == carrier.name:
            return previous["id"], previous["attempt_no"]
        if previous is not None:
            closed.append(
                {
                    "id": previous["id"],
                    "status": "unknown",
                    "carrier_message_id": None,
                    "error_code": None,
                    "error_reason": "worker stopped before the carrier's answer was recorded",
                    "completed_at": now,
                }
            )
        attempt_no = message.attempts + 1
        attempt_id = new_id()
        new_attempts.append(
            {
                "id": attempt_id,
                "message_id": message.id,
                "attempt_no": attempt_no,
                "carrier": carrier.name,
                "status": "in_flight",
                "carrier_message_id": None,
                "error_code": None,
                "error_reason": None,
                "created_at": now,
                "completed_at": None,
            }
        )
        return attempt_id, attempt_no

    async def _submit(self, pending: list[_Pending]) -> dict[str, SubmitResult]:
        by_carrier: dict[str, list[_Pending]] = {}
        for p in pending:
            by_carrier.setdefault(p.carrier.name, []).append(p)
        results: dict[str, SubmitResult] = {}
        for group in by_carrier.values():
            carrier = group[0].carrier
            subs = [p.submission for p in group]
            started = time.perf_counter()
            try:
                answers = await carrier.submit(subs)
            except Exception as exc:
                log.warning("carrier %s failed a batch of %d: %s", carrier.name, len(subs), exc)
                answers = [
                    SubmitResult(
                        s.attempt_id,
                        SubmitOutcome.TRANSIENT,
                        error_code="CARRIER_DOWN",
                        reason=str(exc)[:200],
                    )
                    for s in subs
                ]
            observe_submits(carrier.name, time.perf_counter() - started, answers)
            if log.isEnabledFor(logging.DEBUG):
                _log_submits(group, answers)
            for answer in answers:
                results[answer.attempt_id] = answer
                ok = answer.outcome != SubmitOutcome.TRANSIENT
                self.carriers.record(carrier.name, ok=ok)
        return results

    async def _record(self, pending: list[_Pending], results: dict[str, SubmitResult]) -> None:
        now = now_us()
        changes: list[Change] = []
        attempts: list[dict[str, Any]] = []
        finished: list[str] = []
        retry: dict[str, int] = {}
        accepted: dict[str, list[str]] = {}
        for p in pending:
            mid = p.submission.message_id
            res = results.get(p.submission.attempt_id) or SubmitResult(
                p.submission.attempt_id, SubmitOutcome.TRANSIENT, error_code="NO_ANSWER"
            )
            attempts.append(_attempt_update(res, now))
            if res.outcome == SubmitOutcome.ACCEPTED:
                changes.append(
                    Change(
                        mid,
                        Status.SENT,
                        now,
                        carrier=p.carrier.name,
                        carrier_message_id=res.carrier_message_id,
                        from_carrier=True,
                    )
                )
                finished.append(mid)
                accepted.setdefault(p.carrier.name, []).append(res.carrier_message_id or "")
            elif res.outcome == SubmitOutcome.PERMANENT:
                changes.append(
                    Change(
                        mid,
                        res.status or Status.FAILED,
                        now,
                        reason_code=res.reason_code or ReasonCode.SUBMIT_REFUSED.value,
                        reason=res.reason,
                        error_code=res.error_code,
                    )
                )
                finished.append(mid)
            elif p.attempt_no >= self.policy.max_attempts:
                changes.append(
                    Change(
                        mid,
                        Status.FAILED,
                        now,
                        reason_code=ReasonCode.RETRIES_EXHAUSTED.value,
                        reason=f"Carrier unavailable after {p.attempt_no} attempts",
                        error_code=res.error_code,
                    )
                )
                finished.append(mid)
            else:
                changes.append(self._requeued(p, res, now, retry))
        async with self.db.transaction() as conn:
            await self.recorder.apply(conn, changes, strict=False)
            await queue.update_attempts(conn, attempts)
            await queue.remove(conn, finished)
            await queue.reschedule(conn, retry)
            for carrier_name, cids in accepted.items():
                orphans = await queue.take_orphans(conn, carrier_name, cids)
                if orphans:
                    parked = [from_parked(o) for o in orphans]
                    await record_receipts(conn, self.recorder, carrier_name, parked)

    def _requeued(self, p: _Pending, res: SubmitResult, now: int, retry: dict[str, int]) -> Change:
        """A transient failure: to the route's next carrier at once, else retry later."""
        s = p.submission
        code = res.error_code or "unknown"
        uncertain = res.error_code == NO_RESPONSE
        other = (
            None
            if uncertain
            else self.carriers.alternative(s.to, s.channel, p.carrier.name, key=s.message_id)
        )
        if other is not None:
            retry[s.message_id] = now
            reason = f"Carrier {p.carrier.name} failed ({code}), failing over to {other}"
            if res.reason:
                reason += f": {res.reason}"
        else:
            delay = backoff_seconds(self.policy, p.attempt_no)
            retry[s.message_id] = now + int(delay * 1_000_000)
            reason = f"Temporary carrier error ({code}), retrying"
        return Change(
            s.message_id,
            Status.QUEUED,
            now,
            reason=reason,
            error_code=res.error_code,
            description="Message queued for a retry",
        )

    # -------------------------------------------------------------- receipts and expiry

    async def apply_receipts(self, carrier: str, receipts: Sequence[Receipt]) -> None:
        """Apply delivery reports durably (the carrier acknowledges them after this returns)."""
        await self.events.apply_receipts(carrier, receipts)

    async def retry_orphans(self, *, limit: int = 500, max_age_seconds: float = 7 * 86400) -> int:
        """Match parked receipts again (their message may have been recorded since)."""
        async with self.db.transaction() as conn:
            return await match_parked(
                conn, self.recorder, limit=limit, max_age_seconds=max_age_seconds
            )

    async def expire_due(self, *, limit: int = 1000, now: int | None = None) -> int:
        """Sent messages whose validity ran out without a final receipt become ``expired``
        (``now``: the time to judge by, in microseconds; the clock by default)."""
        now = now_us() if now is None else now
        async with self.db.transaction() as conn:
            return await expiry.expire_sent(conn, self.recorder, now=now, limit=limit)


def _log_submits(group: Sequence[_Pending], answers: Sequence[SubmitResult]) -> None:
    """A line per message, with the request id of the request that accepted it."""
    by_attempt = {a.attempt_id: a for a in answers}
    for p in group:
        answer = by_attempt.get(p.submission.attempt_id)
        outcome = answer.outcome.value if answer is not None else "no answer"
        log.debug(
            "message %s submitted to %s (attempt %d): %s",
            p.submission.message_id,
            p.carrier.name,
            p.attempt_no,
            outcome,
            extra={"request_id": p.request_id, "message_id": p.submission.message_id},
        )


def _submission(message: Message, attempt_id: str) -> Submission:
    return Submission(
        attempt_id=attempt_id,
        message_id=message.id,
        to=message.to_number,
        sender=message.from_number,
        body=message.body,
        channel=message.channel,
        encoding=message.encoding,
        segments=message.segments,
        expires_at=message.expires_at,
    )


def _no_route(message: Message, now: int) -> Change:
    return Change(
        message.id,
        Status.FAILED,
        now,
        reason_code=ReasonCode.NO_ROUTE.value,
        reason=f"No configured carrier carries {message.channel} messages to this destination",
    )


def _attempt_update(res: SubmitResult, now: int) -> dict[str, Any]:
    return {
        "id": res.attempt_id,
        "status": res.outcome.value,
        "carrier_message_id": res.carrier_message_id,
        "error_code": res.error_code,
        "error_reason": res.reason,
        "completed_at": now,
    }
