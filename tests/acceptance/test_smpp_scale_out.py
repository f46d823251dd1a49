"""Several worker processes on one PostgreSQL database share an SMPP connection's binds
and rate: the SMSC (a ``signalpost smsc-sim`` process) never sees more binds than
configured, nor more submit_sm per second, and a process that dies leaves its binds to
the others.  PostgreSQL only (``pg_target``): several worker processes sharing one queue
is a PostgreSQL deployment; on SQLite (one process, ``make run``) the same code runs
through the database file."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from signalpost.accounts.schemas import Scope
from signalpost.config import Settings
from signalpost.context import Context
from signalpost.messages import service as messages
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.storage import Query, open_database
from signalpost.storage.tables import carrier_holders, carrier_slots, dispatch_queue
from signalpost.storage.tables import messages as m
from tests.acceptance.test_smpp_acceptance import control, smsc_process
from tests.support.databases import DbTarget
from tests.support.processes import stop
from tests.support.server import create_org, start_process
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

RATE = 100
BINDS = 2


def carriers_file(tmp: Path, port: int, lease_seconds: float) -> Path:
    path = tmp / "carriers.toml"
    path.write_text(
        f"""
[[connections]]
name = "smsc"
host = "127.0.0.1"
port = {port}
system_id = "signalpost"
password = "secret"
binds = {BINDS}
rate = {RATE}
window = 64
bind_lease_seconds = {lease_seconds}
reconnect_min_seconds = 0.05
reconnect_max_seconds = 0.5
"""
    )
    return path


def worker_env(config: Path) -> dict[str, str]:
    return {
        "SIGNALPOST_CARRIER": "smpp",
        "SIGNALPOST_SMPP_CONFIG": str(config),
        "SIGNALPOST_WORKERS": "2",
        "SIGNALPOST_DISPATCH_BATCH_SIZE": "50",
        # A batch is never taken from a worker still sending it, however slow the machine:
        # past its lease an SMPP submit is made again (at least once), as it must be.
        "SIGNALPOST_DISPATCH_LEASE_SECONDS": "30",
        "SIGNALPOST_LOG_LEVEL": "info",
    }


@contextmanager
def worker(db: DbTarget, log: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = start_process(["worker"], db, log, env)
    try:
        yield process
    finally:
        stop(process)


def running(log: Path) -> bool:
    """The worker has started its carriers (its first bind slot claim is behind it)."""
    return log.exists() and "dispatch loops" in log.read_text()


async def _with_db(db: DbTarget, work: Any) -> Any:
    database = open_database(db.url, schema=db.schema, pool_size=2)
    await database.connect()
    try:
        async with database.transaction() as conn:
            return await work(conn)
    finally:
        await database.close()


def query(db: DbTarget, stmt: Any) -> list[Any]:
    async def fetch(conn: Any) -> list[Any]:
        return list(await conn.fetch(Query(stmt)))

    return list(asyncio.run(_with_db(db, fetch)))


def send(db: DbTarget, org_id: str, first: int, count: int) -> list[str]:
    """``count`` messages to numbers that the simulator delivers."""

    async def run() -> list[str]:
        ctx = await Context.open(Settings(database_url=db.url, database_schema=db.schema))
        try:
            numbers = [f"+1415555{1000 + i:04d}" for i in range(first, first + count)]
            spec = SendSpec(recipients=tuple(RecipientSpec(n) for n in numbers), text="scale")
            async with ctx.db.transaction() as conn:
                result = await messages.send(conn, ctx.send_policy, Scope(org_id, None), spec)
            return [c.id for c in result.messages]
        finally:
            await ctx.close()

    return asyncio.run(run())


def all_delivered(db: DbTarget, ids: list[str]) -> bool:
    wanted = set(ids)
    rows = query(db, select(m.c.id, m.c.status))
    statuses = {r[1] for r in rows if r[0] in wanted}
    assert statuses <= {"accepted", "queued", "processed", "routed", "sent", "delivered"}
    return statuses == {"delivered"} and len([r for r in rows if r[0] in wanted]) == len(ids)


async def expire_leases(conn: Any, holder: str) -> None:
    """The leases of ``holder`` (a worker that died) run out now."""
    slots = update(carrier_slots).where(carrier_slots.c.holder == holder)
    await conn.execute(Query(slots.values(lease_until=0)))
    present = update(carrier_holders).where(carrier_holders.c.holder == holder)
    await conn.execute(Query(present.values(seen_until=0)))


def holder_pid(holder: str) -> int:
    """The process id in a holder's name (``host:pid:token``)."""
    return int(holder.split(":")[-2])


