"""An SMSC simulator over real TCP: binds, submit_sm answers, receipts, MO, faults.

Every deliver_sm (receipt or mobile-originated) waits in the simulator until the ESME
answers it with ``deliver_sm_resp`` ESME_ROK; one that is refused is sent again a second
later, and those outstanding on a session that drops are sent again on the next bind of
the same ``system_id``.  Faults on demand: :meth:`SmscSimulator.drop` closes every session
(after writing the answers already made) and refuses connections for a while,
``throttle_rate`` answers ``ESME_RTHROTTLED`` above a rate and ``throttle_every`` to every
N-th submit_sm, ``drop_every`` drops every session after each N accepted submit_sm and
``drop_once_after`` once, ``receipt_delay_ms`` holds receipts back (0: sent at once),
``early_receipts`` sends a receipt before its ``submit_sm_resp`` and
``duplicate_receipts`` sends every receipt twice.  ``message_ids`` and
``receipt_text_ids`` choose how ids look (:mod:`signalpost.smsc_sim.behaviour`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
import secrets
from collections import Counter, deque
from dataclasses import dataclass, field

from signalpost.carriers.simulator.outcomes import TRANSIENT_SUBMITS, outcome_for
from signalpost.domain.lifecycle import Status
from signalpost.smpp import (
    Command,
    CommandStatus,
    ProtocolError,
    ShortMessage,
    decode_sm,
    read_short_message,
    split_message,
    status_name,
)
from signalpost.smpp.receipts import receipt_tlvs
from signalpost.smsc_sim import behaviour
from signalpost.smsc_sim.behaviour import STATES, Script, part_outcome, receipt_text
from signalpost.smsc_sim.session import SmscSession
from signalpost.smsc_sim.settings import SimulatorSettings
from signalpost.smsc_sim.traffic import Delivery, Submitted

__all__ = ["SmscSimulator"]

log = logging.getLogger("signalpost.smsc")


@dataclass(slots=True)
class _Concat:
    parts: dict[int, tuple[str, Status | None, str]] = field(default_factory=dict)


class SmscSimulator:
    """The simulator; ``await start()``, then connect ESMEs to :attr:`port`."""

    def __init__(self, settings: SimulatorSettings | None = None) -> None:
        self.settings = settings or SimulatorSettings()
        self.scripts: dict[str, Script] = {}
        self.stats: Counter[str] = Counter()
        self.accepted_by_destination: Counter[str] = Counter()
        self.received: list[Submitted] = []
        self.sessions: set[SmscSession] = set()
        self.peak_sessions = 0  # the most sessions bound at once
        self.submit_times: list[float] = []  # when each submit_sm arrived (loop time)
        self._server: asyncio.Server | None = None
        self._salt = secrets.token_hex(3)
        self._ids = itertools.count(1)
        self._message_numbers = itertools.count(1)
        self._deliveries: dict[int, Delivery] = {}
        self._timers: list[tuple[float, int]] = []
        self._ready: deque[int] = deque()
        self._wake = asyncio.Event()
        self._pump_task: asyncio.Task[None] | None = None
        self._down_until = 0.0
        self._transients: Counter[str] = Counter()
        self._concats: dict[tuple[str, str, str, int, int], _Concat] = {}

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SmscSession(self), self.settings.host, self.settings.port
        )
        self._pump_task = asyncio.create_task(self._pump_loop(), name="smsc-deliveries")

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for session in list(self.sessions):
            session.close()
        if self._pump_task is not None:
            self._pump_task.cancel()
            await asyncio.gather(self._pump_task, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # ------------------------------------------------------------------ controls

    def drop(self, down_seconds: float | None = None) -> int:
        """Close every session now and refuse connections for ``down_seconds``."""
        down = self.settings.down_seconds if down_seconds is None else down_seconds
        self._down_until = asyncio.get_running_loop().time() + down
        sessions = list(self.sessions)
        for session in sessions:
            session.close()
        self.stats["drops"] += 1
        return len(sessions)

    @property
    def is_down(self) -> bool:
        return asyncio.get_running_loop().time() < self._down_until

    def script(self, destination: str, script: Script) -> None:
        self.scripts[destination.lstrip("+")] = script

    def send_mo(self, source: str, destination: str, text: str, system_id: str = "") -> int:
        """Queue a mobile-originated message (split when long); returns its part count."""
        parts = split_message(text, random.randrange(256))
        for part in parts:
            self._queue(
                Delivery(
                    next(self._ids),
                    system_id,
                    source.lstrip("+"),
                    destination.lstrip("+"),
                    part.short_message,
                    part.esm_class,
                    part.data_coding,
                ),
                0.0,
            )
        return len(parts)

    def release(self) -> int:
        """Make every receipt waiting for its delay due now; returns how many."""
        released = len(self._timers)
        self._ready.extend(delivery_id for _, delivery_id in sorted(self._timers))
        self._timers.clear()
        self._wake.set()
        return released

    def submit_rate(self, window: float = 1.0) -> dict[str, float]:
        """What arrived: submit_sm in all, over how many seconds from the first to the
        last, the most in any ``window`` seconds, and the most sessions bound at once."""
        times = self.submit_times
        peak, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= window:
                start += 1
            peak = max(peak, end - start + 1)
        return {
            "submit_sm": len(times),
            "seconds": times[-1] - times[0] if times else 0.0,
            "peak_in_window": peak,
            "window": window,
            "peak_sessions": self.peak_sessions,
        }

    @property
    def pending_deliveries(self) -> int:
        return len(self._deliveries)

    # ------------------------------------------------------------------ submit_sm

    def handle_submit(self, session: SmscSession, sequence: int, frame: bytes) -> None:
        self.stats["submit_sm"] += 1
        self.submit_times.append(asyncio.get_running_loop().time())
        try:
            sm = decode_sm(frame)
        except ProtocolError as exc:
            session.respond(Command.SUBMIT_SM, sequence, exc.command_status)
            return
        status = self._submit_status(session, sm.destination_addr)
        if status != CommandStatus.ESME_ROK:
            self.stats[status_name(status)] += 1
            session.respond(Command.SUBMIT_SM, sequence, status)
            return
        settings = self.settings
        message_id = behaviour.message_id(
            next(self._message_numbers), settings.message_ids, self._salt
        )
        self.stats["accepted"] += 1
        self.accepted_by_destination[sm.destination_addr] += 1
        if self.settings.record:
            self.received.append(
                Submitted(
                    message_id,
                    sm.source_addr,
                    sm.destination_addr,
                    sm.short_message,
                    sm.data_coding,
                    sm.esm_class,
                    sm.registered_delivery,
                )
            )
        early = self.settings.early_receipts
        self._schedule_receipts(session.system_id, sm, message_id, early)
        if early:
            self._pump()
        session.respond(Command.SUBMIT_SM, sequence, body=message_id.encode() + b"\0")
        accepted = self.stats["accepted"]
        if (settings.drop_every and accepted % settings.drop_every == 0) or (
            accepted == settings.drop_once_after
        ):
            self.drop()

    def _submit_status(self, session: SmscSession, destination: str) -> int:
        if not session.can_transmit:
            return CommandStatus.ESME_RINVBNDSTS
        every = self.settings.throttle_every
        if session.throttled() or (every and self.stats["submit_sm"] % every == 0):
            return CommandStatus.ESME_RTHROTTLED
        script = self.scripts.get(destination)
        if script is not None and script.submit_status:
            return script.submit_status
        if outcome_for("+" + destination, "sms").transient_submits:
            if self._transients[destination] < TRANSIENT_SUBMITS:
                self._transients[destination] += 1
                return CommandStatus.ESME_RSYSERR
        return CommandStatus.ESME_ROK

    def _schedule_receipts(
        self, system_id: str, sm: ShortMessage, message_id: str, now: bool
    ) -> None:
        incoming = read_short_message(sm.short_message, sm.data_coding, sm.esm_class, 20)
        script = self.scripts.get(sm.destination_addr)
        state, error = part_outcome(sm.destination_addr, incoming.number, script)
        entry = (message_id, state, error)
        if incoming.ref is None or script is None or script.order == "given":
            self._receipt(system_id, sm, entry, incoming.text, 0 if now else None)
            return
        key = (system_id, sm.source_addr, sm.destination_addr, incoming.ref, incoming.total)
        concat = self._concats.setdefault(key, _Concat())
        concat.parts[incoming.number] = entry
        if len(concat.parts) < incoming.total:
            return
        del self._concats[key]
        numbers = sorted(concat.parts)
        if script.order == "reverse":
            numbers.reverse()
        else:
            random.shuffle(numbers)
        delay = self.settings.receipt_delay_ms / 1000
        for step, number in enumerate(numbers):
            self._receipt(system_id, sm, concat.parts[number], incoming.text, delay + 0.02 * step)

    def _receipt(
        self,
        system_id: str,
        sm: ShortMessage,
        entry: tuple[str, Status | None, str],
        text: str,
        delay: float | None,
    ) -> None:
        message_id, state, error = entry
        if state is None or not sm.registered_delivery & 0x03:
            return
        if delay is None:
            jitter = self.settings.receipt_jitter
            delay = self.settings.receipt_delay_ms / 1000 * random.uniform(1 - jitter, 1 + jitter)
        shown = behaviour.text_id(message_id, self.settings.receipt_text_ids)
        body = receipt_text(shown, state, error, text).encode("ascii")
        tlvs = receipt_tlvs(message_id, STATES[state], error) if self.settings.receipt_tlvs else []
        copies = 2 if self.settings.duplicate_receipts else 1
        for _ in range(copies):
            delivery = Delivery(
                next(self._ids), system_id, sm.destination_addr, sm.source_addr, body, 0x04, 0, tlvs
            )
            self._queue(delivery, delay)

    # ------------------------------------------------------------------ deliveries

    def _queue(self, delivery: Delivery, delay: float) -> None:
        self._deliveries[delivery.id] = delivery
        if delay <= 0:
            self._ready.append(delivery.id)
        else:
            due = asyncio.get_running_loop().time() + delay
            heapq.heappush(self._timers, (due, delivery.id))
        self._wake.set()

    def requeue(self, ids: list[int], delay: float = 0.0) -> None:
        for delivery_id in ids:
            delivery = self._deliveries.get(delivery_id)
            if delivery is not None:
                self._queue(delivery, delay)

    def acknowledged(self, delivery_id: int) -> None:
        if self._deliveries.pop(delivery_id, None) is not None:
            self.stats["deliver_sm_acked"] += 1

    async def _pump_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            self._pump()
            timeout = None
            if self._timers:
                timeout = max(0.0, self._timers[0][0] - loop.time())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass

    def _pump(self) -> None:
        """Move due deliveries to the ready queue and send what the sessions' windows allow."""
        now = asyncio.get_running_loop().time()
        while self._timers and self._timers[0][0] <= now:
            self._ready.append(heapq.heappop(self._timers)[1])
        blocked: deque[int] = deque()
        while self._ready:
            delivery = self._deliveries.get(self._ready.popleft())
            if delivery is None:
                continue
            session = self._receiver_for(delivery.system_id)
            if session is None:
                blocked.append(delivery.id)
                break
            session.deliver(delivery)
        blocked.extend(self._ready)
        self._ready = blocked

    def _receiver_for(self, system_id: str) -> SmscSession | None:
        best: SmscSession | None = None
        for session in self.sessions:
            if not session.can_receive or (system_id and session.system_id != system_id):
                continue
            if session.free_window > 0 and (best is None or session.free_window > best.free_window):
                best = session
        return best

    def wake(self) -> None:
        self._wake.set()
