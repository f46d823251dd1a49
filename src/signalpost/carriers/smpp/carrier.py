"""The SMPP carrier: one configured connection to an SMSC behind the ``Carrier`` interface.

``submit`` splits each message into parts, sends every part over a bound session (within
the window, at the connection's rate, slowing down and retrying on ``ESME_RTHROTTLED`` and
``ESME_RMSGQFUL``), records the accepted parts and answers one result per message:
ACCEPTED with the message's own id once every part is accepted, TRANSIENT (the dispatcher
retries; a retry sends only the parts still missing), or PERMANENT.

Receipts and mobile-originated messages arrive as ``deliver_sm`` on any session; they are
handled in batches.  A receipt is applied to its part or parked until it is stored (see
:mod:`~signalpost.carriers.smpp.ledger`), then acknowledged with ``deliver_sm_resp``; the
outcomes it decides are reported to the platform, and a sweep every second re-sends
reports the platform has not acknowledged and drops receipts that no part claimed within
an hour.  A mobile-originated message (reassembled, see
:mod:`~signalpost.carriers.smpp.inbound`) is reported to the platform and acknowledged
only once the platform has stored it: ``ESME_RX_T_APPN`` if it could not, so the SMSC
delivers it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from signalpost.carriers.base import (
    Carrier,
    CarrierEvents,
    Submission,
    SubmitOutcome,
    SubmitResult,
)
from signalpost.carriers.limits import SharedRate, SlotLeases
from signalpost.carriers.smpp import inbound, ledger
from signalpost.carriers.smpp.config import ConnectionConfig
from signalpost.carriers.smpp.connection import Link, Pacer
from signalpost.carriers.smpp.inbound import MobileOriginated, address
from signalpost.carriers.smpp.outbound import submit_sm_encoder
from signalpost.carriers.smpp.session import Session, SessionClosed
from signalpost.carriers.smpp.status import (
    PartReceipt,
    Verdict,
    VerdictKind,
    classify,
    parse_receipt,
    part_key,
)
from signalpost.domain.lifecycle import Status
from signalpost.smpp import (
    Command,
    CommandStatus,
    Part,
    ProtocolError,
    ShortMessage,
    decode_sm,
    read_short_message,
    split_message,
)
from signalpost.smpp.pdu import message_id
from signalpost.storage import Database, clock_us
from signalpost.timeutil import now_us

__all__ = ["SmppCarrier"]

log = logging.getLogger("signalpost.smpp")

RECEIPT_TYPES = (0x04, 0x20)  # esm_class message type: SMSC receipt, intermediate notification
_MESSAGE_TYPE_MASK = 0x3C
_RECEIPT_BATCH = 1000
_SWEEP_SECONDS = 1.0


@dataclass(slots=True)
class _PartResult:
    verdict: Verdict
    smsc_message_id: str = ""
    connection: str = ""


@dataclass(slots=True)
class _Plan:
    """One submission: its book, the parts to send, and what came back."""

    submission: Submission
    book: ledger.Book | None
    group: dict[str, Any]
    parts: list[Part]
    results: dict[int, _PartResult] = field(default_factory=dict)
    immediate: SubmitResult | None = None

    @property
    def to_send(self) -> list[Part]:
        if self.immediate is not None:
            return []
        accepted = self.book.parts if self.book is not None else {}
        return [p for p in self.parts if p.number not in accepted]


class SmppCarrier(Carrier):
    """Messages out over SMPP 3.4; receipts and mobile-originated messages back."""

    idempotent = False

    def __init__(self, config: ConnectionConfig, db: Database) -> None:
        self.name = config.name
        self.config = config
        self.db = db
        shared = SharedRate(db, config.name, config.rate) if config.rate > 0 else None
        self.pacer = Pacer(
            config.rate, config.throttle_pause_seconds, config.throttle_pause_max_seconds, shared
        )
        self.slots = SlotLeases(db, config.name, config.binds, config.bind_lease_seconds)
        self.links = self._make_links()
        self.stats: Counter[str] = Counter()
        self._submitters = [link for link in self.links if link.command != Command.BIND_RECEIVER]
        self._turn = 0
        self._inbound: asyncio.Queue[tuple[Session, int, bytes]] = asyncio.Queue()
        self._books_lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._sweep_now = asyncio.Event()
        self._reported: set[str] = set()  # acknowledged by the platform, not yet marked
        self._reporting: set[str] = set()  # being handed to the platform right now
        self._sink: CarrierEvents | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def _make_links(self) -> list[Link]:
        c = self.config
        commands = (
            [Command.BIND_TRANSCEIVER]
            if c.bind == "transceiver"
            else [Command.BIND_TRANSMITTER, Command.BIND_RECEIVER]
        )
        return [
            Link(
                c,
                command,
                self._on_deliver,
                f"{c.name}/{n}/{command.name.lower()[5:]}",
                self.slots.grants[n],
            )
            for n in range(c.binds)
            for command in commands
        ]

    @property
    def available(self) -> bool:
        """Whether a session that can submit is bound right now."""
        return any(link.can_submit for link in self._submitters)

    @property
    def served_elsewhere(self) -> bool:
        """Every bind slot of the connection is held by other processes."""
        return self.slots.held_elsewhere

    # ------------------------------------------------------------------ lifecycle

    async def start(self, sink: CarrierEvents) -> None:
        self._sink = sink
        self._stopping.clear()
        await self.slots.start()
        self._tasks = [
            asyncio.create_task(link.run(self._stopping), name=f"smpp-{link.label}")
            for link in self.links
        ]
        self._tasks.append(asyncio.create_task(self._receipt_loop(), name=f"smpp-{self.name}-rx"))
        self._tasks.append(asyncio.create_task(self._sweep_loop(), name=f"smpp-{self.name}-sweep"))

    async def stop(self) -> None:
        """Unbind every session, finish the deliver_sm already received, stop the sweep."""
        self._stopping.set()
        links, workers = self._tasks[: len(self.links)], self._tasks[len(self.links) :]
        await asyncio.gather(*links, return_exceptions=True)
        for _ in range(100):
            if self._inbound.empty():
                break
            await asyncio.sleep(0.02)
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self._tasks = []
        if self.pacer.shared is not None:
            await self.pacer.shared.close()
        await self.slots.stop()

    # ------------------------------------------------------------------ submit

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        if not batch:
            return []
        async with self.db.reader() as conn:
            books = await ledger.load_books(conn, [s.message_id for s in batch])
            now = await clock_us(conn)  # before any submit_sm of the batch goes out
        plans = [self._plan(s, books.get(s.message_id), now) for s in batch]
        await asyncio.gather(*(self._send(plan, part) for plan in plans for part in plan.to_send))
        settled = [self._settle(plan, now) for plan in plans]
        records = [record for record, _ in settled if record is not None]
        if records:
            async with self._books_lock, self.db.transaction() as conn:
                reports = await ledger.record_submits(conn, records, now)
            if reports:
                self._sweep_now.set()
        return [result for _, result in settled]

    def _plan(self, sub: Submission, book: ledger.Book | None, now: int) -> _Plan:
        if book is None:
            group: dict[str, Any] = {
                "id": uuid.uuid4().hex,
                "message_id": sub.message_id,
                "carrier": None,
                "parts": 0,
                "concat_ref": random.randrange(256),
                "state": ledger.PARTIAL,
                "outcome": None,
                "outcome_reason_code": None,
                "outcome_reason": None,
                "outcome_error_code": None,
                "outcome_at": None,
                "report_due": False,
                "created_at": now,
                "updated_at": now,
            }
        else:
            group = dict(book.group)
        parts = split_message(sub.body, group["concat_ref"])
        group["parts"] = len(parts)
        plan = _Plan(sub, book, group, parts)
        plan.immediate = self._already_settled(plan)
        return plan

    def _already_settled(self, plan: _Plan) -> SubmitResult | None:
        """The answer for a message whose earlier submit already settled it."""
        group, attempt = plan.group, plan.submission.attempt_id
        if group["state"] == ledger.SENT:
            return SubmitResult(attempt, SubmitOutcome.ACCEPTED, group["id"])
        if group["outcome"] and group["outcome"] != Status.DELIVERED.value:
            return SubmitResult(
                attempt,
                SubmitOutcome.PERMANENT,
                status=Status(group["outcome"]),
                reason_code=group["outcome_reason_code"],
                reason=group["outcome_reason"],
                error_code=group["outcome_error_code"],
            )
        return None

    async def _send(self, plan: _Plan, part: Part) -> None:
        verdict = Verdict(VerdictKind.TRANSIENT, "THROTTLED")
        for _ in range(self.config.throttle_retries + 1):
            session = await self._session()
            if session is None:
                plan.results[part.number] = _PartResult(Verdict(VerdictKind.TRANSIENT, "NOT_BOUND"))
                return
            await self.pacer.wait()
            try:
                status, body = await session.request(self._encoder(plan, part))
            except SessionClosed:
                self.stats["connection_lost"] += 1
                plan.results[part.number] = _PartResult(
                    Verdict(VerdictKind.TRANSIENT, "CONNECTION_LOST")
                )
                return
            verdict = classify(status)
            if verdict.kind is not VerdictKind.THROTTLE:
                break
            self.stats["throttled"] += 1
            self.pacer.throttled()
        else:
            plan.results[part.number] = _PartResult(verdict)
            return
        self.stats[verdict.kind.value] += 1
        if verdict.kind is VerdictKind.OK:
            self.pacer.relieved()
            key = part_key(message_id(body), self.config.receipt_id)
            plan.results[part.number] = _PartResult(verdict, key, self.name)
        else:
            plan.results[part.number] = _PartResult(verdict)

    async def _session(self) -> Session | None:
        """A bound session that can submit (round robin), waiting a little for a bind."""
        count = len(self._submitters)
        for i in range(count):
            link = self._submitters[(self._turn + i) % count]
            if link.can_submit and link.session is not None:
                self._turn = (self._turn + i + 1) % count
                return link.session
        waits = [link.wait_bound(self.config.bind_wait_seconds) for link in self._submitters]
        for found in await asyncio.gather(*waits):
            if found is not None:
                return found
        return None

    def _encoder(self, plan: _Plan, part: Part) -> Callable[[int], bytes]:
        return submit_sm_encoder(self.config, plan.submission, part, now_us())

    def _settle(self, plan: _Plan, now: int) -> tuple[ledger.SubmitRecord | None, SubmitResult]:
        """The books' record and the platform's answer for one submitted message."""
        attempt = plan.submission.attempt_id
        if plan.immediate is not None:
            return None, plan.immediate
        group = plan.group
        new_parts = [
            self._part_row(group["id"], number, r, now)
            for number, r in sorted(plan.results.items())
            if r.verdict.kind is VerdictKind.OK
        ]
        accepted = len(new_parts) + (len(plan.book.parts) if plan.book else 0)
        permanent = [
            r.verdict for r in plan.results.values() if r.verdict.kind is VerdictKind.PERMANENT
        ]
        group["updated_at"] = now
        record = ledger.SubmitRecord(group, plan.book is None, new_parts)
        if permanent:
            v = permanent[0]
            group.update(
                state=ledger.CLOSED,
                outcome=(v.status or Status.FAILED).value,
                outcome_reason_code=v.reason_code,
                outcome_reason=v.reason,
                outcome_error_code=v.error_code,
                outcome_at=now,
                report_due=False,
            )
            result = SubmitResult(
                attempt,
                SubmitOutcome.PERMANENT,
                status=v.status,
                reason_code=v.reason_code,
                reason=v.reason,
                error_code=v.error_code,
            )
            return record, result
        if accepted == len(plan.parts):
            group.update(state=ledger.SENT, carrier=self.name)
            record.became_sent = plan.book is not None  # earlier parts may have receipts
            return record, SubmitResult(attempt, SubmitOutcome.ACCEPTED, group["id"])
        transient = next(
            r.verdict for r in plan.results.values() if r.verdict.kind is not VerdictKind.OK
        )
        result = SubmitResult(
            attempt,
            SubmitOutcome.TRANSIENT,
            reason=f"{accepted} of {len(plan.parts)} parts accepted; {transient.error_code}",
            error_code=transient.error_code,
        )
        if not new_parts:
            return None, result
        return record, result

    @staticmethod
    def _part_row(group_id: str, number: int, r: _PartResult, now: int) -> dict[str, Any]:
        return {
            "smpp_message_id": group_id,
            "part_no": number,
            "connection": r.connection,
            "smsc_message_id": r.smsc_message_id,
            "status": Status.SENT.value,
            "reason_code": None,
            "reason": None,
            "error_code": None,
            "submitted_at": now,
            "done_at": None,
        }

    # ------------------------------------------------------------------ deliver_sm

    def _on_deliver(self, session: Session, sequence: int, frame: bytes) -> None:
        self._inbound.put_nowait((session, sequence, frame))

    async def _receipt_loop(self) -> None:
        while True:
            batch = [await self._inbound.get()]
            while len(batch) < _RECEIPT_BATCH and not self._inbound.empty():
                batch.append(self._inbound.get_nowait())
            try:
                await self._handle_delivers(batch)
            except Exception:
                log.exception("smpp %s: deliver_sm batch failed", self.name)
                for session, sequence, _ in batch:
                    session.respond(Command.DELIVER_SM, sequence, CommandStatus.ESME_RX_T_APPN)

    async def _handle_delivers(self, batch: list[tuple[Session, int, bytes]]) -> None:
        now = now_us()
        answers: list[int] = [CommandStatus.ESME_ROK] * len(batch)
        receipts: list[PartReceipt] = []
        mobile: list[tuple[int, MobileOriginated]] = []
        for index, (_session, _sequence, frame) in enumerate(batch):
            try:
                sm = decode_sm(frame)
            except ProtocolError as exc:
                answers[index] = exc.command_status
                continue
            kind = sm.esm_class & _MESSAGE_TYPE_MASK
            if kind in RECEIPT_TYPES:
                receipt = self._receipt(sm, now)
                if receipt is not None:
                    receipts.append(receipt)
            elif kind == 0:
                mobile.append((index, self._mobile(sm, now)))
        self.stats["receipts"] += len(receipts)
        async with self._books_lock, self.db.transaction() as conn:
            await ledger.mark_reported(conn, self._take_reported())
            received_at = await clock_us(conn)  # after every receipt was read
            reports = await ledger.apply_receipts(conn, self.name, receipts, received_at)
            assembly = await inbound.assemble(conn, self.config, [m for _, m in mobile])
        await self._report(reports)
        statuses = await inbound.report(self.db, self._sink, self.name, assembly)
        self.stats["inbound"] += len(assembly.complete) if assembly.reported else 0
        for (index, _), status in zip(mobile, statuses, strict=True):
            answers[index] = status
        for (session, sequence, _), status in zip(batch, answers, strict=True):
            session.respond(Command.DELIVER_SM, sequence, status)

    def _receipt(self, sm: ShortMessage, now: int) -> PartReceipt | None:
        text = sm.short_message.decode("latin-1")  # receipt texts are ASCII (Appendix B)
        receipt = parse_receipt(
            text, {t.tag: t.value for t in sm.tlvs}, now, self.config.receipt_id
        )
        if receipt is None:
            log.warning("smpp %s: receipt without a message id: %r", self.name, text[:100])
        return receipt

    @staticmethod
    def _mobile(sm: ShortMessage, now: int) -> MobileOriginated:
        payload = sm.short_message
        if not payload:
            payload = next((t.value for t in sm.tlvs if t.tag == 0x0424), b"")  # message_payload
        return MobileOriginated(
            address(sm.source_addr, sm.source_addr_ton),
            address(sm.destination_addr, sm.dest_addr_ton),
            read_short_message(payload, sm.data_coding, sm.esm_class),
            now,
        )

    # ------------------------------------------------------------------ reports

    async def _report(self, reports: list[ledger.Report]) -> None:
        """Hand decided outcomes to the platform; remember which ones it acknowledged."""
        if not reports or self._sink is None:
            return
        by_carrier: dict[str, list[ledger.Report]] = {}
        for r in reports:
            if r.group_id not in self._reporting:
                by_carrier.setdefault(r.carrier, []).append(r)
        for carrier, items in by_carrier.items():
            ids = {r.group_id for r in items}
            self._reporting |= ids
            try:
                await self._sink.apply_receipts(carrier, [r.receipt for r in items])
            except Exception:
                log.exception("smpp %s: reporting %d receipts failed", self.name, len(items))
                continue
            finally:
                self._reporting -= ids
            self._reported |= ids
            self.stats["reported"] += len(items)

    def _take_reported(self) -> list[str]:
        taken, self._reported = list(self._reported), set()
        return taken

    async def _sweep_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sweep_now.wait(), _SWEEP_SECONDS)
            self._sweep_now.clear()
            try:
                await self.sweep()
            except Exception:
                log.exception("smpp %s: sweep failed", self.name)

    async def sweep(self, limit: int = 1000, *, now: int | None = None) -> int:
        """Report what the platform has not acknowledged; drop receipts parked too long."""
        now = now_us() if now is None else now
        async with self._books_lock, self.db.transaction() as conn:
            await ledger.mark_reported(conn, self._take_reported())
            dropped = await ledger.expire_parked(conn, self.name, now)
            reports = await ledger.pending_reports(conn, self.name, limit)
        if dropped:
            self.stats["receipts_unclaimed"] += dropped
            log.info(
                "smpp %s: dropped %d receipts no part claimed within an hour", self.name, dropped
            )
        unique = list({r.group_id: r for r in reports}.values())
        await self._report(unique)
        return len(unique)
