"""One SMPP session on the ESME side: bind, windowed requests, enquire_link, unbind.

The read loop answers ``enquire_link`` and ``unbind`` itself, resolves the future of each
response by sequence number and hands every ``deliver_sm`` to ``on_deliver`` unanswered:
the carrier acknowledges it with :meth:`Session.respond` once its outcome is durably
stored.  A request that gets no answer within ``response_timeout`` breaks the session (a
peer that stops answering is treated as gone; one watchdog timer per session checks the
oldest request), and every request still waiting when the session ends fails with
:class:`SessionClosed`.

A session that ends logs why (unbound by either side, the socket failed or was closed, a
request or ``enquire_link`` went unanswered, the peer broke the protocol) and how many
``submit_sm`` were still waiting for their answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import cast

from signalpost.smpp import pdu
from signalpost.smpp.pdu import BindRequest, Command, CommandStatus

__all__ = ["BindFailed", "DeliverHandler", "Session", "SessionClosed"]

log = logging.getLogger("signalpost.smpp")

DeliverHandler = Callable[["Session", int, bytes], None]
"""Called with ``(session, sequence_number, whole deliver_sm PDU)``; must not block."""

_MAX_SEQUENCE = 0x7FFFFFFF


class SessionClosed(ConnectionError):
    """The SMPP session ended before the request was answered."""


class BindFailed(ConnectionError):
    """The SMSC refused the bind."""

    def __init__(self, status: int) -> None:
        super().__init__(f"bind refused: {pdu.status_name(status)}")
        self.status = status


class Session(asyncio.Protocol):
    """A bound (or binding) SMPP connection; create it with :meth:`open`."""

    def __init__(
        self, *, name: str, window: int, response_timeout: float, on_deliver: DeliverHandler
    ) -> None:
        self.name = name
        self.response_timeout = response_timeout
        self._on_deliver = on_deliver
        self._window = asyncio.Semaphore(window)
        self._pending: dict[int, asyncio.Future[tuple[int, bytes]]] = {}
        # sequence -> (sent at, command_id), in sending order: the first is the oldest
        self._sent_at: dict[int, tuple[float, int]] = {}
        self.end_reason: str | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._sequence = 0
        self._framer = pdu.Framer()
        self._transport: asyncio.Transport | None = None
        self._writer: pdu.Writer | None = None
        self.closed = asyncio.Event()
        self.bound = False
        self.can_submit = False

    @property
    def in_flight(self) -> int:
        """Requests sent and not yet answered: the part of the window in use."""
        return len(self._pending)

    # ------------------------------------------------------------------ opening

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        bind_command: Command,
        credentials: BindRequest,
        *,
        name: str,
        window: int,
        response_timeout: float,
        connect_timeout: float,
        on_deliver: DeliverHandler,
    ) -> Session:
        """Connect and bind; raises :class:`BindFailed` or an ``OSError``."""
        loop = asyncio.get_running_loop()
        _transport, session = await asyncio.wait_for(
            loop.create_connection(
                lambda: cls(
                    name=name,
                    window=window,
                    response_timeout=response_timeout,
                    on_deliver=on_deliver,
                ),
                host,
                port,
            ),
            connect_timeout,
        )
        try:
            status, _body = await session.request(
                lambda seq: pdu.bind_request(bind_command, seq, credentials), windowed=False
            )
        except BaseException:
            session.abort("bind unanswered")
            raise
        if status != CommandStatus.ESME_ROK:
            session.abort(f"bind refused: {pdu.status_name(status)}")
            raise BindFailed(status)
        session.bound = True
        session.can_submit = bind_command != Command.BIND_RECEIVER
        return session

    # ------------------------------------------------------------------ protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._writer = pdu.Writer(self._transport)

    def data_received(self, data: bytes) -> None:
        try:
            frames = self._framer.feed(data)
        except pdu.ProtocolError as exc:
            self.abort(f"protocol error: {exc}")
            return
        for frame in frames:
            self._dispatch(frame)

    def connection_lost(self, exc: Exception | None) -> None:
        self._log_end(exc)
        self._transport = self._writer = None
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self.bound = False
        self.can_submit = False
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(SessionClosed("the SMPP session ended"))
        self.closed.set()

    def _dispatch(self, frame: bytes) -> None:
        command, status, sequence = pdu.header(frame)
        if command & pdu.RESPONSE_BIT:
            future = self._pending.pop(sequence, None)
            if future is not None and not future.done():
                future.set_result((status, pdu.body(frame)))
            return
        if command == Command.DELIVER_SM:
            self._on_deliver(self, sequence, frame)
        elif command == Command.ENQUIRE_LINK:
            self.respond(Command.ENQUIRE_LINK, sequence)
        elif command == Command.UNBIND:
            self.respond(Command.UNBIND, sequence)
            self.bound = self.can_submit = False
            self.close("unbound by the SMSC")
        else:
            self._write(
                pdu.pdu(Command.GENERIC_NACK, sequence, status=CommandStatus.ESME_RINVCMDID)
            )

    # ------------------------------------------------------------------ requests

    def _next_sequence(self) -> int:
        self._sequence = self._sequence % _MAX_SEQUENCE + 1
        return self._sequence

    def _write(self, data: bytes) -> None:
        if self._writer is None or not self._writer.write(data):
            raise SessionClosed("the SMPP session is closed")

    async def request(
        self, encode: Callable[[int], bytes], *, windowed: bool = True
    ) -> tuple[int, bytes]:
        """Send the PDU ``encode(sequence)`` and wait for its response's (status, body)."""
        if windowed:
            async with self._window:
                return await self._exchange(encode)
        return await self._exchange(encode)

    async def _exchange(self, encode: Callable[[int], bytes]) -> tuple[int, bytes]:
        sequence = self._next_sequence()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[int, bytes]] = loop.create_future()
        self._pending[sequence] = future
        data = encode(sequence)
        self._sent_at[sequence] = (loop.time(), int.from_bytes(data[4:8], "big"))
        if self._watchdog is None:
            self._watchdog = loop.call_later(self.response_timeout / 4, self._check_timeouts)
        try:
            self._write(data)
            return await future
        finally:
            self._pending.pop(sequence, None)
            self._sent_at.pop(sequence, None)

    def _check_timeouts(self) -> None:
        """Close the session when the oldest request waits longer than ``response_timeout``."""
        self._watchdog = None
        if not self._sent_at:
            return
        loop = asyncio.get_running_loop()
        oldest, command = next(iter(self._sent_at.values()))
        if loop.time() - oldest > self.response_timeout:
            name = _command_name(command)
            self.abort(f"{name} unanswered within {self.response_timeout:g}s")
            return
        self._watchdog = loop.call_later(self.response_timeout / 4, self._check_timeouts)

    def respond(self, command: int, sequence: int, status: int = 0, body: bytes = b"") -> bool:
        """Answer a request of the SMSC; False when the session is already gone."""
        try:
            self._write(pdu.response(command, sequence, status, body))
        except SessionClosed:
            return False
        return True

    async def enquire_link(self) -> None:
        status, _ = await self.request(
            lambda seq: pdu.pdu(Command.ENQUIRE_LINK, seq), windowed=False
        )
        if status != CommandStatus.ESME_ROK:
            raise SessionClosed(f"enquire_link answered {pdu.status_name(status)}")

    # ------------------------------------------------------------------ closing

    async def unbind(self, timeout: float = 2.0) -> None:
        """Unbind gracefully (bounded by ``timeout``) and close."""
        self.can_submit = False
        self.end_reason = self.end_reason or "unbound by us"
        if self._transport is not None and not self._transport.is_closing():
            with contextlib.suppress(SessionClosed, TimeoutError, OSError):
                await asyncio.wait_for(
                    self.request(lambda seq: pdu.pdu(Command.UNBIND, seq), windowed=False),
                    timeout,
                )
        self.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.closed.wait(), timeout)

    def close(self, reason: str | None = None) -> None:
        """Close after writing what is queued; ``reason`` is logged when the session ends."""
        self.end_reason = self.end_reason or reason
        if self._writer is not None:
            self._writer.close()

    def abort(self, reason: str | None = None) -> None:
        """Close at once, dropping what is queued."""
        self.end_reason = self.end_reason or reason
        if self._transport is not None:
            self._transport.abort()

    @property
    def submits_in_flight(self) -> int:
        """``submit_sm`` sent and not answered yet."""
        return sum(1 for _, command in self._sent_at.values() if command == Command.SUBMIT_SM)

    def _log_end(self, exc: Exception | None) -> None:
        if self.end_reason is None:
            self.end_reason = (
                f"socket error: {exc!r}" if exc is not None else "connection closed by the SMSC"
            )
        level = logging.INFO if self.end_reason == "unbound by us" else logging.WARNING
        log.log(
            level,
            "smpp %s: session ended (%s); %d submit_sm in flight",
            self.name,
            self.end_reason,
            self.submits_in_flight,
        )


def _command_name(command: int) -> str:
    try:
        return Command(command).name.lower()
    except ValueError:
        return f"command 0x{command:08X}"
