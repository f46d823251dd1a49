"""End to end: 100,000 messages from the first accepted batch to all delivered.

Signalpost runs with its shipped defaults: two dispatch loops per process and the
simulator's default 300 ms receipt latency (so the last message cannot be delivered
earlier than 0.3 s after it is sent).  Two deployments are measured, each on a fresh
database:

* ``serve``: one process, the API and the workers (``signalpost serve``), on one core;
* ``serve + worker``: ``signalpost serve --no-workers`` for the API and one
  ``signalpost worker`` process for dispatch, so both cores of the machine work.

The messages go in as batch sends of 1,000 distinct numbers over a few connections while
the workers already dispatch; the clock runs from the first request until every message
is final, watched by counting statuses in the database directly (read-only), which costs
the server nothing.  Bounded: a run gives up after ``TIMEOUT`` seconds and reports what
was delivered by then.

Target: 100,000 messages delivered within 60 s on a 2-core machine.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.database import DbTarget, StatusWatch, fresh_database
from bench.harness import BenchEnv, Figure, Goal, say
from bench.loadgen import run_each
from bench.payloads import NumberPool, accepted_ids, send_requests
from bench.servers import ServerProcess, create_org, signalpost_server, signalpost_worker

__all__ = ["NAME", "run"]

NAME = "end_to_end"
FULL = 100_000
BATCH = 1_000
CONNECTIONS = 4
TARGET_SECONDS = 60.0
TIMEOUT = 300.0


@dataclass(frozen=True)
class Topology:
    label: str
    serve_args: tuple[str, ...]
    worker_processes: int


TOPOLOGIES = (
    Topology("serve", (), 0),
    Topology("serve + worker", ("--no-workers",), 1),
)


@asynccontextmanager
async def deployment(
    env: BenchEnv, db: DbTarget, topology: Topology, workdir: Path
) -> AsyncIterator[list[ServerProcess]]:
    """The processes of ``topology``, the API server first."""
    async with AsyncExitStack() as stack:
        processes = [
            await stack.enter_async_context(
                signalpost_server(env, db, workdir, name=NAME, args=topology.serve_args)
            )
        ]
        for _ in range(topology.worker_processes):
            processes.append(await stack.enter_async_context(signalpost_worker(env, db, workdir)))
        yield processes


def _cpu(processes: list[ServerProcess]) -> float:
    return sum(p.cpu_seconds() for p in processes)


async def measure(env: BenchEnv, topology: Topology, total: int) -> list[Figure]:
    with env.workdir(NAME) as work:
        async with fresh_database(env, work, NAME) as db:
            org = await create_org(env, db)
            sends = send_requests(org["api_key"], NumberPool(), batches=total // BATCH)
            async with deployment(env, db, topology, work) as processes:
                server = processes[0]
                say(f"{topology.label}: sending {total:,} messages in batches of {BATCH:,}")
                cpu_before = _cpu(processes)
                started = time.perf_counter()
                replies = await run_each(server.host, server.port, sends, connections=CONNECTIONS)
                accepted_at = time.perf_counter()
                accepted = len(accepted_ids(replies))
                say(f"accepted {accepted:,} in {accepted_at - started:.1f} s; waiting")
                counts, done = await StatusWatch(db, accepted).until_final(started + TIMEOUT)
                cpu = _cpu(processes) - cpu_before
    seconds = (done if done is not None else time.perf_counter()) - started
    delivered = counts.get("delivered", 0)
    note = (
        f"{accepted:,} accepted in {accepted_at - started:.1f} s, {delivered:,} delivered; "
        f"default workers and simulator latency, {env.backend}"
    )
    others = {s: n for s, n in counts.items() if s != "delivered"}
    if others:
        note += f"; not delivered: {others}"
    if done is None:
        note += f"; gave up after {TIMEOUT:.0f} s"
    label = topology.label
    return [
        Figure(
            NAME,
            f"{total:,} accepted -> delivered, {label}",
            seconds if done is not None else float("nan"),
            "s",
            target=TARGET_SECONDS if total == FULL else None,
            goal=Goal.AT_MOST,
            note=note,
        ),
        Figure(NAME, f"delivered per second, {label}", delivered / seconds, "msg/s"),
        Figure(
            NAME,
            f"server CPU per message, {label}",
            cpu / accepted * 1e6 if accepted else float("nan"),
            "us",
            note="all Signalpost processes, user + system, from first request to last delivery",
        ),
        Figure(
            NAME,
            f"accepted per second, {label}",
            accepted / (accepted_at - started),
            "msg/s",
        ),
    ]


async def run(env: BenchEnv) -> list[Figure]:
    total = env.scaled(FULL, 10_000)
    figures: list[Figure] = []
    for topology in TOPOLOGIES:
        figures += await measure(env, topology, total)
    return figures
