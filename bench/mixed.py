"""Status lookups under load: while batches are accepted and dispatched, and while one
maximal send is accepted.

Setup: a fresh database, ``signalpost serve`` with its default workers (simulator latency
50 ms), an organization, and a thousand messages to look up.  Then, with lookups running
on ``LOOKUP_CONNECTIONS`` connections all along (one request at a time each, every latency
recorded with the time it was asked):

1. *steady*: batches of 1,000 are sent at ``RATE`` messages/s (paced; the rate reached is
   reported) for ``seconds``, while the workers dispatch them;
2. *maximal send*: one request with 10,000 recipients on three channels (30,000 messages).

Figures: lookup p50/p99 during the steady phase, and the longest lookup during the maximal
send (how long a request waits behind it).  Targets (SQLite): p99 <= 50 ms while 10,000
messages/s are accepted and dispatched; no request waits more than 250 ms.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import orjson

from bench.database import fresh_database
from bench.harness import BenchEnv, Figure, Goal, say
from bench.loadgen import _READ_LIMIT, _read_response, build_request, run_each
from bench.payloads import NumberPool, accepted_ids, send_requests
from bench.servers import HOST, create_org, signalpost_server

__all__ = ["NAME", "run"]

NAME = "mixed"
RATE = 10_000
BATCH = 1_000
LOOKUP_CONNECTIONS = 4
MAX_RECIPIENTS = 10_000
CHANNELS = ["sms", "whatsapp", "rcs"]
P99_TARGET = 50.0
WAIT_TARGET = 250.0
SETTINGS = {"SIGNALPOST_SIMULATOR_LATENCY_MS": "50"}


@dataclass
class Lookups:
    """Lookups kept running on a few connections; each latency with its start time."""

    requests: list[bytes]
    samples: list[tuple[float, float]] = field(default_factory=list)  # (asked at, ms)
    running: bool = True

    async def connection(self, port: int, offset: int) -> None:
        reader, writer = await asyncio.open_connection(HOST, port, limit=_READ_LIMIT)
        i = offset
        try:
            while self.running:
                asked = time.perf_counter()
                writer.write(self.requests[i % len(self.requests)])
                status, _ = await _read_response(reader, keep_body=False)
                if status != 200:
                    raise RuntimeError(f"lookup answered {status}")
                self.samples.append((asked, (time.perf_counter() - asked) * 1000))
                i += LOOKUP_CONNECTIONS
        finally:
            writer.close()

    def between(self, start: float, end: float) -> list[float]:
        return sorted(ms for at, ms in self.samples if start <= at <= end)


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * p))]


async def _paced_sends(port: int, batches: list[bytes], rate: float) -> tuple[int, float]:
    """Send batches on two connections, no faster than ``rate`` messages/s."""
    started = time.perf_counter()
    accepted = 0
    lock = asyncio.Lock()
    queue = list(enumerate(batches))

    async def sender() -> None:
        nonlocal accepted
        reader, writer = await asyncio.open_connection(HOST, port, limit=_READ_LIMIT)
        try:
            while queue:
                async with lock:
                    if not queue:
                        return
                    index, body = queue.pop(0)
                due = started + index * BATCH / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                writer.write(body)
                status, reply = await _read_response(reader, keep_body=True)
                if status == 202:
                    accepted += len(orjson.loads(reply)["messages"])
        finally:
            writer.close()

    await asyncio.gather(sender(), sender())
    return accepted, time.perf_counter() - started


def _maximal_send(api_key: str, pool: NumberPool) -> bytes:
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    body = {"to": pool.take(MAX_RECIPIENTS), "text": "Maximal send", "channels": CHANNELS}
    return build_request("POST", "/v1/messages", headers, orjson.dumps(body))


async def run(env: BenchEnv) -> list[Figure]:
    seconds = env.seconds(10.0, 4.0)
    with env.workdir(NAME) as work:
        async with (
            fresh_database(env, work, NAME) as db,
            signalpost_server(env, db, work, name=NAME, settings=SETTINGS) as server,
        ):
            org = await create_org(env, db)
            pool = NumberPool()
            seed = send_requests(org["api_key"], pool, batches=1, batch_size=BATCH)
            ids = accepted_ids(await run_each(server.host, server.port, seed, connections=1))
            auth = {"Authorization": f"Bearer {org['api_key']}"}
            lookups = Lookups([build_request("GET", f"/v1/messages/{i}", auth) for i in ids])
            tasks = [
                asyncio.create_task(lookups.connection(server.port, n))
                for n in range(LOOKUP_CONNECTIONS)
            ]
            try:
                await asyncio.sleep(1.0)
                count = int(seconds * RATE / BATCH)
                batches = send_requests(org["api_key"], pool, batches=count, batch_size=BATCH)
                say(f"steady: {count} batches of {BATCH:,} at up to {RATE:,} msg/s")
                steady_start = time.perf_counter()
                accepted, took = await _paced_sends(server.port, batches, RATE)
                steady = lookups.between(steady_start, time.perf_counter())
                await asyncio.sleep(2.0)
                say(f"maximal send: {MAX_RECIPIENTS:,} recipients x {len(CHANNELS)} channels")
                big = [_maximal_send(org["api_key"], pool)]
                big_start = time.perf_counter()
                reply = (await run_each(server.host, server.port, big, connections=1))[0]
                big_end = time.perf_counter()
                during = lookups.between(big_start, big_end)
            finally:
                lookups.running = False
                await asyncio.gather(*tasks, return_exceptions=True)
    if reply.status != 202:
        raise RuntimeError(f"maximal send answered {reply.status}: {reply.body[:300]!r}")
    note = (
        f"{accepted:,} messages accepted in {took:.1f} s ({accepted / took:,.0f} msg/s) with "
        f"workers dispatching, {len(steady):,} lookups on {LOOKUP_CONNECTIONS} connections, "
        f"{env.backend}"
    )
    big_note = (
        f"a send of {MAX_RECIPIENTS:,} x {len(CHANNELS)} channels took "
        f"{(big_end - big_start) * 1000:,.0f} ms; {len(during):,} lookups answered meanwhile"
    )
    target = P99_TARGET if env.backend == "sqlite" else None
    return [
        Figure(NAME, "accepted while looking up", accepted / took, "msg/s", note=note),
        Figure(NAME, "lookup p50 under load", _percentile(steady, 0.5), "ms"),
        Figure(
            NAME,
            "lookup p99 under load",
            _percentile(steady, 0.99),
            "ms",
            target=target,
            goal=Goal.AT_MOST,
        ),
        Figure(
            NAME,
            "longest lookup during a maximal send",
            max(during) if during else float("nan"),
            "ms",
            target=WAIT_TARGET,
            goal=Goal.AT_MOST,
            note=big_note,
        ),
    ]
