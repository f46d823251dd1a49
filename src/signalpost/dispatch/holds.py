"""Holds: a group of queued messages that waits until it is released.

A message may be queued with a ``hold_key`` (the group it waits with, e.g. the send
definition it was sent through).  While the group is held its queue rows are never due
(``due_at`` = :data:`~signalpost.storage.outbox.HELD_DUE_AT`), so the dispatch claim
skips them with no extra condition on the hot path; the messages stay ``queued``.
:func:`hold` parks the group's waiting rows, :func:`release` makes them due at once, and
:func:`clear` cancels the held messages.  A row a live worker has already claimed finishes
its round.  Callers own the transaction.
"""

from __future__ import annotations

from signalpost.dispatch import repository as queue
from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.messages.transitions import Change, Recorder
from signalpost.storage import Connection
from signalpost.timeutil import now_us

__all__ = ["clear", "depth", "hold", "release"]

_CLEAR_CHUNK = 1000


async def hold(conn: Connection, key: str) -> int:
    """Stop dispatching the group's waiting messages; returns how many rows were parked."""
    return await queue.hold(conn, key, now_us())


async def release(conn: Connection, key: str) -> int:
    """Dispatch the group's held messages now; returns how many rows were released."""
    return await queue.release(conn, key, now_us())


async def depth(conn: Connection, key: str) -> tuple[int, int | None]:
    """``(count, oldest created_at)`` of the group's messages still in the queue."""
    return await queue.hold_depth(conn, key)


async def clear(conn: Connection, recorder: Recorder, key: str, reason: str) -> int:
    """Cancel every held message of the group and drop its queue rows; returns the count."""
    cleared = 0
    while True:
        ids = await queue.held_ids(conn, key, _CLEAR_CHUNK)
        if not ids:
            return cleared
        now = now_us()
        changes = [
            Change(mid, Status.CANCELLED, now, ReasonCode.CANCELLED_BY_CALLER.value, reason)
            for mid in ids
        ]
        await recorder.apply(conn, changes, strict=False)
        await queue.remove(conn, ids)
        cleared += len(ids)
