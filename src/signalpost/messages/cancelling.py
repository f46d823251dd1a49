"""Calling off a message before it is handed to a carrier."""

from __future__ import annotations

from signalpost.accounts.schemas import Scope
from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.messages.exceptions import NotCancellable
from signalpost.messages.lookups import get_message
from signalpost.messages.schemas import Message
from signalpost.messages.transitions import Change, Recorder
from signalpost.storage import Connection, outbox
from signalpost.timeutil import now_us

__all__ = ["cancel"]


async def cancel(conn: Connection, recorder: Recorder, scope: Scope, message_id: str) -> Message:
    """Call off a scheduled or queued message before it is handed to a carrier."""
    message = await get_message(conn, scope, message_id, with_events=False)
    if message.status not in (Status.SCHEDULED, Status.QUEUED, Status.ACCEPTED):
        raise NotCancellable()
    change = Change(
        message_id,
        Status.CANCELLED,
        now_us(),
        reason_code=ReasonCode.CANCELLED_BY_CALLER.value,
        reason="Cancelled by the caller",
    )
    applied = await recorder.apply(conn, [change], strict=False)
    if not applied:  # a dispatcher took it in the meantime
        raise NotCancellable()
    await outbox.remove(conn, [message_id])
    return await get_message(conn, scope, message_id)
