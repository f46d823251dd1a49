"""SmppCarrier against an SMSC this project did not write: the server of the ``smpp34``
library, scripted to number messages 1, 2, 3… and to send each receipt (text only, no
TLVs) as soon as it accepts the submit_sm; and sessions ending for each kind of reason."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections import Counter

import pytest
import smpp34

from signalpost.carriers.smpp import SmppCarrier
from signalpost.carriers.smpp.config import ConnectionConfig
from signalpost.carriers.smpp.session import Session, SessionClosed
from signalpost.carriers.smpp.status import ReceiptIds
from signalpost.domain.lifecycle import Status
from signalpost.smpp import BindRequest, Command
from signalpost.storage import Database
from tests.support.smpp import RecordingSink, submission, wait_until

STATS = {"0001": ("UNDELIV", Status.FAILED), "0002": ("REJECTD", Status.REJECTED)}
LONG_UCS2 = "ご注文の商品は明日9時から18時の間にお届けします。配達前に連絡します。" * 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class CountingSmsc:
    """An ``smpp34.Server`` that numbers accepted messages 1, 2, 3… (``hex``: in hexadecimal,
    with the receipt text still in decimal) and sends each receipt right after accepting."""

    def __init__(self, *, hex_ids: bool) -> None:
        self.port = free_port()
        self.server = smpp34.Server("127.0.0.1", self.port)
        self.hex_ids = hex_ids
        self.esmes: dict[str, smpp34.Esme] = {}
        self.accepted: Counter[str] = Counter()
        self.acknowledged = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._serving: asyncio.Task[None] | None = None

    async def __aenter__(self) -> CountingSmsc:
        await self.server.start()
        self._serving = asyncio.create_task(self._serve())
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in [*self._tasks, *([self._serving] if self._serving else [])]:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._serving is not None:
            await asyncio.gather(self._serving, return_exceptions=True)
        await self.server.stop()

    async def _serve(self) -> None:
        while True:
            event = await self.server.next()
            if isinstance(event, smpp34.Esme):
                self.esmes[event.session_id] = event
            elif isinstance(event, smpp34.Unbound):
                self.esmes.pop(event.session_id, None)
            else:
                self._accept(event)

    def _accept(self, event: smpp34.SubmitSmEvent) -> None:
        self.accepted[event.destination_addr] += 1
        number = sum(self.accepted.values())
        event.accept(format(number, "X") if self.hex_ids else str(number))
        stat, _ = STATS.get(event.destination_addr[-4:], ("DELIVRD", Status.DELIVERED))
        text = f"id:{number} sub:001 dlvrd:001 submit date:2611291200 done date:2611291200 "
        text += f"stat:{stat} err:000 text:"
        task = asyncio.create_task(self._receipt(event, text.encode()))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _receipt(self, event: smpp34.SubmitSmEvent, text: bytes) -> None:
        esme = self.esmes[event.session_id]
        answer = await esme.deliver_sm(
            event.source_addr, text, source_addr=event.destination_addr, esm_class=0x04
        )
        if answer.command_status == 0:
            self.acknowledged += 1


def config_for(smsc: CountingSmsc, receipt_id: ReceiptIds) -> ConnectionConfig:
    return ConnectionConfig(
        name="peer",
        host="127.0.0.1",
        port=smsc.port,
        system_id="signalpost",
        password="secret",
        window=32,
        receipt_id=receipt_id,
        reconnect_min_seconds=0.02,
        reconnect_max_seconds=0.2,
    )


@pytest.mark.parametrize(
    ("hex_ids", "receipt_id"), [(False, ReceiptIds.SAME), (True, ReceiptIds.HEX_TO_DEC)]
)
async def test_receipts_from_an_independent_counting_smsc(
    db: Database, hex_ids: bool, receipt_id: ReceiptIds, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "signalpost.smpp")
    sink = RecordingSink()
    async with CountingSmsc(hex_ids=hex_ids) as smsc:
        carrier = SmppCarrier(config_for(smsc, receipt_id), db)
        await carrier.start(sink)
        try:
            await wait_until(lambda: carrier.available and len(smsc.esmes) == 1)
            subs = [
                submission(
                    f"+1415{n:03d}{('0001', '0002', '7777')[n % 3]}",
                    LONG_UCS2 if n % 5 == 0 else f"Code {n}",
                )
                for n in range(300)
            ]
            results = await carrier.submit(subs)
            assert {r.outcome.value for r in results} == {"accepted"}
            await wait_until(lambda: len(sink.receipts) == len(subs))
            await wait_until(lambda: smsc.acknowledged == sum(smsc.accepted.values()))
            [esme] = smsc.esmes.values()
            await esme.unbind()
            # The carrier is unavailable only until it binds again, 20 ms later: a poll can
            # miss that, so wait for the session's end as the carrier records it.
            ended = "session ended (unbound by the SMSC); 0 submit_sm in flight"
            await wait_until(lambda: any(ended in r.getMessage() for r in caplog.records))
        finally:
            await carrier.stop()
    found = sink.by_id()
    for sub, result in zip(subs, results, strict=True):
        _, expected = STATS.get(sub.to[-4:], ("DELIVRD", Status.DELIVERED))
        assert [r.status for r in found[result.carrier_message_id or ""]] == [expected]
    assert max(smsc.accepted.values()) == 2  # a long message's two parts, each once


# ----------------------------------------------------------------------------- session ends

_HEADER = struct.Struct(">IIII")


async def _mute_smsc(reset_after_submits: int) -> tuple[asyncio.Server, int]:
    """Binds anyone, then answers nothing; resets the connection after that many submit_sm
    (0: never)."""

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await serve(reader, writer)
        writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        submits = 0
        while header := await reader.readexactly(16):
            length, command, _, sequence = _HEADER.unpack(header)
            await reader.readexactly(length - 16)
            if command == Command.BIND_TRANSCEIVER:
                writer.write(_HEADER.pack(23, command | 0x80000000, 0, sequence) + b"stub-s\0")
            elif command == Command.SUBMIT_SM:
                submits += 1
                if submits == reset_after_submits:
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return

    server = await asyncio.start_server(client, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _session(port: int, response_timeout: float) -> Session:
    return await Session.open(
        "127.0.0.1",
        port,
        Command.BIND_TRANSCEIVER,
        BindRequest("signalpost", "secret"),
        name="stub",
        window=8,
        response_timeout=response_timeout,
        connect_timeout=2.0,
        on_deliver=lambda *_: None,
    )


def _submit(session: Session) -> asyncio.Future[tuple[int, bytes]]:
    def encode(sequence: int) -> bytes:
        return smpp34.SubmitSm(
            "Signalpost", "14155551234", b"hi", sequence_number=sequence
        ).encode()

    return asyncio.ensure_future(session.request(encode))


async def test_a_reset_connection_logs_the_socket_error_and_the_submits_in_flight(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, port = await _mute_smsc(reset_after_submits=3)
    try:
        session = await _session(port, 10.0)
        waiting = [_submit(session) for _ in range(3)]
        for outcome in await asyncio.gather(*waiting, return_exceptions=True):
            assert isinstance(outcome, SessionClosed)
        await session.closed.wait()
    finally:
        server.close()
        await server.wait_closed()
    [ended] = [r for r in caplog.records if "session ended" in r.getMessage()]
    assert ended.levelno == logging.WARNING
    assert "socket error: ConnectionResetError" in ended.getMessage()
    assert ended.getMessage().endswith("; 3 submit_sm in flight")


async def test_an_unanswered_enquire_link_ends_the_session(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, port = await _mute_smsc(reset_after_submits=0)
    try:
        session = await _session(port, 0.2)
        with pytest.raises(SessionClosed):
            await session.enquire_link()
        await session.closed.wait()
    finally:
        server.close()
        await server.wait_closed()
    messages = [r.getMessage() for r in caplog.records if "session ended" in r.getMessage()]
    assert messages == [
        "smpp stub: session ended (enquire_link unanswered within 0.2s); 0 submit_sm in flight"
    ]
