"""Batch-send acceptance: messages/s for ``POST /v1/messages`` with 1,000 recipients each.

The server runs with ``--no-workers``, so the figure is acceptance alone (validation,
phone parsing, pricing, the message, activity and outbox rows in one transaction, and the
response) with no dispatch competing for the CPU or the database.  A few connections send
concurrently; every recipient is a distinct valid number.  After two warm-up batches,
messages/s = accepted messages / wall time from the first request to the last response.

Target: at least 10,000 messages/s on SQLite.
"""

from __future__ import annotations

import time

import orjson

from bench.database import fresh_database
from bench.harness import BenchEnv, Figure, say
from bench.loadgen import run_each
from bench.payloads import NumberPool, send_requests
from bench.servers import create_org, signalpost_server

__all__ = ["NAME", "run"]

NAME = "send_accept"
BATCH = 1_000
CONNECTIONS = 4
WARMUP_BATCHES = 2
TARGET = 10_000.0


async def run(env: BenchEnv) -> list[Figure]:
    batches = env.scaled(50, 10)
    with env.workdir(NAME) as work:
        async with (
            fresh_database(env, work, NAME) as db,
            signalpost_server(env, db, work, name=NAME, args=["--no-workers"]) as server,
        ):
            org = await create_org(env, db)
            pool = NumberPool()
            warmup = send_requests(org["api_key"], pool, batches=WARMUP_BATCHES, batch_size=BATCH)
            timed = send_requests(org["api_key"], pool, batches=batches, batch_size=BATCH)
            await run_each(server.host, server.port, warmup, connections=CONNECTIONS)
            say(f"sending {batches} batches of {BATCH:,} over {CONNECTIONS} connections")
            cpu_before = server.cpu_seconds()
            started = time.perf_counter()
            replies = await run_each(server.host, server.port, timed, connections=CONNECTIONS)
            wall = time.perf_counter() - started
            cpu = server.cpu_seconds() - cpu_before
    accepted = sum(len(orjson.loads(r.body)["messages"]) for r in replies if r.status == 202)
    refused = [r for r in replies if r.status != 202]
    latencies = sorted(r.seconds * 1000 for r in replies)
    note = (
        f"{accepted:,} messages in {wall:.2f} s, {batches} x {BATCH:,} over {CONNECTIONS} "
        f"connections, serve --no-workers, {env.backend}"
    )
    if refused:
        note += f"; {len(refused)} batches refused, first: {refused[0].body[:200]!r}"
    target = TARGET if env.backend == "sqlite" else None
    return [
        Figure(NAME, "batch send accepted", accepted / wall, "msg/s", target=target, note=note),
        Figure(
            NAME,
            "accepted per server CPU second",
            accepted / cpu if cpu > 0 else float("nan"),
            "msg/s",
            note="server CPU time only: steadier than wall-clock figures on a busy machine",
        ),
        Figure(NAME, "batch of 1,000 p50", latencies[len(latencies) // 2], "ms"),
        Figure(NAME, "batch of 1,000 max", latencies[-1], "ms"),
    ]
