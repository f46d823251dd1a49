"""Native status lookup (``GET /v1/messages/{id}``) beside the lean reference.

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

from bench.compare import Lookup, compare_lookups, reference_requests
from bench.database import StatusWatch, fresh_database
from bench.harness import BenchEnv, Figure, say
from bench.loadgen import build_request, run_each
from bench.payloads import NumberPool, accepted_ids, send_requests
from bench.servers import create_org, reference_server, signalpost_server

__all__ = ["NAME", "run"]

NAME = "status_lookup"
TARGET_RATIO = 0.5
SETUP_ENV = {"SIGNALPOST_SIMULATOR_LATENCY_MS": "50"}


async def run(env: BenchEnv) -> list[Figure]:
    count = env.scaled(5_000, 2_000)
    with env.workdir(NAME) as work:
        async with (
            fresh_database(env, work, NAME) as db,
            signalpost_server(env, db, work, name=NAME, settings=SETUP_ENV) as ours,
            reference_server(env, db, work) as ref,
        ):
            org = await create_org(env, db)
            say(f"sending {count:,} messages to look up")
            sends = send_requests(org["api_key"], NumberPool(), batches=count // 1_000)
            ids = accepted_ids(await run_each(ours.host, ours.port, sends, connections=2))
            counts, done = await StatusWatch(db, len(ids)).until_final(time.perf_counter() + 120)
            if done is None:
                raise RuntimeError(f"messages were not delivered within 120 s: {counts}")
            auth = {"Authorization": f"Bearer {org['api_key']}"}
            mine = [build_request("GET", f"/v1/messages/{i}", auth) for i in ids]
            return await compare_lookups(
                env,
                NAME,
                "GET /v1/messages/{id}",
                Lookup(ours, mine),
                Lookup(ref, reference_requests(ids)),
                target=TARGET_RATIO,
            )
