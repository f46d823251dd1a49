"""Listings at scale: p50/p99 per filter over HTTP, on one tenant's millions of rows.

Setup: a database with one tenant holding ``LISTINGS_MESSAGES`` messages (default
2,000,000; 100,000 with ``--quick``) and five activities each (10 million at full size),
generated in the database by bulk SQL (:mod:`bench.listings_data`): the secondary indexes
are dropped, the rows inserted, the indexes built again.  The result is kept under
``.bench/`` (a SQLite file, or a PostgreSQL schema with ``--pg``) and reused by the next run
with the same size, generator version and schema revision.  Then ``signalpost serve
--no-workers`` answers each filter's request ``REQUESTS`` times (values varied where the
filter takes one), one request at a time, and each filter's latencies give p50 and p99.

Targets: every filter p50 <= 20 ms and p99 <= 100 ms.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from bench import listings_data as data
from bench.database import DbTarget, clean_env
from bench.harness import BenchEnv, Figure, Goal, say
from bench.loadgen import build_request, run_each
from bench.servers import signalpost_server

__all__ = ["NAME", "run"]

NAME = "listings"
REQUESTS = 200
P50_TARGET = 20.0
P99_TARGET = 100.0
DAY_US = 86_400_000_000

Request = Callable[[int], str]  # the i-th request's path and query


def _size(env: BenchEnv) -> int:
    raw = os.environ.get("LISTINGS_MESSAGES")
    return int(raw) if raw else env.scaled(2_000_000, 100_000)


def _revision() -> str:
    """A digest of the schema the rows are built for (migrations, tables, indexes)."""
    storage = Path(data.__file__).resolve().parent.parent / "src/signalpost/storage"
    digest = hashlib.sha1()
    for path in sorted((storage / "migrations/versions").glob("[0-9]*.py")):
        digest.update(path.read_bytes())
    for path in sorted((storage / "tables").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _cli(env: BenchEnv, db: DbTarget, *args: str) -> Any:
    out = subprocess.run(
        [env.python, "-m", "signalpost.cli", *args],
        env=clean_env(db.env()),
        capture_output=True,
        check=True,
        timeout=600,
    )
    return orjson.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip() else None


def _setup_tenant(env: BenchEnv, db: DbTarget) -> dict[str, Any]:
    _cli(env, db, "migrate")
    org = _cli(env, db, "org", "create", "Listings")
    number = _cli(env, db, "number", "add", "--org", org["id"], data.SENDERS[2])
    client = _cli(env, db, "oauth-client", "create", "--org", org["id"])
    return {
        "tenant_id": org["id"],
        "api_key": org["api_key"],
        "number_id": number["id"],
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
    }


def _sqlite_fill(path: Path, statements: list[str]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        for sql in statements:
            conn.execute(sql)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


async def _pg_fill(db: DbTarget, statements: list[str]) -> None:
    conn = await asyncpg.connect(db.url, server_settings={"search_path": db.schema or ""})
    try:
        await conn.execute("SET maintenance_work_mem = '256MB'")
        for sql in statements:
            await conn.execute(sql, timeout=3600)
        await conn.execute("ANALYZE messages", timeout=600)
        await conn.execute("ANALYZE activities", timeout=600)
    finally:
        await conn.close()


async def _pg_schema_exists(url: str, schema: str) -> bool:
    conn = await asyncpg.connect(url)
    try:
        found = await conn.fetchval(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 "
            "AND table_name = 'activities'",
            schema,
        )
    finally:
        await conn.close()
    return bool(found)


async def _pg_drop(url: str, schema: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def cached_database(env: BenchEnv, n: int) -> tuple[DbTarget, dict[str, Any]]:
    """The generated database for ``n`` messages, built now unless a matching one exists."""
    key = f"listings_v{data.GENERATOR_VERSION}_r{_revision()}_{n}"
    env.output.mkdir(parents=True, exist_ok=True)
    if env.pg_url is None:
        path = (env.output / f"{key}.db").resolve()
        db = DbTarget(f"sqlite:///{path}")
        sidecar = env.output / f"{key}.sqlite.json"
        if sidecar.exists() and path.exists():
            return db, orjson.loads(sidecar.read_bytes())
        for stale in env.output.glob(f"{key}.db*"):
            stale.unlink()
    else:
        db = DbTarget(env.pg_url, key)
        sidecar = env.output / f"{key}.pg.json"
        if sidecar.exists() and await _pg_schema_exists(env.pg_url, key):
            return db, orjson.loads(sidecar.read_bytes())
        await _pg_drop(env.pg_url, key)
    info = await asyncio.to_thread(_setup_tenant, env, db)
    dialect = "sqlite" if env.pg_url is None else "postgresql"
    start = (int(time.time()) - 31 * 86_400) * 1_000_000
    info.update(messages=n, start_us=start)
    statements = [
        *data.drop_indexes(dialect),
        *data.fill(dialect, info["tenant_id"], info["tenant_id"], n, start),
        *data.create_indexes(dialect),
    ]
    say(f"generating {n:,} messages and {n * data.ACTIVITIES_PER_MESSAGE:,} activities")
    began = time.perf_counter()
    if env.pg_url is None:
        await asyncio.to_thread(_sqlite_fill, db.sqlite_path, statements)
    else:
        await _pg_fill(db, statements)
    info["generated_in_s"] = round(time.perf_counter() - began, 1)
    say(f"generated in {info['generated_in_s']} s")
    sidecar.write_bytes(orjson.dumps(info))
    return db, info


def _cursor(created_at: int) -> str:
    raw = orjson.dumps([created_at, 2**62])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def filters(info: dict[str, Any]) -> dict[str, Request]:
    """Each filter's i-th request (a path with its query string)."""
    gen = data.Generated(info["tenant_id"], info["messages"], info["start_us"])
    n = gen.messages
    start_s = gen.start_us // 1_000_000

    def spread(i: int) -> int:
        return (i * 7_919 + 13) % n

    def day(i: int) -> tuple[int, int]:
        first = gen.start_us + (i % 28) * DAY_US
        return first, first + DAY_US

    def mid(i: int) -> int:
        return gen.start_us + ((i * 104_729) % 29 + 1) * DAY_US

    sender = data.SENDERS[2]
    ms_number = info["number_id"]
    return {
        "activities: none": lambda i: "/v1/activities",
        "activities: next page (deep cursor)": lambda i: f"/v1/activities?cursor={_cursor(mid(i))}",
        "activities: status=delivered": lambda i: "/v1/activities?status=delivered",
        "activities: status=expired (rare)": lambda i: "/v1/activities?status=expired",
        "activities: rare status, deep cursor": lambda i: (
            f"/v1/activities?status=expired&cursor={_cursor(mid(i))}"
        ),
        "activities: channel=rcs": lambda i: "/v1/activities?channel=rcs",
        "activities: channel=sms&status=failed": lambda i: (
            "/v1/activities?channel=sms&status=failed"
        ),
        "activities: to": lambda i: f"/v1/activities?to={gen.to_number(spread(i))}",
        "activities: from": lambda i: f"/v1/activities?from={sender}",
        "activities: message_id": lambda i: (
            f"/v1/activities?message_id={gen.message_id(spread(i))}"
        ),
        "activities: one day": lambda i: "/v1/activities?created_after={}&created_before={}".format(
            *(t // 1_000_000 for t in day(i))
        ),
        "messages: none": lambda i: "/v1/messages",
        "messages: status=delivered": lambda i: "/v1/messages?status=delivered",
        "messages: status=expired (rare)": lambda i: "/v1/messages?status=expired",
        "messages: channel=whatsapp": lambda i: "/v1/messages?channel=whatsapp",
        "messages: to": lambda i: f"/v1/messages?to={gen.to_number(spread(i))}",
        "messages: from": lambda i: f"/v1/messages?from={sender}",
        "messages: batch_id": lambda i: f"/v1/messages?batch_id={gen.batch_id(spread(i))}",
        "messages: one day": lambda i: "/v1/messages?created_after={}&created_before={}".format(
            *(t // 1_000_000 for t in day(i))
        ),
        "mailersend sms-activity: number, failed, a week": lambda i: (
            f"/v1/sms-activity?sms_number_id={ms_number}&status[]=failed"
            f"&date_from={start_s + (i % 20) * 86_400}&date_to={start_s + (i % 20 + 7) * 86_400}"
        ),
        "mailersend sms-activity: number, page 5": lambda i: (
            f"/v1/sms-activity?sms_number_id={ms_number}&page=5&limit=100"
        ),
        "mailersend sms-activity: delivered+failed": lambda i: (
            "/v1/sms-activity?status[]=delivered&status[]=failed"
        ),
        "mailersend sms-messages (sends), page 1": lambda i: "/v1/sms-messages?limit=25",
        "mailersend sms-messages (sends), page 4": lambda i: "/v1/sms-messages?limit=25&page=4",
        "mailersend sms-messages/{id}": lambda i: (
            f"/v1/sms-messages/{uuid.UUID(gen.batch_id(spread(i))).hex}"
        ),
        "sent.dm messages/{id}/activities": lambda i: (
            f"/v3/messages/{gen.message_id(spread(i))}/activities"
        ),
        "lamah messages/{id} (details)": lambda i: f"/api/sms/messages/{gen.batch_id(spread(i))}",
        "sfmc not-sent feed": lambda i: (
            "/messaging/v1/sms/messages?type=notSent&$pageSize=50"
            f"&lastEventId={spread(i) * data.ACTIVITIES_PER_MESSAGE if i else 0}"
        ),
    }


# Every dialect's per-key limits are raised: the benchmark measures queries, not 429s.
UNLIMITED = "100000000/minute"
SETTINGS = {
    f"SIGNALPOST_{name}_RATE_LIMIT": UNLIMITED
    for name in ("SENTDM", "MAILERSEND", "MAILERSEND_ACTIVITY", "LAMAH", "SFMC_STATUS")
}


def _token(url: str, info: dict[str, Any]) -> str:
    body = {
        "grant_type": "client_credentials",
        "client_id": info["client_id"],
        "client_secret": info["client_secret"],
    }
    token: str = httpx.post(url + "/v2/token", json=body, timeout=30).json()["access_token"]
    return token


def _headers(path: str, info: dict[str, Any], sfmc_token: str) -> dict[str, str]:
    if path.startswith("/v3/"):
        return {"x-api-key": info["api_key"]}
    if path.startswith("/messaging/"):
        return {"Authorization": f"Bearer {sfmc_token}"}
    return {"Authorization": f"Bearer {info['api_key']}"}


async def run(env: BenchEnv) -> list[Figure]:
    n = _size(env)
    db, info = await cached_database(env, n)
    figures: list[Figure] = []
    with env.workdir(NAME) as work:
        async with signalpost_server(
            env, db, work, name=NAME, args=["--no-workers"], settings=SETTINGS
        ) as server:
            token = await asyncio.to_thread(_token, server.url, info)
            for label, request in filters(info).items():
                paths = [request(i) for i in range(REQUESTS)]
                raw = [build_request("GET", p, _headers(p, info, token)) for p in paths]
                await run_each(server.host, server.port, raw[:5], connections=1)
                replies = await run_each(server.host, server.port, raw, connections=1)
                bad = [r for r in replies if r.status != 200]
                latencies = sorted(r.seconds * 1000 for r in replies)
                p50 = latencies[len(latencies) // 2]
                p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
                say(f"{label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
                note = f"{n:,} messages, {n * 5:,} activities, {env.backend}"
                if bad:
                    note += f"; {len(bad)} answered {bad[0].status}: {bad[0].body[:160]!r}"
                    p50 = p99 = float("nan")
                figures.append(
                    Figure(NAME, f"{label} p50", p50, "ms", target=P50_TARGET, goal=Goal.AT_MOST)
                )
                figures.append(
                    Figure(
                        NAME,
                        f"{label} p99",
                        p99,
                        "ms",
                        target=P99_TARGET,
                        goal=Goal.AT_MOST,
                        note=note,
                    )
                )
    return figures
