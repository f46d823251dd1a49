"""A small HTTP/1.1 keep-alive load generator over raw asyncio streams.

It keeps ``connections`` sockets busy for ``seconds`` and counts complete responses.  It is
lean on purpose: the client must cost far less than the server it measures, and on a 2-core
machine client and server share the CPU, so every figure is compared with a reference
measured by the same client in the same run.

Two modes:

* :func:`run_load`: a closed loop for a fixed time (and at most ``max_requests``), for
  throughput of cheap requests such as a status lookup.
* :func:`run_each`: every request of a list exactly once, spread over a few connections,
  with each response's status and body, for heavy requests such as a batch send.

Both only ever talk to loopback addresses: a benchmark never leaves the machine.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["LoadResult", "Reply", "build_request", "run_each", "run_load"]

_READ_LIMIT = 1 << 24


@dataclass
class LoadResult:
    """What a timed run measured: complete responses by status, and their latencies."""

    requests: int
    seconds: float
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    warmup_requests: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> int:
        """Responses with a 2xx status."""
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


@dataclass(frozen=True, slots=True)
class Reply:
    """One response of :func:`run_each`."""

    status: int
    body: bytes
    seconds: float


def build_request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """The bytes of one HTTP/1.1 request (keep-alive is the default in 1.1)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: bench"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _require_loopback(host: str) -> None:
    if host == "localhost":
        return
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"benchmarks only target loopback addresses, not {host}")


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r]*chunked", re.IGNORECASE)


async def _read_response(reader: asyncio.StreamReader, *, keep_body: bool) -> tuple[int, bytes]:
    # Two searches of the head instead of parsing each header line: the client's cost per
    # response stays small and nearly the same however many headers a server sends.
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    found = _CONTENT_LENGTH.search(head)
    length = int(found[1]) if found else 0
    chunked = found is None and _CHUNKED.search(head) is not None
    if chunked:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if keep_body:
                parts.append(chunk[:-2])
            if size == 0:
                break
        return status, b"".join(parts)
    body = await reader.readexactly(length) if length else b""
    return status, body if keep_body else b""


async def run_load(
    host: str,
    port: int,
    requests: Sequence[bytes] | Callable[[int], bytes],
    *,
    connections: int = 32,
    seconds: float = 5.0,
    warmup: float = 0.5,
    max_requests: int = 5_000_000,
) -> LoadResult:
    """Send requests round-robin (or from a factory) on keep-alive connections.

    Responses completed during the first ``warmup`` seconds are not counted.  The run stops
    after ``warmup + seconds`` or ``max_requests`` requests, whichever comes first; a
    connection the server drops is reopened and counted in ``errors``.
    """
    _require_loopback(host)
    pick: Callable[[int], bytes]
    if callable(requests):
        pick = requests
    else:
        seq = list(requests)
        pick = lambda i: seq[i % len(seq)]  # noqa: E731

    result = LoadResult(requests=0, seconds=0.0)
    counter = 0
    begin = time.perf_counter()
    start = begin + warmup
    stop = start + seconds
    measured_end = start

    async def one_connection() -> None:
        nonlocal counter, measured_end
        reader, writer = await asyncio.open_connection(host, port, limit=_READ_LIMIT)
        try:
            while counter < max_requests:
                now = time.perf_counter()
                if now >= stop:
                    return
                counter += 1
                writer.write(pick(counter))
                try:
                    status, _ = await _read_response(reader, keep_body=False)
                except (asyncio.IncompleteReadError, ConnectionError):
                    result.errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port, limit=_READ_LIMIT)
                    continue
                done = time.perf_counter()
                if now >= start:
                    result.requests += 1
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    result.latencies_ms.append((done - now) * 1000)
                    measured_end = max(measured_end, done)
                else:
                    result.warmup_requests += 1
        finally:
            writer.close()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    result.seconds = max(0.0, min(stop, measured_end) - start) or seconds
    return result


async def run_each(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    connections: int = 4,
    timeout: float = 120.0,
) -> list[Reply]:
    """Send every request once over ``connections`` keep-alive sockets; replies in order.

    Each connection takes the next unsent request as soon as its previous one is answered,
    so the server always has ``connections`` requests in hand.  ``timeout`` bounds each
    single request.
    """
    _require_loopback(host)
    replies: list[Reply | None] = [None] * len(requests)
    next_index = 0

    async def one_connection() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection(host, port, limit=_READ_LIMIT)
        try:
            while next_index < len(requests):
                index = next_index
                next_index += 1
                sent = time.perf_counter()
                writer.write(requests[index])
                status, body = await asyncio.wait_for(
                    _read_response(reader, keep_body=True), timeout
                )
                replies[index] = Reply(status, body, time.perf_counter() - sent)
        finally:
            writer.close()

    await asyncio.gather(*(one_connection() for _ in range(max(1, connections))))
    return [r for r in replies if r is not None]
