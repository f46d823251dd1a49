"""Statistics: ``GET /v1/stats`` answered from the rollup of 2,000,000 messages.

The rollup is built by the same code that maintains it in production
(:func:`signalpost.stats.rollup.deltas` and the repository's upsert), fed with the
lifecycle steps of 2,000,000 synthetic messages: accepted over the last 30 days, on two
channels, to ten countries, through three carriers, ending in every final status with
accepted-to-delivered times from seconds to hours, split over an organization and two
profiles.  No message rows are stored: a report reads only the rollup, which is the point.

Each query shape is then asked of a real server one request at a time (latency, not
throughput), and its p50 and p95 are reported.  Target: p50 under 100 ms.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace

from bench.database import DbTarget, fresh_database
from bench.harness import BenchEnv, Figure, Goal, say
from bench.loadgen import build_request, run_load
from bench.servers import _cli, create_org, signalpost_server
from signalpost.activities.schemas import Activity
from signalpost.domain.lifecycle import Status
from signalpost.messages.schemas import Message
from signalpost.messages.transitions import Applied
from signalpost.stats import repository as stats_repo
from signalpost.stats.rollup import HOUR_US, deltas
from signalpost.storage import open_database

__all__ = ["NAME", "run"]

NAME = "stats"
FULL = 2_000_000
CHUNK = 20_000
TARGET_MS = 100.0
DAY_US = 24 * HOUR_US
_COUNTRIES = ("US", "GB", "DE", "FR", "BR", "IN", "NG", "AE", "JP", "MX")
_CARRIERS = ("simulator", "carrier-a", "carrier-b")
_FATES = (
    (Status.DELIVERED, 70),
    (Status.READ, 8),
    (Status.SENT, 6),
    (Status.FAILED, 6),
    (Status.EXPIRED, 4),
    (Status.REJECTED, 4),
    (Status.FILTERED, 2),
)
# Only what the rollup reads of a message varies; the rest is a fixed stand-in.
_MESSAGE = Message(
    "m", "o", "o", "b", None, "sms", "+14155551234", None, None, "", None, None, "GSM7", 1,
    7_500, "USD", "accepted", None, None, None, None, "native", None, None, 0, 0, 0, None,
    None, 0, 1,
)  # fmt: skip


def _step(status: Status, at: int) -> Activity:
    return Activity(0, "m", status.value, "", None, None, None, None, at)


def _steps(
    rng: random.Random, tenants: list[tuple[str, str]], now: int, count: int
) -> list[Applied]:
    statuses = [s for s, _ in _FATES]
    weights = [w for _, w in _FATES]
    steps: list[Applied] = []
    for fate in rng.choices(statuses, weights, k=count):
        organization_id, tenant_id = rng.choice(tenants)
        created = now - rng.randrange(30 * DAY_US)
        delivered = fate in (Status.DELIVERED, Status.READ)
        message = replace(
            _MESSAGE,
            tenant_id=tenant_id,
            organization_id=organization_id,
            created_at=created,
            channel="whatsapp" if fate == Status.READ or rng.random() < 0.2 else "sms",
            region_code=rng.choice(_COUNTRIES),
            segments=rng.choice((1, 1, 1, 2, 3)),
            delivered_at=created + int(rng.lognormvariate(15, 1.5)) if delivered else None,
        )
        steps.append(Applied(message, Status.ACCEPTED, _step(Status.ACCEPTED, created)))
        final = replace(message, carrier=rng.choice(_CARRIERS))
        steps.append(Applied(final, Status.ACCEPTED, _step(fate, created)))
    return steps


async def _fill(db: DbTarget, tenants: list[tuple[str, str]], messages: int, now: int) -> float:
    database = open_database(db.url, schema=db.schema, pool_size=2)
    await database.connect()
    rng = random.Random(2026)
    started = time.perf_counter()
    try:
        for done in range(0, messages, CHUNK):
            steps = _steps(rng, tenants, now, min(CHUNK, messages - done))
            async with database.transaction() as conn:
                await stats_repo.add_deltas(conn, deltas(steps))
            if done % (10 * CHUNK) == 0:
                say(f"[{NAME}] rolled up {done + CHUNK:,} messages")
    finally:
        await database.close()
    return time.perf_counter() - started


async def run(env: BenchEnv) -> list[Figure]:
    messages = env.scaled(FULL, 200_000)
    now = time.time_ns() // 1000
    figures: list[Figure] = []
    with env.workdir(NAME) as workdir:
        async with fresh_database(env, workdir, NAME) as db:
            org = await create_org(env, db, "Stats")
            profiles = [
                _cli(env, db, "profile", "create", "--org", org["id"], f"P{i}") for i in (1, 2)
            ]
            tenants = [(org["id"], org["id"])] + [(org["id"], p["id"]) for p in profiles]
            took = await _fill(db, tenants, messages, now)
            say(f"[{NAME}] rollup of {messages:,} messages built in {took:.1f} s")
            async with signalpost_server(env, db, workdir, name=NAME) as server:
                figures += await _measure(env, server.host, server.port, org["api_key"], messages)
    return figures


_SHAPES = {
    "30 days by day and status": "interval=day&group_by=status",
    "30 days by day and country": "interval=day&group_by=country",
    "7 days by hour and carrier": "interval=hour&group_by=carrier&from={week}",
    "24 hours by hour, totals": "interval=hour",
}


async def _measure(env: BenchEnv, host: str, port: int, key: str, messages: int) -> list[Figure]:
    headers = {"Host": f"{host}:{port}", "Authorization": f"Bearer {key}"}
    week = int(time.time()) - 7 * 86400
    figures: list[Figure] = []
    for label, query in _SHAPES.items():
        path = "/v1/stats?" + query.format(week=week)
        request = build_request("GET", path, headers)
        result = await run_load(
            host, port, [request], connections=1, seconds=env.seconds(6.0, 2.0), warmup=0.5
        )
        if result.ok != result.requests:
            say(f"[{NAME}] {label}: {result.statuses}")
        note = (
            f"{result.requests} requests one at a time over the rollup of {messages:,} "
            f"messages, {env.backend}"
        )
        figures.append(
            Figure(
                NAME,
                f"{label} p50",
                result.percentile(50),
                "ms",
                target=TARGET_MS,
                goal=Goal.AT_MOST,
                note=note,
            )
        )
        figures.append(Figure(NAME, f"{label} p95", result.percentile(95), "ms"))
    return figures
