"""Webhook deliveries per second to local receivers, beside a plain HTTP client.

Each measurement has two phases on a fresh database:

1. *Backlog*: ``signalpost serve`` with webhook delivery off (``SIGNALPOST_WEBHOOK_DELIVERY
   =false``), an organization, its native webhook endpoints, and ``messages`` messages
   sent and dispatched until every one is final: each leaves three events per endpoint
   (queued, sent, delivered), written and waiting.
2. *Delivery*: ``signalpost serve`` again with delivery on; the figure is distinct events
   received per second, from the first arrival to the last, every one signed and POSTed as
   its own request with the default per-endpoint concurrency.

Delivery is measured on its own because that is what the webhook engine does (claim, sign,
POST, record); sending and dispatching have their own benchmarks.  The receiver
(:mod:`bench.webhook_receiver`) runs in this process and answers 204; each endpoint is a
port of its own, as distinct receivers are distinct origins.

The reference is a plain async HTTP client in its own process (:mod:`bench.webhook_client`)
posting the same bodies from the database to the same kind of receiver with the same
concurrency: ``httpx`` (the target's reference) and ``aiohttp`` (the library the server's
client is built on, reported beside it).  With 50 busy endpoints the total is set beside
the one-endpoint figure of the same run: it should be no lower.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from bench.database import DbTarget, StatusWatch, fresh_database, query
from bench.harness import BenchEnv, Figure, Goal, say
from bench.loadgen import build_request, run_each
from bench.payloads import NumberPool, accepted_ids
from bench.servers import create_org, signalpost_server
from bench.webhook_receiver import Receiver

__all__ = ["NAME", "run"]

NAME = "webhooks"
EVENTS_PER_MESSAGE = 3  # message.queued, message.sent, message.delivered
CONCURRENCY = 8  # the default SIGNALPOST_WEBHOOK_ENDPOINT_CONCURRENCY
MANY_ENDPOINTS = 50
SETTINGS = {
    "SIGNALPOST_SIMULATOR_LATENCY_MS": "20",
    "SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS": "true",
    "SIGNALPOST_WEBHOOK_ENDPOINT_CONCURRENCY": str(CONCURRENCY),
}
# A realistic text: the native payload carries it, with the message and the step (~900 bytes).
TEXT = (
    "Your Acme appointment is confirmed for Tue at 10:30. Reply C to cancel, STOP to opt out. "
    "Ref {n:06d}"
)


@dataclass
class Delivered:
    """One delivery phase: distinct events/s, how many, the server's CPU per event."""

    rate: float
    events: int
    cpu_us: float
    payload_bytes: float


def _sends(api_key: str, messages: int) -> list[bytes]:
    pool = NumberPool()
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    batch = min(1_000, messages)
    requests = []
    for n in range(0, messages, batch):
        body = {"to": pool.take(min(batch, messages - n)), "text": TEXT.format(n=n)}
        requests.append(build_request("POST", "/v1/messages", headers, orjson.dumps(body)))
    return requests


async def _backlog(env: BenchEnv, db: DbTarget, work: Path, urls: list[str], messages: int) -> None:
    """Endpoints for ``urls`` and every event of ``messages`` messages, written, not sent."""
    quiet = {**SETTINGS, "SIGNALPOST_WEBHOOK_DELIVERY": "false"}
    async with signalpost_server(env, db, work, name=NAME, settings=quiet) as server:
        org = await create_org(env, db)
        auth = {"Authorization": f"Bearer {org['api_key']}"}
        async with httpx.AsyncClient(base_url=server.url, headers=auth) as client:
            for url in urls:
                (await client.post("/v1/webhooks", json={"url": url})).raise_for_status()
        accepted_ids(await run_each(server.host, server.port, _sends(org["api_key"], messages)))
        _, done = await StatusWatch(db, messages).until_final(time.perf_counter() + 600)
        if done is None:
            raise RuntimeError("the messages did not all reach a final status")
    expected = messages * EVENTS_PER_MESSAGE * len(urls)
    (pending,) = (await query(db, "SELECT count(*) FROM webhook_events"))[0]
    if pending != expected:
        raise RuntimeError(f"{pending} webhook events written, {expected} expected")


