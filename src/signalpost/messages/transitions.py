"""The one way a message changes state: plan by the lifecycle, write state and activity together.

:meth:`Recorder.apply` runs inside the caller's transaction.  It locks the messages it
changes, plans each change with :func:`~signalpost.domain.lifecycle.plan_transition`,
updates the rows, inserts one activity per applied step, and hands the applied steps to
observers (the webhook outbox) in the same transaction, so a crash can neither lose nor
invent a step.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from signalpost.activities import repository as activities_repo
from signalpost.domain.keywords import KeywordAction
from signalpost.domain.lifecycle import IllegalTransition, Status, describe, plan_transition
from signalpost.messages import repository as repo
from signalpost.storage import Connection
from signalpost.values import quick_init

__all__ = ["Applied", "Change", "Observer", "Recorder"]

log = logging.getLogger("signalpost.lifecycle")


@quick_init
@dataclass(frozen=True, slots=True)
class Change:
    """A requested state change of one message."""

    message_id: str
    status: Status
    at: int
    reason_code: str | None = None
    reason: str | None = None
    error_code: str | None = None
    description: str | None = None
    carrier: str | None = None
    carrier_message_id: str | None = None
    from_carrier: bool = False  # carrier outcomes apply by rank and may be no-ops
    attempts_inc: int = 0


@quick_init
@dataclass(frozen=True, slots=True)
class Applied:
    """A step that was recorded: the message as it now is, and the activity row written.

    ``previous_carrier`` is the message's carrier before this step (statistics move the
    message from its old group to its new one).
    """

    message: dict[str, Any]
    previous: Status
    activity: dict[str, Any]
    sequence: int = 0
    """The step's place in its message's history: it increases with every step (with
    gaps), so receivers of events delivered out of order can put them back in order."""
    previous_carrier: str | None = None
    keyword: KeywordAction | None = None
    """Of an inbound message (``received``): the keyword its whole text is for its tenant,
    if it is one (classified once, as it is stored, for every observer)."""


Observer = Callable[[Connection, Sequence[Applied]], Awaitable[None]]


class Recorder:
    def __init__(self) -> None:
        self.observers: list[Observer] = []

    async def notify(self, conn: Connection, applied: Sequence[Applied]) -> None:
        if applied:
            for observer in self.observers:
                await observer(conn, applied)

    async def apply(
        self, conn: Connection, changes: Sequence[Change], *, strict: bool = True
    ) -> list[Applied]:
        """Apply changes in order; returns the steps recorded.

        With ``strict`` an illegal platform-initiated change raises
        :class:`IllegalTransition`; otherwise it is logged and skipped.
        """
        if not changes:
            return []
        rows = await repo.lock_many(conn, sorted({c.message_id for c in changes}))
        keys = list(rows[0].keys()) if rows else []
        state: dict[str, dict[str, Any]] = {r[0]: dict(zip(keys, r, strict=True)) for r in rows}
        dirty: dict[str, dict[str, Any]] = {}
        applied: list[Applied] = []
        for change in changes:
            row = state.get(change.message_id)
            if row is None:
                log.warning("state change for unknown message %s", change.message_id)
                continue
            step = self._step(row, change, dirty, strict)
            if step is not None:
                applied.append(step)
        if dirty:
            for pending in dirty.values():
                pending["steps"] = max(1, pending["steps"])  # the revision always moves
            await repo.update_states(conn, dirty.values())
        if applied:
            await activities_repo.insert_many(conn, (a.activity for a in applied))
            await self.notify(conn, applied)
        return applied

    def _step(
        self, row: dict[str, Any], change: Change, dirty: dict[str, dict[str, Any]], strict: bool
    ) -> Applied | None:
        current = Status(row["status"])
        carrier_before = row["carrier"]
        try:
            plan = plan_transition(current, change.status, from_carrier=change.from_carrier)
        except IllegalTransition:
            if strict:
                raise
            log.info("ignored %s -> %s for %s", current, change.status, row["id"])
            return None
        pending = dirty.get(row["id"])
        if pending is None:
            pending = dirty[row["id"]] = {
                "id": row["id"],
                "status": row["status"],
                "reason_code": row["reason_code"],
                "reason": row["reason"],
                "updated_at": row["updated_at"],
                "carrier": None,
                "carrier_message_id": None,
                "sent_at": None,
                "delivered_at": None,
                "attempts_inc": 0,
                "steps": 0,
            }
        if change.carrier is not None:
            pending["carrier"] = row["carrier"] = change.carrier
        if change.carrier_message_id is not None and not row["carrier_message_id"]:
            pending["carrier_message_id"] = row["carrier_message_id"] = change.carrier_message_id
        pending["attempts_inc"] += change.attempts_inc
        row["attempts"] += change.attempts_inc
        if not plan.apply:
            return None
        return self._record(row, pending, current, change, carrier_before)

    @staticmethod
    def _record(
        row: dict[str, Any],
        pending: dict[str, Any],
        current: Status,
        change: Change,
        carrier_before: str | None,
    ) -> Applied:
        status = change.status
        row["status"] = pending["status"] = status.value
        row["reason_code"] = pending["reason_code"] = change.reason_code
        row["reason"] = pending["reason"] = change.reason
        row["updated_at"] = pending["updated_at"] = change.at
        if status == Status.SENT and row["sent_at"] is None:
            row["sent_at"] = pending["sent_at"] = change.at
        if status == Status.DELIVERED and row["delivered_at"] is None:
            row["delivered_at"] = pending["delivered_at"] = change.at
        activity = {
            "message_id": row["id"],
            "tenant_id": row["tenant_id"],
            "status": status.value,
            "description": change.description or describe(status, row["channel"]),
            "reason_code": change.reason_code,
            "reason": change.reason,
            "error_code": change.error_code,
            "price_micros": row["price_micros"],
            "created_at": change.at,
            "channel": row["channel"],
            "from_number": row["from_number"],
        }
        # The revision moves by the number of steps each update records, so the row's
        # revision before this update plus the step's rank in it orders the steps.
        pending["steps"] += 1
        sequence = row["revision"] + pending["steps"]
        return Applied(dict(row), current, activity, sequence, carrier_before)
