"""Status lookups beside the lean reference: native ``GET /v1/messages/{id}`` and the
sent.dm dialect's ``GET /v3/messages/{id}``.

Setup: a fresh database, ``signalpost serve`` with its default workers and a 50 ms
simulator latency (only so setup is quick), an organization made with the CLI, a few
thousand messages sent in batches and waited for until delivered, so every lookup returns
a message with its whole event history (accepted to delivered).  Then the
lookups are spread over all ids, with the API key, beside the reference reading the same
rows of the same database.  The workers stay on but idle while measuring, as in any
deployment.

Target: at least 0.5 of the reference's requests/s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from bench.compare import Lookup, compare_lookups, reference_requests
from bench.database import StatusWatch, fresh_database
from bench.harness import BenchEnv, Figure, say
from bench.loadgen import build_request, run_each
from bench.payloads import NumberPool, accepted_ids, send_requests
from bench.servers import create_org, reference_server, signalpost_server

__all__ = ["NAME", "SENTDM_NAME", "run", "run_sentdm"]

NAME = "status_lookup"
SENTDM_NAME = "sentdm_lookup"
TARGET_RATIO = 0.5
SETUP_ENV = {"SIGNALPOST_SIMULATOR_LATENCY_MS": "50"}
# The dialect counts every request against a per-key limit; the limit is raised so the
# benchmark measures the lookup (counting included), not the 429 path.
SENTDM_ENV = {**SETUP_ENV, "SIGNALPOST_SENTDM_RATE_LIMIT": "100000000/minute"}

Headers = Callable[[str], Mapping[str, str]]


async def run(env: BenchEnv) -> list[Figure]:
    return await _lookup(
        env, NAME, "/v1/messages/", lambda key: {"Authorization": f"Bearer {key}"}, SETUP_ENV
    )


async def run_sentdm(env: BenchEnv) -> list[Figure]:
    return await _lookup(
        env, SENTDM_NAME, "/v3/messages/", lambda key: {"x-api-key": key}, SENTDM_ENV
    )


async def _lookup(
    env: BenchEnv, name: str, prefix: str, headers: Headers, settings: Mapping[str, str]
) -> list[Figure]:
    count = env.scaled(5_000, 2_000)
    with env.workdir(name) as work:
        async with (
            fresh_database(env, work, name) as db,
            signalpost_server(env, db, work, name=name, settings=dict(settings)) as ours,
            reference_server(env, db, work) as ref,
        ):
            org = await create_org(env, db)
            say(f"sending {count:,} messages to look up")
            sends = send_requests(org["api_key"], NumberPool(), batches=count // 1_000)
            ids = accepted_ids(await run_each(ours.host, ours.port, sends, connections=2))
            counts, done = await StatusWatch(db, len(ids)).until_final(time.perf_counter() + 120)
            if done is None:
                raise RuntimeError(f"messages were not delivered within 120 s: {counts}")
            auth = dict(headers(org["api_key"]))
            mine = [build_request("GET", f"{prefix}{i}", auth) for i in ids]
            return await compare_lookups(
                env,
                name,
                f"GET {prefix}{{id}}",
                Lookup(ours, mine),
                Lookup(ref, reference_requests(ids)),
                target=TARGET_RATIO,
            )
