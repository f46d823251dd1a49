"""Messages whose validity period ran out: in the queue before they could be sent, or sent
without a final receipt."""

from __future__ import annotations

from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.messages import repository as messages_repo
from signalpost.messages.transitions import Change, Recorder
from signalpost.storage import Connection

__all__ = ["expire_sent", "expired_in_queue"]


def expired_in_queue(message_id: str, now: int) -> Change:
    """The step of a message whose validity ended before it was handed to a carrier."""
    return Change(
        message_id,
        Status.EXPIRED,
        now,
        reason_code=ReasonCode.EXPIRED.value,
        reason="Validity period ended before the message could be sent",
    )


async def expire_sent(conn: Connection, recorder: Recorder, *, now: int, limit: int) -> int:
    """Sent messages whose validity ran out by ``now`` without a final receipt become
    ``expired`` (at most ``limit``); returns how many."""
    ids = await messages_repo.sent_past_expiry(conn, now, limit)
    changes = [
        Change(
            mid,
            Status.EXPIRED,
            now,
            reason_code=ReasonCode.EXPIRED.value,
            reason="No delivery receipt before the validity period ended",
        )
        for mid in ids
    ]
    await recorder.apply(conn, changes, strict=False)
    return len(ids)
