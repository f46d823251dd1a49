"""One ESME connection to the SMSC simulator: binds, answers, deliver_sm and their answers."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Protocol, cast

from signalpost.smpp import Command, CommandStatus, DeliverSm, Framer, ProtocolError, Writer, pdu
from signalpost.smsc_sim.settings import SimulatorSettings
from signalpost.smsc_sim.traffic import Delivery

__all__ = ["Simulator", "SmscSession"]

_BINDS = {
    Command.BIND_TRANSMITTER: (True, False),
    Command.BIND_RECEIVER: (False, True),
    Command.BIND_TRANSCEIVER: (True, True),
}


class Simulator(Protocol):
    """What a session needs of the simulator it belongs to
    (:class:`~signalpost.smsc_sim.server.SmscSimulator`)."""

    settings: SimulatorSettings
    sessions: set[SmscSession]  # the bound ones
    peak_sessions: int
    stats: Counter[str]

    @property
    def is_down(self) -> bool: ...

    def handle_submit(self, session: SmscSession, sequence: int, frame: bytes) -> None: ...

    def requeue(self, ids: list[int], delay: float = 0.0) -> None: ...

    def acknowledged(self, delivery_id: int) -> None: ...

    def wake(self) -> None: ...


class SmscSession(asyncio.Protocol):
    """One ESME connection to the simulator."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.system_id = ""
        self.can_transmit = False
        self.can_receive = False
        self._transport: asyncio.Transport | None = None
        self._writer: Writer | None = None
        self._framer = Framer()
        self._sequence = 0
        self._outstanding: dict[int, int] = {}  # deliver_sm sequence -> delivery id
        self._window_start = 0.0
        self._window_count = 0

    @property
    def free_window(self) -> int:
        return self.sim.settings.deliver_window - len(self._outstanding)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        tcp = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        if self.sim.is_down:
            tcp.abort()
            return
        self._transport = tcp
        self._writer = Writer(self._transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = self._writer = None
        self.can_receive = self.can_transmit = False
        self.sim.sessions.discard(self)
        if self._outstanding:
            self.sim.requeue(list(self._outstanding.values()))
            self._outstanding.clear()

    def data_received(self, data: bytes) -> None:
        try:
            frames = self._framer.feed(data)
        except ProtocolError:
            self.abort()
            return
        for frame in frames:
            if self._transport is None or self._transport.is_closing():
                return  # dropped: what is still unread is lost, like on a real drop
            self._dispatch(frame)

    def _dispatch(self, frame: bytes) -> None:
        command, status, sequence = pdu.header(frame)
        if command == Command.SUBMIT_SM:
            self.sim.handle_submit(self, sequence, frame)
        elif command == Command.DELIVER_SM_RESP:
            self._delivered(sequence, status)
        elif command in _BINDS:
            self._bind(Command(command), sequence, frame)
        elif command == Command.ENQUIRE_LINK:
            self.respond(command, sequence)
        elif command == Command.UNBIND:
            self.respond(command, sequence)
            self.close()
        elif not command & pdu.RESPONSE_BIT:
            self._write(
                pdu.pdu(Command.GENERIC_NACK, sequence, status=CommandStatus.ESME_RINVCMDID)
            )

    def _bind(self, command: Command, sequence: int, frame: bytes) -> None:
        try:
            request = pdu.read_bind(pdu.body(frame))
        except ProtocolError:
            self._write(pdu.bind_response(command, sequence, CommandStatus.ESME_RINVCMDLEN, ""))
            return
        settings = self.sim.settings
        if self.system_id:
            status: int = CommandStatus.ESME_RALYBND
        elif settings.system_id is not None and request.system_id != settings.system_id:
            status = CommandStatus.ESME_RINVSYSID
        elif settings.password is not None and request.password != settings.password:
            status = CommandStatus.ESME_RINVPASWD
        else:
            status = CommandStatus.ESME_ROK
        self._write(pdu.bind_response(command, sequence, status, "signalpost-smsc"))
        if status == CommandStatus.ESME_ROK:
            self.system_id = request.system_id
            self.can_transmit, self.can_receive = _BINDS[command]
            self.sim.sessions.add(self)
            self.sim.stats["binds"] += 1
            self.sim.peak_sessions = max(self.sim.peak_sessions, len(self.sim.sessions))
            self.sim.wake()

    def throttled(self) -> bool:
        rate = self.sim.settings.throttle_rate
        if rate <= 0:
            return False
        now = asyncio.get_running_loop().time()
        if now - self._window_start >= 0.1:
            self._window_start, self._window_count = now, 0
        self._window_count += 1
        return self._window_count > max(1.0, rate / 10)

    def deliver(self, d: Delivery) -> None:
        self._sequence = self._sequence % 0x7FFFFFFF + 1
        self._outstanding[self._sequence] = d.id
        message = DeliverSm(
            d.source,
            d.destination,
            d.short_message,
            source_addr_ton=1 if d.source.isdigit() and len(d.source) > 8 else 0,
            source_addr_npi=1,
            dest_addr_ton=1 if d.destination.isdigit() and len(d.destination) > 8 else 0,
            dest_addr_npi=1,
            esm_class=d.esm_class,
            data_coding=d.data_coding,
            tlvs=d.tlvs,
            sequence_number=self._sequence,
        )
        self._write(message.encode())
        self.sim.stats["deliver_sm"] += 1

    def _delivered(self, sequence: int, status: int) -> None:
        delivery_id = self._outstanding.pop(sequence, None)
        if delivery_id is None:
            return
        if status == CommandStatus.ESME_ROK:
            self.sim.acknowledged(delivery_id)
        else:
            self.sim.stats["deliver_sm_refused"] += 1
            self.sim.requeue([delivery_id], 1.0)
        self.sim.wake()

    def respond(self, command: int, sequence: int, status: int = 0, body: bytes = b"") -> None:
        self._write(pdu.response(command, sequence, status, body))

    def _write(self, data: bytes) -> None:
        if self._writer is not None:
            self._writer.write(data)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()
