"""A real HTTP/1.1 webhook receiver for tests: its own event loop in a thread, a free port.

It records every request and answers per path: a status code and an optional delay, or only
once the test lets it (:meth:`Receiver.hold`: a request in flight for as long as the test
needs, with no deadline to race).  It can be taken down (listening socket and open
keep-alive connections closed, so senders get connection errors) and brought up again on
the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tests.support.server import free_port

__all__ = ["Received", "Receiver", "running_receiver"]


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when the request was complete


@dataclass
class Behaviour:
    status: int = 200
    delay: float = 0.0
    body: bytes = b"ok"
    gate: asyncio.Event | None = None  # answer once it is set


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.behaviour: dict[str, Behaviour] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str, status: int = 200, delay: float = 0.0) -> None:
        self.behaviour[path] = Behaviour(status, delay)

    def hold(self, path: str, status: int = 200) -> Callable[[], None]:
        """Keep each request to ``path`` unanswered until the returned function is called."""
        gate = asyncio.Event()
        self.behaviour[path] = Behaviour(status, gate=gate)

        def release() -> None:
            self._loop.call_soon_threadsafe(gate.set)

        return release

    def requests(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if path is None or r.path == path]

    def up(self) -> None:
        asyncio.run_coroutine_threadsafe(self._up(), self._loop).result(10)

    def down(self) -> None:
        asyncio.run_coroutine_threadsafe(self._down(), self._loop).result(10)

    def close(self) -> None:
        for how in self.behaviour.values():
            if how.gate is not None:
                self._loop.call_soon_threadsafe(how.gate.set)
        self.down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _up(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )

    async def _down(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        with self._lock:
            self.received.append(Received(path, headers, body, time.time()))
        how = self.behaviour.get(path, Behaviour())
        if how.delay:
            await asyncio.sleep(how.delay)
        if how.gate is not None:
            await how.gate.wait()
        writer.write(
            f"HTTP/1.1 {how.status} X\r\ncontent-length: {len(how.body)}\r\n\r\n".encode()
            + how.body
        )
        await writer.drain()
        return True


@contextlib.contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.up()
    try:
        yield receiver
    finally:
        receiver.close()
