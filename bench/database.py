"""A fresh, migrated database per benchmark, and a cheap way to watch message statuses.

SQLite: a new file in the benchmark's work directory.  PostgreSQL (``--pg URL``): a new
schema per benchmark and run, dropped afterwards unless ``--keep``.  Statuses are counted
by reading the database directly (SQLite read-only, PostgreSQL one connection), which
costs the server under test nothing but the shared disk and CPU.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench.harness import BenchEnv, say

__all__ = ["DbTarget", "StatusWatch", "fresh_database", "query", "status_counts"]

FINAL_STATUSES = frozenset(
    {"delivered", "read", "failed", "expired", "rejected", "blocked", "filtered", "cancelled"}
)


@dataclass(frozen=True)
class DbTarget:
    """Where a benchmark's server keeps its data."""

    url: str
    schema: str | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.url.removeprefix("sqlite:///"))

    def env(self) -> dict[str, str]:
        """The ``SIGNALPOST_`` settings that point a process at this database."""
        env = {"SIGNALPOST_DATABASE_URL": self.url}
        if self.schema:
            env["SIGNALPOST_DATABASE_SCHEMA"] = self.schema
        return env


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without any ``SIGNALPOST_`` setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALPOST_")}
    env.update(extra)
    return env


def _migrate(env: BenchEnv, db: DbTarget) -> None:
    subprocess.run(
        [env.python, "-m", "signalpost.cli", "migrate"],
        env=clean_env(db.env()),
        check=True,
        capture_output=True,
        timeout=120,
    )


async def _drop_schema(url: str, schema: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_database(env: BenchEnv, workdir: Path, name: str) -> AsyncIterator[DbTarget]:
    """A migrated database that only this benchmark uses."""
    if env.pg_url is None:
        db = DbTarget(f"sqlite:///{(workdir / 'signalpost.db').resolve()}")
    else:
        db = DbTarget(env.pg_url, f"bench_{name}_{os.getpid()}_{int(time.time())}")
        await _drop_schema(env.pg_url, db.schema or "")
    await asyncio.to_thread(_migrate, env, db)
    try:
        yield db
    finally:
        if db.schema and env.pg_url and not env.keep:
            await _drop_schema(env.pg_url, db.schema)


def _sqlite_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT status, count(*) FROM messages GROUP BY status").fetchall()
    finally:
        conn.close()
    return {str(status): int(n) for status, n in rows}


def _sqlite_query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [tuple(row) for row in conn.execute(sql).fetchall()]
    finally:
        conn.close()


async def query(db: DbTarget, sql: str) -> list[tuple[object, ...]]:
    """Rows of one read-only statement (SQL both backends understand)."""
    if db.is_sqlite:
        return await asyncio.to_thread(_sqlite_query, db.sqlite_path, sql)
    conn = await asyncpg.connect(db.url, server_settings={"search_path": db.schema or "public"})
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


async def status_counts(db: DbTarget) -> dict[str, int]:
    """How many messages are in each status right now."""
    if db.is_sqlite:
        return _sqlite_counts(db.sqlite_path)
    conn = await asyncpg.connect(db.url, server_settings={"search_path": db.schema or "public"})
    try:
        rows = await conn.fetch("SELECT status, count(*) FROM messages GROUP BY status")
    finally:
        await conn.close()
    return {str(r[0]): int(r[1]) for r in rows}


@dataclass
class StatusWatch:
    """Polls status counts until every expected message is final, within a time limit."""

    db: DbTarget
    expected: int
    interval: float = 0.25

    async def until_final(self, deadline: float) -> tuple[dict[str, int], float | None]:
        """Counts at the end, and the ``perf_counter`` time all were final (None: timed out)."""
        last_report = 0.0
        counts: dict[str, int] = {}
        while True:
            counts = await status_counts(self.db)
            now = time.perf_counter()
            if sum(n for s, n in counts.items() if s in FINAL_STATUSES) >= self.expected:
                return counts, now
            if now >= deadline:
                return counts, None
            if now - last_report >= 5:
                say(f"waiting: {_brief(counts)}")
                last_report = now
            await asyncio.sleep(self.interval)


def _brief(counts: dict[str, int]) -> str:
    return ", ".join(f"{s} {n:,}" for s, n in sorted(counts.items())) or "no messages"