def holders(db: DbTarget) -> list[str | None]:
    rows = query(db, select(carrier_slots.c.holder).order_by(carrier_slots.c.slot))
    return [r[0] for r in rows]


def test_two_workers_keep_to_the_binds_and_the_rate_together(
    pg_target: DbTarget, tmp_path: Path
) -> None:
    org = create_org(pg_target)
    total = 800
    with smsc_process(tmp_path, "--receipt-delay-ms", "50") as (port, ctl), ExitStack() as stack:
        env = worker_env(carriers_file(tmp_path, port, 3))
        logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
        for log in logs:
            stack.enter_context(worker(pg_target, log, env))
        # the binds spread: each process holds one and sends at part of the one rate
        eventually(lambda: len(set(holders(pg_target)) - {None}) == BINDS, what="one bind each")
        eventually(lambda: control(ctl, {"cmd": "stats"})["sessions"] == BINDS, what="bound")
        ids = send(pg_target, org["id"], 0, total)
        eventually(lambda: all_delivered(pg_target, ids), timeout=120, what="all delivered")
        seen = control(ctl, {"cmd": "rate", "window": 2.0})
        stats = control(ctl, {"cmd": "stats"})
    sys.stderr.write(f"the SMSC saw: {seen}\n")
    assert seen["peak_sessions"] <= BINDS, seen
    assert seen["submit_sm"] == stats["accepted"] == total, (seen, stats)
    assert stats["destinations_accepted_twice"] == 0
    # the SMSC's own clock: on average at the rate, and never much above it in any two
    # seconds (a burst of 15: sends may go 10 ms early, and arrivals jitter)
    assert (seen["submit_sm"] - 1) / seen["seconds"] <= RATE * 1.05, seen
    assert seen["peak_in_window"] <= 2 * RATE + 15, seen
    assert query(pg_target, select(func.count()).select_from(dispatch_queue))[0][0] == 0


def test_the_binds_of_a_worker_that_died_go_to_another(pg_target: DbTarget, tmp_path: Path) -> None:
    """Three workers, two binds: one worker has none and hands its messages over; when a
    worker holding a bind dies, the one without takes its bind."""
    org = create_org(pg_target)
    with smsc_process(tmp_path, "--receipt-delay-ms", "50") as (port, ctl), ExitStack() as stack:
        # a long lease: the test ends the dead worker's in the database, not by waiting
        env = worker_env(carriers_file(tmp_path, port, 30))
        workers = {
            process.pid: process
            for process in (
                stack.enter_context(worker(pg_target, tmp_path / f"worker-{n}.log", env))
                for n in range(3)
            )
        }
        eventually(lambda: len(set(holders(pg_target)) - {None}) == BINDS, what="two holders")
        eventually(lambda: control(ctl, {"cmd": "stats"})["sessions"] == BINDS, what="bound")
        before = holders(pg_target)

        ids = send(pg_target, org["id"], 0, 200)
        eventually(lambda: all_delivered(pg_target, ids), timeout=120, what="all delivered")
        assert holders(pg_target) == before  # the third worker handed its messages over

        dead = before[0]
        assert dead is not None
        stop(workers[holder_pid(dead)], signal.SIGKILL)
        asyncio.run(_with_db(pg_target, lambda conn: expire_leases(conn, dead)))
        eventually(lambda: dead not in holders(pg_target), what="the dead worker's bind taken")
        after = holders(pg_target)
        assert len(set(after)) == BINDS
        assert {holder_pid(h) for h in after if h} <= set(workers) - {holder_pid(dead)}
        eventually(lambda: control(ctl, {"cmd": "stats"})["sessions"] == BINDS, what="rebound")

        more = send(pg_target, org["id"], 200, 200)
        eventually(lambda: all_delivered(pg_target, more), timeout=120, what="all delivered")
        assert control(ctl, {"cmd": "rate"})["peak_sessions"] == BINDS
