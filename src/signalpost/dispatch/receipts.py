"""Delivery receipts applied to their messages.

A receipt for a carrier id no message has yet (it came before the carrier's answer to the
submit was recorded) is parked; :func:`match_parked` matches parked receipts again, and
the dispatch round matches them as soon as it records the carrier ids they name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from signalpost.carriers.base import Receipt
from signalpost.dispatch import repository as queue
from signalpost.domain.lifecycle import Status
from signalpost.messages import repository as messages_repo
from signalpost.messages.transitions import Change, Recorder
from signalpost.storage import Connection, Row
from signalpost.timeutil import now_us

__all__ = ["from_parked", "match_parked", "record_receipts"]


async def record_receipts(
    conn: Connection, recorder: Recorder, carrier: str, receipts: Sequence[Receipt]
) -> list[str]:
    """Apply receipts; returns each one's outcome (its status, or ``orphan``)."""
    known = await messages_repo.find_by_carrier_ids(
        conn, carrier, [r.carrier_message_id for r in receipts]
    )
    changes: list[Change] = []
    orphans: list[dict[str, Any]] = []
    received = now_us()
    outcomes: list[str] = []
    for r in receipts:
        mid = known.get(r.carrier_message_id)
        if mid is None:
            orphans.append(_parked_row(carrier, r, received))
            outcomes.append("orphan")
            continue
        outcomes.append(r.status.value)
        changes.append(
            Change(
                mid,
                r.status,
                r.occurred_at,
                reason_code=r.reason_code,
                reason=r.reason,
                error_code=r.error_code,
                from_carrier=True,
            )
        )
    await recorder.apply(conn, changes, strict=False)
    if orphans:
        await queue.park_orphans(conn, orphans)
    return outcomes


async def match_parked(
    conn: Connection, recorder: Recorder, *, limit: int, max_age_seconds: float
) -> int:
    """Match parked receipts again (their message may have been recorded since); those
    older than ``max_age_seconds`` that still match nothing are dropped."""
    rows = await queue.oldest_orphans(conn, limit)
    if not rows:
        return 0
    by_carrier: dict[str, list[Row]] = {}
    for r in rows:
        by_carrier.setdefault(r["carrier"], []).append(r)
    matched = 0
    for carrier, group in by_carrier.items():
        known = await messages_repo.find_by_carrier_ids(
            conn, carrier, [r["carrier_message_id"] for r in group]
        )
        hits = [r for r in group if r["carrier_message_id"] in known]
        too_old = now_us() - int(max_age_seconds * 1_000_000)
        stale = [
            r for r in group if r["carrier_message_id"] not in known and r["received_at"] < too_old
        ]
        await queue.delete_orphans(conn, [r["id"] for r in hits + stale])
        await record_receipts(conn, recorder, carrier, [from_parked(r) for r in hits])
        matched += len(hits)
    return matched


def _parked_row(carrier: str, r: Receipt, received: int) -> dict[str, Any]:
    return {
        "carrier": carrier,
        "carrier_message_id": r.carrier_message_id,
        "status": r.status.value,
        "reason_code": r.reason_code,
        "reason": r.reason,
        "error_code": r.error_code,
        "occurred_at": r.occurred_at,
        "received_at": received,
    }


def from_parked(row: Row) -> Receipt:
    """The receipt a parked row holds."""
    return Receipt(
        row["carrier_message_id"],
        Status(row["status"]),
        row["occurred_at"],
        reason_code=row["reason_code"],
        reason=row["reason"],
        error_code=row["error_code"],
    )
