"""A lean webhook receiver for benchmarks: ``httptools`` on asyncio, answering 204.

It listens on as many loopback ports as a benchmark wants endpoints (each port is its own
origin, as distinct receivers are), counts distinct ``webhook-id`` values and the time
the first and the latest new one arrived.  Parsing is ``httptools`` (the parser uvicorn
uses) in an ``asyncio.Protocol``, so the receiver costs little beside the senders it
measures, and it is the same receiver for Signalpost and for the plain client it is
compared with.
"""

from __future__ import annotations

import asyncio
import time
from typing import cast

import httptools

__all__ = ["Receiver"]

_NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"
HOST = "127.0.0.1"


class _Connection(asyncio.Protocol):
    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.parser = httptools.HttpRequestParser(self)
        self.event_id = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.close()

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) == 10 and name.lower() == b"webhook-id":
            self.event_id = value

    def on_message_complete(self) -> None:
        self.receiver.count(self.event_id)
        self.event_id = b""
        if self.transport is not None:
            self.transport.write(_NO_CONTENT)


class Receiver:
    """Counts distinct ``webhook-id`` headers and when the first and latest arrived."""

    def __init__(self) -> None:
        self.ids: set[bytes] = set()
        self.requests = 0
        self.first: float | None = None
        self.last = 0.0
        self.changed = asyncio.Event()
        self._servers: list[asyncio.Server] = []

    async def listen(self, ports: int = 1) -> list[str]:
        """Start ``ports`` listeners; their webhook URLs."""
        loop = asyncio.get_running_loop()
        urls = []
        for _ in range(ports):
            server = await loop.create_server(lambda: _Connection(self), HOST, 0, backlog=512)
            self._servers.append(server)
            urls.append(f"http://{HOST}:{server.sockets[0].getsockname()[1]}/hook")
        return urls

    def close(self) -> None:
        for server in self._servers:
            server.close()
        self._servers.clear()

    def count(self, event_id: bytes) -> None:
        now = time.perf_counter()
        self.requests += 1
        if self.first is None:
            self.first = now
        if event_id not in self.ids:
            self.ids.add(event_id)
            self.last = now
        self.changed.set()

    async def until(self, count: int, timeout: float, stalled: float = 60.0) -> bool:
        """Wait until ``count`` distinct events arrived (False: ``timeout`` ran out first,
        or nothing new arrived for ``stalled`` seconds)."""
        deadline = time.perf_counter() + timeout
        while len(self.ids) < count:
            now = time.perf_counter()
            left = deadline - now
            if left <= 0 or now - max(self.last, deadline - timeout) > stalled:
                return False
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
            except TimeoutError:
                pass
        return True

    def rate(self) -> float:
        """Distinct events per second from the first arrival to the latest new one."""
        if self.first is None or self.last <= self.first:
            return 0.0
        return (len(self.ids) - 1) / (self.last - self.first)
