"""Exports: 1,000,000 activities streamed as CSV, with the server's memory watched.

The database gets 250,000 messages with four activities each, written straight through
the repositories (no dispatch: only the export is measured).  One client then downloads
``GET /v1/activities/export`` and discards it while the server's resident memory is
sampled every 100 ms from ``/proc``.  Reported: rows/s, the server's RSS before the
export, its peak during it (``VmHWM``, the kernel's own high-water mark), and how much
the RSS grew between the first tenth of the rows and the end: flat memory means that
growth stays near zero however many rows follow.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import NamedTuple

import httpx

from bench.database import DbTarget, fresh_database
from bench.harness import BenchEnv, Figure, Goal, say
from bench.servers import create_org, signalpost_server
from signalpost.activities import repository as activities_repo
from signalpost.activities.schemas import Activity
from signalpost.messages import repository as messages_repo
from signalpost.messages.schemas import Message
from signalpost.storage import open_database
from signalpost.timeutil import new_id

__all__ = ["NAME", "run"]

NAME = "exports"
FULL = 1_000_000
PER_MESSAGE = 4
CHUNK = 5_000
_STEPS = ("accepted", "queued", "sent", "delivered")


class _Stored(NamedTuple):
    activity: Activity
    message: Message


def _rows(org_id: str, count: int, now: int) -> tuple[list[Message], list[_Stored]]:
    messages: list[Message] = []
    acts: list[_Stored] = []
    for i in range(count):
        mid = new_id()
        created = now - i * 1_000
        message = Message(
            id=mid, organization_id=org_id, tenant_id=org_id, batch_id=mid,
            message_key=None, channel="sms", to_number=f"+1415{i % 10_000_000:07d}",
            from_number=None, region_code="US", body="Your code is 123456",
            template_id=None, template_name=None, encoding="GSM-7", segments=1,
            price_micros=7_500, currency="USD", status="delivered",
            reason_code=None, reason=None, carrier="simulator",
            carrier_message_id=mid, dialect="native", metadata=None,
            scheduled_at=None, expires_at=created + 86_400_000_000,
            created_at=created, updated_at=created + 900_000, sent_at=created,
            delivered_at=created + 900_000, attempts=1, revision=3,
            test=False, request_id=None,
        )  # fmt: skip
        messages.append(message)
        for step, status in enumerate(_STEPS):
            activity = Activity(
                0, mid, status, f"Message {status}", None, None, None,
                7_500 if step == 1 else None, created + step * 300_000,
            )  # fmt: skip
            acts.append(_Stored(activity, message))
    return messages, acts


async def _fill(db: DbTarget, org_id: str, activities: int) -> None:
    database = open_database(db.url, schema=db.schema, pool_size=2)
    await database.connect()
    now = time.time_ns() // 1000
    try:
        total = activities // PER_MESSAGE
        for done in range(0, total, CHUNK):
            messages, acts = _rows(org_id, min(CHUNK, total - done), now - done * 1_000)
            async with database.transaction() as conn:
                await messages_repo.insert_many(conn, messages)
                await activities_repo.insert_many(conn, acts)
            if done % (20 * CHUNK) == 0:
                say(f"[{NAME}] stored {(done + CHUNK) * PER_MESSAGE:,} activities")
    finally:
        await database.close()


def _memory_kb(pid: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


async def _download(url: str, key: str, pid: int, expected: int) -> dict[str, float]:
    rows = 0
    samples: list[tuple[int, int]] = []  # (rows so far, RSS kB)
    before = _memory_kb(pid)["VmRSS"]
    started = time.perf_counter()
    last = 0.0
    headers = {"Authorization": f"Bearer {key}"}
    timeout = httpx.Timeout(60.0, read=600.0)
    async with (
        httpx.AsyncClient(timeout=timeout) as client,
        client.stream("GET", url + "/v1/activities/export", headers=headers) as response,
    ):
        response.raise_for_status()
        async for chunk in response.aiter_bytes():
            rows += chunk.count(b"\n")
            now = time.perf_counter()
            if now - last >= 0.1:
                samples.append((rows, _memory_kb(pid)["VmRSS"]))
                last = now
    seconds = time.perf_counter() - started
    peak = _memory_kb(pid)["VmHWM"]
    tenth = next((rss for r, rss in samples if r >= expected // 10), before)
    return {
        "rows": rows - 1,  # the header
        "seconds": seconds,
        "before_mb": before / 1024,
        "peak_mb": peak / 1024,
        "growth_mb": (max(rss for _, rss in samples) - tenth) / 1024 if samples else 0.0,
    }


async def run(env: BenchEnv) -> list[Figure]:
    activities = env.scaled(FULL, 100_000)
    with env.workdir(NAME) as workdir:
        async with fresh_database(env, workdir, NAME) as db:
            org = await create_org(env, db, "Exports")
            await _fill(db, org["id"], activities)
            async with signalpost_server(env, db, workdir, name=NAME) as server:
                await asyncio.sleep(0.5)
                got = await _download(server.url, org["api_key"], server.process.pid, activities)
    note = f"{got['rows']:,} activities as CSV in {got['seconds']:.1f} s, {env.backend}"
    if got["rows"] != activities:
        say(f"[{NAME}] exported {got['rows']:,} rows, expected {activities:,}")
    return [
        Figure(NAME, "activities exported/s", got["rows"] / got["seconds"], "/s", note=note),
        Figure(NAME, "server RSS before export", got["before_mb"], "MB"),
        Figure(NAME, "server peak RSS (VmHWM)", got["peak_mb"], "MB"),
        Figure(
            NAME,
            "RSS growth after the first tenth",
            got["growth_mb"],
            "MB",
            target=32.0,
            goal=Goal.AT_MOST,
            note="flat memory: the growth does not follow the row count",
        ),
    ]
