"""The SMPP carrier's books: which part went where, what came back, what a message became.

One ``smpp_messages`` row per platform message sent over SMPP (its id is the carrier
message id the platform records) and one ``smpp_parts`` row per accepted part, keyed for
receipts by ``(connection, SMSC message id)``.  A receipt that matches no part yet (it
overtook our record of the ``submit_sm_resp``) is parked and matched when the part is
stored, or by the periodic sweep.  A message's outcome is decided from its parts by the
multipart rule of :mod:`signalpost.carriers.smpp.status`, once, and reported to the
platform until the report is acknowledged (``report_due``).

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
from signalpost.carriers.smpp.status import Decision, PartReceipt, PartState, decide, id_candidates
from signalpost.domain.lifecycle import Status
from signalpost.storage import Connection, Row

__all__ = [
    "CLOSED",
    "PARTIAL",
    "SENT",
    "Book",
    "Report",
    "SubmitRecord",
    "apply_receipts",
    "load_books",
    "mark_reported",
    "pending_reports",
    "record_submits",
    "rematch_parked",
]

PARTIAL = "partial"
SENT = "sent"
CLOSED = "closed"
PARKED_MAX_AGE_US = 7 * 86400 * 1_000_000


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
    """Store groups and accepted parts; match receipts parked for them; decide."""
    await repo.insert_groups(conn, [r.group for r in records if r.group is not None and r.is_new])
    await repo.update_groups(
        conn, [r.group for r in records if r.group is not None and not r.is_new]
    )
    parts = [p for r in records for p in r.parts]
    await repo.insert_parts(conn, parts)
    touched = {r.group["id"] for r in records if r.group is not None and r.became_sent}
    by_connection: dict[str, list[str]] = defaultdict(list)
    for part in parts:
        by_connection[part["connection"]].extend(id_candidates(part["smsc_message_id"]))
    for connection, ids in by_connection.items():
        parked = await repo.parked_for(conn, connection, ids)
        if parked:
            touched |= await _apply(conn, connection, [_from_parked(r) for r in parked], now)
            await repo.delete_parked(conn, [r["id"] for r in parked])
    return await _decide(conn, touched, now)


async def apply_receipts(
    conn: Connection, connection: str, receipts: Sequence[PartReceipt], now: int
) -> list[Report]:
    """Apply part receipts received on ``connection``; park those matching no part yet."""
    finals = [r for r in receipts if r.status is not None]
    if not finals:
        return []
    touched = await _apply(conn, connection, finals, now, park=True)
    return await _decide(conn, touched, now)


async def rematch_parked(conn: Connection, connection: str, now: int, limit: int) -> list[Report]:
    """Match parked receipts again (their part may be stored by now); drop week-old ones."""
    parked = await repo.oldest_parked(conn, connection, limit)
    if not parked:
        return []
    receipts = [_from_parked(r) for r in parked]
    matched = await _match(conn, connection, receipts)
    done = [
        row["id"]
        for row, hit in zip(parked, matched, strict=True)
        if hit is not None or row["received_at"] < now - PARKED_MAX_AGE_US
    ]
    touched = await _update_parts(conn, receipts, matched)
    await repo.delete_parked(conn, done)
    return await _decide(conn, touched, now)


async def pending_reports(conn: Connection, carrier: str, limit: int) -> list[Report]:
    """Decided outcomes of accepted messages not yet acknowledged by the platform."""
    return [_report(g) for g in await repo.due_reports(conn, carrier, limit)]


async def mark_reported(conn: Connection, group_ids: Iterable[str]) -> None:
    await repo.mark_reported(conn, sorted(set(group_ids)))


# ----------------------------------------------------------------------------- internals


async def _match(
    conn: Connection, connection: str, receipts: Sequence[PartReceipt]
) -> list[Row | None]:
    """The part each receipt is for (the newest part with that id), or None."""
    wanted = {c for r in receipts for c in id_candidates(r.smsc_message_id)}
    newest = {
        row["smsc_message_id"]: row for row in await repo.find_parts(conn, connection, list(wanted))
    }
    found: list[Row | None] = []
    for r in receipts:
        hit = next((newest[c] for c in id_candidates(r.smsc_message_id) if c in newest), None)
        found.append(hit)
    return found


async def _apply(
    conn: Connection,
    connection: str,
    receipts: Sequence[PartReceipt],
    now: int,
    *,
    park: bool = False,
) -> set[str]:
    matched = await _match(conn, connection, receipts)
    if park:
        await repo.park(
            conn,
            [
                _parked_row(connection, r, now)
                for r, hit in zip(receipts, matched, strict=True)
                if hit is None
            ],
        )
    return await _update_parts(conn, receipts, matched)


async def _update_parts(
    conn: Connection, receipts: Sequence[PartReceipt], matched: Sequence[Row | None]
) -> set[str]:
    """Record the first final receipt of each part; later ones are duplicates."""
    updates: dict[int, dict[str, Any]] = {}
    for receipt, row in zip(receipts, matched, strict=True):
        if row is None or row["status"] != Status.SENT.value or row["id"] in updates:
            continue
        assert receipt.status is not None
        updates[row["id"]] = {
            "id": row["id"],
            "smpp_message_id": row["smpp_message_id"],
            "status": receipt.status.value,
            "reason_code": receipt.reason_code,
            "reason": receipt.reason,
            "error_code": receipt.error_code,
            "done_at": max(receipt.occurred_at, row["submitted_at"]),
        }
    await repo.update_parts(conn, updates.values())
    return {u["smpp_message_id"] for u in updates.values()}


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
        "connection": connection,
        "smsc_message_id": r.smsc_message_id,
        "status": r.status.value,
        "reason_code": r.reason_code,
        "reason": r.reason,
        "error_code": r.error_code,
        "occurred_at": r.occurred_at,
        "received_at": now,
    }


def _from_parked(row: Row) -> PartReceipt:
    return PartReceipt(
        row["smsc_message_id"],
        "",
        Status(row["status"]),
        row["occurred_at"],
        row["reason_code"],
        row["reason"],
        row["error_code"],
    )
