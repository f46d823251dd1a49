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
from signalpost.activities.schemas import Activity
from signalpost.domain.keywords import KeywordAction
from signalpost.domain.lifecycle import IllegalTransition, Status, describe, plan_transition
from signalpost.messages import repository as repo
from signalpost.messages.schemas import Message
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
    """A step that was recorded: the message as it now is, and the activity written.

    ``previous_carrier`` is the message's carrier before this step (statistics move the
    message from its old group to its new one).
    """

    message: Message
    previous: Status
    activity: Activity  # as stored, but for its id (0: the database gave it one)
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
        self,
        conn: Connection,
        changes: Sequence[Change],
        *,
        strict: bool = True,
        locked: Sequence[Message] | None = None,
    ) -> list[Applied]:
        """Apply changes in order; returns the steps recorded.

        With ``strict`` an illegal platform-initiated change raises
        :class:`IllegalTransition`; otherwise it is logged and skipped.  ``locked``: the
        messages as the caller has just read and locked them in this transaction
        (:func:`~signalpost.messages.repository.lock_messages`), so they are not read again.
        """
        if not changes:
            return []
        if locked is None:
            locked = await repo.lock_messages(conn, sorted({c.message_id for c in changes}))
        before = {m.id: m for m in locked}
        state = dict(before)  # each message as the changes so far left it
        steps: dict[str, int] = {}  # the messages changed, and the steps each recorded
        applied: list[Applied] = []
        for change in changes:
            message = state.get(change.message_id)
            if message is None:
                log.warning("state change for unknown message %s", change.message_id)
                continue
            step = self._step(message, change, state, steps, strict)
            if step is not None:
                applied.append(step)
        if steps:
            await repo.update_states(
                conn, [_update(before[i], state[i], n) for i, n in steps.items()]
            )
        if applied:
            await activities_repo.insert_many(conn, applied)
            await self.notify(conn, applied)
        return applied

    @staticmethod
    def _step(
        message: Message,
        change: Change,
        state: dict[str, Message],
        steps: dict[str, int],
        strict: bool,
    ) -> Applied | None:
        current = Status(message.status)
        try:
            plan = plan_transition(current, change.status, from_carrier=change.from_carrier)
        except IllegalTransition:
            if strict:
                raise
            log.info("ignored %s -> %s for %s", current, change.status, message.id)
            return None
        mid = message.id
        steps.setdefault(mid, 0)  # changed, even by a step that is not recorded
        carrier = message.carrier if change.carrier is None else change.carrier
        carrier_message_id = message.carrier_message_id
        if change.carrier_message_id is not None and not carrier_message_id:
            carrier_message_id = change.carrier_message_id
        attempts = message.attempts + change.attempts_inc
        if plan.apply:
            step = _record(message, current, change, carrier, carrier_message_id, attempts, steps)
            state[mid] = step.message
            return step
        # A carrier outcome its state outranks: what the carrier told is kept all the same.
        told = (carrier, carrier_message_id, attempts)
        if told != (message.carrier, message.carrier_message_id, message.attempts):
            state[mid] = message.moved(
                message.status,
                message.reason_code,
                message.reason,
                message.updated_at,
                carrier,
                carrier_message_id,
                message.sent_at,
                message.delivered_at,
                attempts,
            )
        return None


def _record(
    message: Message,
    current: Status,
    change: Change,
    carrier: str | None,
    carrier_message_id: str | None,
    attempts: int,
    steps: dict[str, int],
) -> Applied:
    """The step recorded: the message as it moves on, built once, and its activity."""
    status, at = change.status, change.at
    sent_at, delivered_at = message.sent_at, message.delivered_at
    if status == Status.SENT and sent_at is None:
        sent_at = at
    if status == Status.DELIVERED and delivered_at is None:
        delivered_at = at
    moved = message.moved(
        status.value,
        change.reason_code,
        change.reason,
        at,
        carrier,
        carrier_message_id,
        sent_at,
        delivered_at,
        attempts,
    )
    activity = Activity(
        0,
        message.id,
        status.value,
        change.description or describe(status, message.channel),
        change.reason_code,
        change.reason,
        change.error_code,
        message.price_micros,
        at,
    )
    # The revision moves by the number of steps each update records, so the message's
    # revision before this update plus the step's rank in it orders the steps.
    steps[message.id] = recorded = steps[message.id] + 1
    return Applied(moved, current, activity, message.revision + recorded, message.carrier)


def _update(before: Message, after: Message, steps: int) -> dict[str, Any]:
    """The update of a changed message (None leaves a field as it is); its revision moves
    by the steps recorded, at least 1."""
    return {
        "id": after.id,
        "status": after.status,
        "reason_code": after.reason_code,
        "reason": after.reason,
        "updated_at": after.updated_at,
        "carrier": after.carrier if after.carrier != before.carrier else None,
        "carrier_message_id": (
            after.carrier_message_id
            if after.carrier_message_id != before.carrier_message_id
            else None
        ),
        "sent_at": after.sent_at if before.sent_at is None else None,
        "delivered_at": after.delivered_at if before.delivered_at is None else None,
        "attempts_inc": after.attempts - before.attempts,
        "steps": max(1, steps),
    }
