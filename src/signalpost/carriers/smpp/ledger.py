"""The SMPP carrier's books: which part went where, what came back, what a message became.

One ``smpp_messages`` row per platform message sent over SMPP (its id is the carrier
message id the platform records) and one ``smpp_parts`` row per accepted part, keyed for
receipts by ``(connection, SMSC message id)``.  A message's outcome is decided from its
parts by the multipart rule of :mod:`signalpost.carriers.smpp.status`, once, and reported
to the platform until the report is acknowledged (``report_due``).

**Which part a receipt is for.**  Exactly the part whose ``submit_sm_resp`` carried the
receipt's id on the same connection (after the connection's configured base conversion,
:class:`~signalpost.carriers.smpp.status.ReceiptIds`; nothing is guessed), and of the parts
that ever carried that id, the newest one submitted before the receipt arrived.  "Before"
is read on one clock, :func:`signalpost.storage.clock_us` (the database server's on
PostgreSQL, so processes on several machines agree): a part's ``submitted_at`` is read
before its ``submit_sm`` is written, a receipt's ``received_at`` after it was read off the
socket, so a part whose ``submit_sm`` went out after a receipt came in is never that
receipt's target.  A receipt
applies only while that part is still open.  Otherwise it is *parked* (stored, so it can be
acknowledged to the SMSC): when it overtook our record of its ``submit_sm_resp``, or when
the SMSC reused an id whose earlier part is already final.  A parked receipt is applied as
soon as its part is stored (:func:`record_submits`); one that no part claims within
:data:`PARKED_MAX_AGE_US` (a duplicate of a receipt already applied, or a receipt for a
part that was never ours) is dropped by :func:`expire_parked`.  Receipts and records of one
connection are serialised (one transaction at a time per connection, across processes), so
a receipt and the record of its part never miss each other.

Group states: ``partial`` (some parts not accepted yet; a retry sends only the missing
parts, with the same concatenation reference), ``sent`` (every part accepted; the platform
was told so), ``closed`` (a part was refused for good; the platform was told so).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from signalpost.carriers.base import Receipt
from signalpost.carriers.smpp import repository as repo
from signalpost.carriers.smpp.status import Decision, PartReceipt, PartState, decide
from signalpost.domain.lifecycle import Status
from signalpost.storage import Connection, Row

__all__ = [
    "CLOSED",
    "PARKED_MAX_AGE_US",
    "PARTIAL",
    "SENT",
    "Book",
    "Report",
    "SubmitRecord",
    "apply_receipts",
    "expire_parked",
    "load_books",
    "mark_reported",
    "pending_reports",
    "record_submits",
    "target_part",
]

PARTIAL = "partial"
SENT = "sent"
CLOSED = "closed"
PARKED_MAX_AGE_US = 3600 * 1_000_000
"""How long a parked receipt waits for its part (a submit is recorded within seconds)."""


@dataclass(frozen=True, slots=True)
class Report:
    """A message-level receipt to hand to the platform under ``carrier``'s name."""

    carrier: str
    group_id: str
    receipt: Receipt


@dataclass(slots=True)
class Book:
    """What is on record for one message: its group row and its accepted parts."""

    group: dict[str, Any]
    parts: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass(slots=True)
class SubmitRecord:
    """What one submit produced for the books."""

    group: dict[str, Any] | None  # None: nothing to record (nothing was accepted)
    is_new: bool
    parts: list[dict[str, Any]]  # parts accepted by this submit
    became_sent: bool = False


async def load_books(conn: Connection, message_ids: Sequence[str]) -> dict[str, Book]:
    """Books of the messages that were (partly) submitted before."""
    groups = await repo.groups_for_messages(conn, message_ids)
    if not groups:
        return {}
    books = {g["id"]: Book(dict(g)) for g in groups}
    for part in await repo.parts_of(conn, list(books)):
        books[part["smpp_message_id"]].parts[part["part_no"]] = dict(part)
    return {b.group["message_id"]: b for b in books.values()}


async def record_submits(
    conn: Connection, records: Sequence[SubmitRecord], now: int
) -> list[Report]:
    """Store groups and accepted parts; apply the receipts parked for them; decide."""
    parts = [p for r in records for p in r.parts]
    by_connection: dict[str, list[str]] = defaultdict(list)
    for part in parts:
        by_connection[part["connection"]].append(part["smsc_message_id"])
    await repo.lock_connections(conn, sorted(by_connection))
    await repo.insert_groups(conn, [r.group for r in records if r.group is not None and r.is_new])
    await repo.update_groups(
        conn, [r.group for r in records if r.group is not None and not r.is_new]
    )
    await repo.insert_parts(conn, parts)
    touched = {r.group["id"] for r in records if r.group is not None and r.became_sent}
    for connection, keys in by_connection.items():
        parked = await repo.parked_for(conn, connection, keys)
        if parked:
            touched |= await _claim_parked(conn, connection, parked)
    return await _decide(conn, touched, now)


async def apply_receipts(
    conn: Connection, connection: str, receipts: Sequence[PartReceipt], now: int
) -> list[Report]:
    """Apply final part receipts received on ``connection`` at ``now``; park the others
    (module docstring).  Intermediate receipts change nothing."""
    finals = [r for r in receipts if r.status is not None]
    if not finals:
        return []
    await repo.lock_connections(conn, [connection])
    targets = await _targets(conn, connection, [(r.smsc_message_id, now) for r in finals])
    updates: dict[int, dict[str, Any]] = {}
    parked: list[dict[str, Any]] = []
    for receipt, part in zip(finals, targets, strict=True):
        if part is None or part["status"] != Status.SENT.value:
            parked.append(_parked_row(connection, receipt, now))
        elif part["id"] not in updates:  # else a duplicate within this batch
            updates[part["id"]] = _part_update(part, receipt)
    await repo.park(conn, parked)
    await repo.update_parts(conn, updates.values())
    return await _decide(conn, {u["smpp_message_id"] for u in updates.values()}, now)


