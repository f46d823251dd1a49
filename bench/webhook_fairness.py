"""How long a healthy endpoint's webhook events take while eight other endpoints hang.

Setup: a fresh database and ``signalpost serve`` (workers and webhook delivery on, 50 ms
simulator latency, default webhook concurrency: 64 per process, 8 per endpoint).  One
organization has eight native endpoints whose receivers answer after 5 s (four of them)
or never, so every attempt times out (the other four); another organization has one
endpoint whose receiver answers at once.  For ``seconds``, the first organization sends
a message a second (three events a second per endpoint, about twice what a slow one
takes) and the second 5 a second (three events each).  The figure is the
95th percentile of the healthy endpoint's latency, from the step that caused an event
(its ``timestamp``) to its arrival at the receiver; the slow endpoints keep far more
events due than they can take the whole time.  The reference is the same run with no
the eight endpoints answering at once (the same events written and delivered), measured
right after: what the slow receivers cost the healthy one beyond the work itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
import orjson

from bench.database import fresh_database
from bench.harness import BenchEnv, Figure, Goal, say
from bench.payloads import NumberPool
from bench.servers import create_org, signalpost_server

__all__ = ["NAME", "run"]

NAME = "webhook_fairness"
OTHER_ENDPOINTS = 8
BUSY_RATE = 1  # messages/s: three events/s per endpoint, about twice what a slow one takes
SETTINGS = {
    "SIGNALPOST_SIMULATOR_LATENCY_MS": "50",
    "SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS": "true",
}
_OK = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"


class Receiver:
    """``/slowN`` answers after 5 s (even N) or never, ``/fastN`` at once; ``/healthy`` at
    once, timing each."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.slow_requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                if path.startswith("/fast"):
                    pass
                elif path.startswith("/slow"):
                    self.slow_requests += 1
                    await asyncio.sleep(5.0 if int(path[5:]) % 2 == 0 else 3600.0)
                else:
                    stamp = orjson.loads(body)["timestamp"]
                    caused = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
                    self.latencies.append(time.time() - caused)
                writer.write(_OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def receiving() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield receiver, f"http://127.0.0.1:{port}"
    finally:
        server.close()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _subscribe(client: httpx.AsyncClient, key: str, url: str) -> None:
    created = await client.post(
        "/v1/webhooks", json={"url": url}, headers={"Authorization": f"Bearer {key}"}
    )
    created.raise_for_status()


async def _send_for(
    client: httpx.AsyncClient, key: str, pool: NumberPool, per_second: int, seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        sent = await client.post(
            "/v1/messages",
            json={"to": pool.take(per_second), "text": "fairness"},
            headers={"Authorization": f"Bearer {key}"},
        )
        sent.raise_for_status()
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


async def _measure(env: BenchEnv, seconds: float, *, slow: bool) -> Receiver:
    name = f"{NAME}_{'slow' if slow else 'fast'}"
    with env.workdir(name) as work:
        async with (
            receiving() as (receiver, base),
            fresh_database(env, work, name) as db,
            signalpost_server(env, db, work, name=name, settings=SETTINGS) as ours,
        ):
            busy, healthy = await create_org(env, db, "Busy"), await create_org(env, db, "Ok")
            async with httpx.AsyncClient(base_url=ours.url, timeout=30) as client:
                for n in range(OTHER_ENDPOINTS):
                    path = f"/slow{n}" if slow else f"/fast{n}"
                    await _subscribe(client, busy["api_key"], base + path)
                await _subscribe(client, healthy["api_key"], f"{base}/healthy")
                kind = "slow" if slow else "fast"
                say(f"{seconds:g} s of sends, {OTHER_ENDPOINTS} {kind} endpoints beside")
                pool = NumberPool()
                await asyncio.gather(
                    _send_for(client, busy["api_key"], pool, BUSY_RATE, seconds),
                    _send_for(client, healthy["api_key"], pool, 5, seconds),
                )
                await asyncio.sleep(3.0)  # the last healthy events arrive
    if not receiver.latencies:
        raise RuntimeError("no healthy event arrived")
    return receiver


async def run(env: BenchEnv) -> list[Figure]:
    seconds = 15.0 if env.quick else 40.0
    loaded = await _measure(env, seconds, slow=True)
    say("reference: the same sends, the other endpoints answering at once")
    alone = await _measure(env, seconds, slow=False)
    latencies = loaded.latencies
    note = (
        f"{len(latencies)} healthy events, p50 {_percentile(latencies, 0.5):.2f} s, max "
        f"{max(latencies):.2f} s; {loaded.slow_requests} requests to slow endpoints; "
        f"reference: p95 with the other endpoints answering at once"
    )
    return [
        Figure(
            NAME,
            "healthy p95",
            _percentile(latencies, 0.95),
            "s",
            reference=_percentile(alone.latencies, 0.95),
            target=1.0,
            goal=Goal.AT_MOST,
            note=note,
        )
    ]
