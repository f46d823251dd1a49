"""Messages/s through an HTTP carrier to a local upstream Signalpost, beside the upstream's
own acceptance rate measured in the same run.

Two servers, each on its own fresh database: the *provider* (a Signalpost with its
simulator) and the *first* one, whose carriers file sends SMS through the sent.dm carrier
to the provider.  Measured:

* reference: the provider accepting the same requests the carrier makes (one recipient
  per ``POST /v3/messages``, an ``Idempotency-Key`` each) over as many connections as the
  carrier's ``concurrency``, straight from the load generator;
* figure: the first server accepting a batch send of as many messages and handing each to
  the provider, from the first request until every message is ``sent`` (or later) there.

The ratio says what the carrier and the first server's dispatch cost on top of the
provider's own acceptance (both servers share the machine's cores during the figure).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import orjson

from bench.database import DbTarget, fresh_database, status_counts
from bench.harness import BenchEnv, Figure, say
from bench.loadgen import build_request, run_each
from bench.payloads import NumberPool, accepted_ids, send_requests
from bench.servers import ServerProcess, create_org, signalpost_server

__all__ = ["NAME", "run"]

NAME = "upstream"
FULL = 10_000
CONCURRENCY = 16
TIMEOUT = 300.0
HANDED_OFF = frozenset({"sent", "delivered", "read", "failed", "expired", "rejected"})


def _provider_requests(api_key: str, pool: NumberPool, count: int) -> list[bytes]:
    requests = []
    for number in pool.take(count):
        headers = {
            "x-api-key": api_key,
            "content-type": "application/json",
            "idempotency-key": str(uuid.uuid4()),
        }
        body = orjson.dumps({"to": [number], "channel": ["sms"], "text": "Your code is 123456"})
        requests.append(build_request("POST", "/v3/messages", headers, body))
    return requests


async def _provider_acceptance(up: ServerProcess, api_key: str, total: int) -> float:
    requests = _provider_requests(api_key, NumberPool(), total)
    started = time.perf_counter()
    replies = await run_each(up.host, up.port, requests, connections=CONCURRENCY)
    seconds = time.perf_counter() - started
    refused = [r for r in replies if r.status != 202]
    if refused:
        raise RuntimeError(f"the provider refused {len(refused)}: {refused[0].body[:300]!r}")
    return total / seconds


def _carriers_file(work: Path, up: ServerProcess, api_key: str) -> Path:
    path = work / "carriers.toml"
    path.write_text(
        f"""
[[providers]]
name = "provider"
kind = "sentdm"
base_url = "{up.url}"
api_key = "{api_key}"
concurrency = {CONCURRENCY}
allow_private = true

[[routes]]
prefix = ""
connections = ["provider"]
channels = ["sms"]
"""
    )
    return path


async def _until_handed_off(db: DbTarget, total: int, deadline: float) -> float | None:
    while time.perf_counter() < deadline:
        counts = await status_counts(db)
        if sum(n for s, n in counts.items() if s in HANDED_OFF) >= total:
            return time.perf_counter()
        await asyncio.sleep(0.1)
    return None


async def _through_carrier(first: ServerProcess, db: DbTarget, api_key: str, total: int) -> float:
    batches = max(1, total // 1_000)
    sends = send_requests(api_key, NumberPool(), batches=batches, batch_size=total // batches)
    started = time.perf_counter()
    replies = await run_each(first.host, first.port, sends, connections=2)
    accepted = len(accepted_ids(replies))
    done = await _until_handed_off(db, accepted, started + TIMEOUT)
    if done is None:
        return float("nan")
    return accepted / (done - started)


async def run(env: BenchEnv) -> list[Figure]:
    total = env.scaled(FULL, 2_000)
    with env.workdir(NAME) as work:
        (work / "provider").mkdir()
        async with (
            fresh_database(env, work / "provider", "provider") as up_db,
            fresh_database(env, work, NAME) as db,
        ):
            up_key = (await create_org(env, up_db, "Provider"))["api_key"]
            key = (await create_org(env, db))["api_key"]
            limits = {"SIGNALPOST_SENTDM_RATE_LIMIT": "1000000/minute"}  # the default is 200
            async with signalpost_server(
                env, up_db, work / "provider", name="provider", settings=limits
            ) as up:
                say(f"provider: {total:,} single sends over {CONCURRENCY} connections")
                reference = await _provider_acceptance(up, up_key, total)
                settings = {
                    "SIGNALPOST_CARRIER": "smpp",
                    "SIGNALPOST_SMPP_CONFIG": str(_carriers_file(work, up, up_key)),
                }
                async with signalpost_server(env, db, work, name=NAME, settings=settings) as first:
                    say(f"first: {total:,} messages through the sent.dm carrier")
                    through = await _through_carrier(first, db, key, total)
    return [
        Figure(
            NAME,
            "messages/s through the sent.dm carrier",
            through,
            "msg/s",
            reference=reference,
            note=f"reference: the provider's own acceptance of the same single sends over "
            f"{CONCURRENCY} connections; {total:,} messages, {env.backend}",
        )
    ]