async def expire_parked(conn: Connection, connection: str, now: int) -> int:
    """Drop receipts parked longer than :data:`PARKED_MAX_AGE_US`; returns how many."""
    return await repo.delete_parked_before(conn, connection, now - PARKED_MAX_AGE_US)


async def pending_reports(conn: Connection, carrier: str, limit: int) -> list[Report]:
    """Decided outcomes of accepted messages not yet acknowledged by the platform."""
    return [_report(g) for g in await repo.due_reports(conn, carrier, limit)]


async def mark_reported(conn: Connection, group_ids: Iterable[str]) -> None:
    await repo.mark_reported(conn, sorted(set(group_ids)))


def target_part(parts: Iterable[Row], received_at: int) -> Row | None:
    """Of the parts that carried a receipt's key, the one it is for: the newest submitted
    before it was received (``None`` when there is none)."""
    best: Row | None = None
    for part in parts:
        if part["submitted_at"] > received_at:
            continue
        if best is None or (part["submitted_at"], part["id"]) > (best["submitted_at"], best["id"]):
            best = part
    return best


# ----------------------------------------------------------------------------- internals


async def _targets(
    conn: Connection, connection: str, wanted: Sequence[tuple[str, int]]
) -> list[Row | None]:
    """The part each ``(key, received_at)`` is for (:func:`target_part`)."""
    by_key: dict[str, list[Row]] = defaultdict(list)
    keys = sorted({key for key, _ in wanted})
    for row in await repo.find_parts(conn, connection, keys):
        by_key[row["smsc_message_id"]].append(row)
    return [target_part(by_key.get(key, ()), received_at) for key, received_at in wanted]


async def _claim_parked(conn: Connection, connection: str, parked: Sequence[Row]) -> set[str]:
    """Apply parked receipts whose part is stored and open now; they leave the lot."""
    targets = await _targets(
        conn, connection, [(r["carrier_message_id"], r["received_at"]) for r in parked]
    )
    updates: dict[int, dict[str, Any]] = {}
    claimed: list[int] = []
    for row, part in zip(parked, targets, strict=True):
        if part is None or part["status"] != Status.SENT.value:
            continue
        claimed.append(row["id"])
        if part["id"] not in updates:  # the first receipt parked for a part wins
            updates[part["id"]] = _part_update(part, _from_parked(row))
    await repo.update_parts(conn, updates.values())
    await repo.delete_parked(conn, claimed)
    return {u["smpp_message_id"] for u in updates.values()}


def _part_update(part: Row, receipt: PartReceipt) -> dict[str, Any]:
    assert receipt.status is not None
    return {
        "id": part["id"],
        "smpp_message_id": part["smpp_message_id"],
        "status": receipt.status.value,
        "reason_code": receipt.reason_code,
        "reason": receipt.reason,
        "error_code": receipt.error_code,
        "done_at": max(receipt.occurred_at, part["submitted_at"]),
    }


async def _decide(conn: Connection, group_ids: set[str], now: int) -> list[Report]:
    """Decide the still-open messages among ``group_ids`` (locking them first)."""
    if not group_ids:
        return []
    groups = [dict(g) for g in await repo.lock_groups(conn, sorted(group_ids)) if not g["outcome"]]
    if not groups:
        return []
    states: dict[str, list[PartState]] = defaultdict(list)
    for part in await repo.parts_of(conn, [g["id"] for g in groups]):
        states[part["smpp_message_id"]].append(_part_state(part))
    changed: list[dict[str, Any]] = []
    for group in groups:
        decision = decide(states[group["id"]], group["parts"])
        if decision is not None:
            changed.append(_decided(group, decision, now))
    await repo.update_groups(conn, changed)
    return [_report(g) for g in changed if g["report_due"]]


def _decided(group: dict[str, Any], decision: Decision, now: int) -> dict[str, Any]:
    group.update(
        outcome=decision.status.value,
        outcome_reason_code=decision.reason_code,
        outcome_reason=decision.reason,
        outcome_error_code=decision.error_code,
        outcome_at=decision.at,
        report_due=group["state"] == SENT,
        updated_at=now,
    )
    return group


def _part_state(row: Row) -> PartState:
    return PartState(
        row["part_no"],
        Status(row["status"]),
        row["done_at"] or 0,
        row["reason_code"],
        row["reason"],
        row["error_code"],
    )


def _report(group: Any) -> Report:
    receipt = Receipt(
        group["id"],
        Status(group["outcome"]),
        group["outcome_at"],
        reason_code=group["outcome_reason_code"],
        reason=group["outcome_reason"],
        error_code=group["outcome_error_code"],
    )
    return Report(group["carrier"], group["id"], receipt)


def _parked_row(connection: str, r: PartReceipt, now: int) -> dict[str, Any]:
    assert r.status is not None
    return {
        "carrier": connection,
        "carrier_message_id": r.smsc_message_id,
        "status": r.status.value,
        "reason_code": r.reason_code,
        "reason": r.reason,
        "error_code": r.error_code,
        "occurred_at": r.occurred_at,
        "received_at": now,
    }


def _from_parked(row: Row) -> PartReceipt:
    return PartReceipt(
        row["carrier_message_id"],
        "",
        Status(row["status"]),
        row["occurred_at"],
        row["reason_code"],
        row["reason"],
        row["error_code"],
    )