async def _deliver(
    env: BenchEnv, db: DbTarget, work: Path, receiver: Receiver, expected: int
) -> Delivered:
    async with signalpost_server(env, db, work, name=NAME, settings=SETTINGS) as server:
        started_cpu = server.cpu_seconds()
        if not await receiver.until(expected, 600):
            raise RuntimeError(f"only {len(receiver.ids):,} of {expected:,} events arrived")
        cpu = server.cpu_seconds() - started_cpu
    duplicates = receiver.requests - len(receiver.ids)
    if duplicates:
        say(f"{duplicates} events were delivered more than once")
    (size,) = (await query(db, "SELECT avg(length(payload)) FROM webhook_events"))[0]
    return Delivered(receiver.rate(), expected, cpu / expected * 1e6, float(str(size)))


async def _measure(env: BenchEnv, work: Path, endpoints: int, messages: int) -> Delivered:
    label = f"{endpoints} endpoint{'s' if endpoints > 1 else ''}"
    work = work / f"endpoints-{endpoints}"  # a database of its own
    work.mkdir()
    async with fresh_database(env, work, f"{NAME}_{endpoints}") as db:
        receiver = Receiver()
        try:
            urls = await receiver.listen(endpoints)
            expected = messages * EVENTS_PER_MESSAGE * endpoints
            say(f"{label}: writing {expected:,} events of {messages:,} messages")
            await _backlog(env, db, work, urls, messages)
            say(f"{label}: delivering them")
            result = await _deliver(env, db, work, receiver, expected)
        finally:
            receiver.close()
        if endpoints == 1:
            rows = await query(db, "SELECT payload FROM webhook_events ORDER BY created_at")
            (work / "payloads.json").write_bytes(orjson.dumps([str(r[0]) for r in rows]))
    say(f"{label}: {result.rate:,.0f} deliveries/s, {result.cpu_us:,.0f} µs server CPU each")
    return result


async def _plain_client(env: BenchEnv, payloads: Path, client: str, count: int) -> float:
    """Distinct posts/s of a plain client in its own process, to a fresh receiver."""
    receiver = Receiver()
    try:
        (url,) = await receiver.listen(1)
        process = await asyncio.create_subprocess_exec(
            env.python,
            "-m",
            "bench.webhook_client",
            f"--url={url}",
            f"--payloads={payloads}",
            f"--client={client}",
            f"--concurrency={CONCURRENCY}",
        )
        arrived = await receiver.until(count, 600)
        if await process.wait() != 0 or not arrived:
            raise RuntimeError(f"the {client} reference failed")
        return receiver.rate()
    finally:
        receiver.close()


async def run(env: BenchEnv) -> list[Figure]:
    messages = env.scaled(5_000, 1_000)
    many_messages = env.scaled(400, 100)
    with env.workdir(NAME) as work:
        one = await _measure(env, work, 1, messages)
        payloads = work / "endpoints-1" / "payloads.json"
        say("reference: plain httpx, then plain aiohttp, posting the same bodies")
        plain_httpx = await _plain_client(env, payloads, "httpx", one.events)
        plain_aiohttp = await _plain_client(env, payloads, "aiohttp", one.events)
        say(f"reference: {plain_httpx:,.0f}/s plain httpx, {plain_aiohttp:,.0f}/s plain aiohttp")
        many = await _measure(env, work, MANY_ENDPOINTS, many_messages)
    note = (
        f"{one.events:,} events of {one.payload_bytes:,.0f} bytes on average, "
        f"{one.cpu_us:,.0f} µs of server CPU per delivery; reference: plain httpx"
    )
    return [
        Figure(
            NAME,
            "deliveries/s, 1 endpoint",
            one.rate,
            "/s",
            reference=plain_httpx,
            target=0.8,
            goal=Goal.RATIO_AT_LEAST,
            note=note,
        ),
        Figure(
            NAME,
            "deliveries/s, 1 endpoint (aiohttp ref.)",
            one.rate,
            "/s",
            reference=plain_aiohttp,
            note="the same figure beside plain aiohttp, the library under the server's client",
        ),
        Figure(
            NAME,
            f"deliveries/s, {MANY_ENDPOINTS} endpoints",
            many.rate,
            "/s",
            reference=one.rate,
            target=1.0,
            goal=Goal.RATIO_AT_LEAST,
            note=(
                f"{many.events:,} events to {MANY_ENDPOINTS} receivers at once, "
                f"{many.cpu_us:,.0f} µs of server CPU each; reference: the 1-endpoint figure"
            ),
        ),
    ]
