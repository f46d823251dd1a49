"""Webhook deliveries per second to a local receiver, beside a plain HTTP client.

Setup: a fresh database, ``signalpost serve`` (its workers and webhook delivery on, a
50 ms simulator latency), an organization and one native webhook endpoint pointing at a
receiver in this process.  The receiver is a bare asyncio HTTP/1.1 server answering 204
and counting distinct ``webhook-id`` values.  ``messages`` messages are sent in batches;
each one causes three events (queued, sent, delivered), every one signed and delivered
as its own request.  The figure is distinct events received per second, from the first
to the last; the reference is ``httpx`` posting the same number of payloads to the same
receiver with the same concurrency per endpoint (what a loopback HTTP client alone
manages on this machine, in the same run).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import orjson

from bench.database import fresh_database
from bench.harness import BenchEnv, Figure, say
from bench.loadgen import run_each
from bench.payloads import NumberPool, accepted_ids, send_requests
from bench.servers import create_org, signalpost_server

__all__ = ["NAME", "run"]

NAME = "webhooks"
EVENTS_PER_MESSAGE = 3  # message.queued, message.sent, message.delivered
CONCURRENCY = 8  # the default SIGNALPOST_WEBHOOK_ENDPOINT_CONCURRENCY
SETTINGS = {
    "SIGNALPOST_SIMULATOR_LATENCY_MS": "50",
    "SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS": "true",
    "SIGNALPOST_WEBHOOK_ENDPOINT_CONCURRENCY": str(CONCURRENCY),
}
_NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"


class Receiver:
    """Counts distinct ``webhook-id`` headers and when the first and latest arrived."""

    def __init__(self) -> None:
        self.ids: set[bytes] = set()
        self.requests = 0
        self.first: float | None = None
        self.last: float = 0.0
        self.changed = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                event_id = b""
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"webhook-id":
                        event_id = value.strip()
                if length:
                    await reader.readexactly(length)
                self._count(event_id)
                writer.write(_NO_CONTENT)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _count(self, event_id: bytes) -> None:
        now = time.perf_counter()
        self.requests += 1
        if self.first is None:
            self.first = now
        if event_id not in self.ids:
            self.ids.add(event_id)
            self.last = now
        self.changed.set()

    async def until(self, count: int, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while len(self.ids) < count:
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
            except TimeoutError:
                pass
        return True

    def rate(self) -> float:
        if self.first is None or self.last <= self.first:
            return 0.0
        return (len(self.ids) - 1) / (self.last - self.first)


@asynccontextmanager
async def receiving() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield receiver, f"http://127.0.0.1:{port}/hook"
    finally:
        server.close()


async def _plain_client(count: int, body: bytes) -> float:
    """Distinct posts/s from ``httpx`` alone, ``CONCURRENCY`` in flight, to a new receiver."""
    async with receiving() as (receiver, target):
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(count):
            queue.put_nowait(n)
        limits = httpx.Limits(max_connections=CONCURRENCY)
        async with httpx.AsyncClient(limits=limits, timeout=10) as client:

            async def post() -> None:
                while not queue.empty():
                    n = queue.get_nowait()
                    headers = {"webhook-id": f"msg_{n}", "content-type": "application/json"}
                    await client.post(target, content=body, headers=headers)

            await asyncio.gather(*(post() for _ in range(CONCURRENCY)))
        return receiver.rate()


async def run(env: BenchEnv) -> list[Figure]:
    messages = env.scaled(5_000, 1_000)
    expected = messages * EVENTS_PER_MESSAGE
    with env.workdir(NAME) as work:
        async with (
            receiving() as (receiver, url),
            fresh_database(env, work, NAME) as db,
            signalpost_server(env, db, work, name=NAME, settings=SETTINGS) as ours,
        ):
            org = await create_org(env, db)
            async with httpx.AsyncClient(base_url=ours.url) as client:
                created = await client.post(
                    "/v1/webhooks",
                    json={"url": url},
                    headers={"Authorization": f"Bearer {org['api_key']}"},
                )
                created.raise_for_status()
            say(f"sending {messages:,} messages, waiting for {expected:,} webhook events")
            started = time.perf_counter()
            sends = send_requests(org["api_key"], NumberPool(), batches=messages // 1_000)
            accepted_ids(await run_each(ours.host, ours.port, sends, connections=2))
            if not await receiver.until(expected, 300):
                raise RuntimeError(f"only {len(receiver.ids):,} of {expected:,} events arrived")
            total = time.perf_counter() - started
            ours_rate = receiver.rate()
            duplicates = receiver.requests - len(receiver.ids)
        sample = orjson.dumps({"type": "message.delivered", "data": {"id": "x" * 36}})
        say("reference: httpx posting the same number of payloads")
        reference = await _plain_client(expected, sample)
    note = f"{expected:,} events of {messages:,} messages in {total:.1f} s"
    if duplicates:
        note += f"; {duplicates} redelivered"
    return [
        Figure(NAME, "deliveries/s", ours_rate, "/s", reference=reference, note=note),
    ]
