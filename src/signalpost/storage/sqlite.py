"""SQLite through the standard library's ``sqlite3``, inline on the event loop.

In WAL mode: one writer connection behind a lock (and ``BEGIN IMMEDIATE`` across
processes), one reader and, for long reads, a scanner.  Bulk writes go in slices of
:data:`SLICE_ROWS` with the loop free between them, and a large transaction commits in a
thread, so a large send never holds other requests for long.

Checkpoints (copying the WAL's pages back into the database file) run in a thread on a
connection of their own, at most every :data:`CHECKPOINT_SECONDS` while there are writes:
not in the commit that happens to fill the WAL, on the event loop, as SQLite does by
default.  A page that many commits change in between (the newest leaves of the listing
indexes) is then copied once instead of once per thousand WAL pages.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from signalpost.storage.db import Connection, Database, IntegrityViolation, Row, UniqueViolation
from signalpost.storage.statements import Params, Query, bind_params, ordered_names, row_getter

__all__ = [
    "CACHE_KIB",
    "CHECKPOINT_SECONDS",
    "SCAN_CACHE_KIB",
    "SLICE_ROWS",
    "SqliteConnection",
    "SqliteDatabase",
    "sqlite_path",
]


def _sqlite_params(values: tuple[Any, ...]) -> tuple[Any, ...]:
    # SQLite has no arrays: list parameters travel as JSON and are read with json_each().
    for v in values:
        if isinstance(v, list | tuple):
            return tuple(
                orjson.dumps(v).decode() if isinstance(v, list | tuple) else v for v in values
            )
    return values


SLICE_ROWS = 256
"""Rows a SQLite bulk write takes in one go before it lets the event loop run (a few ms)."""


class SqliteConnection(Connection):
    dialect = "sqlite"
    __slots__ = ("_conn", "written")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.written = 0  # rows of bulk writes, to tell a large transaction's commit

    async def fetch(self, query: Query, params: Params | None = None) -> list[Row]:
        sql, args = bind_params(query, "sqlite", params)
        try:
            return self._conn.execute(sql, _sqlite_params(args)).fetchall()
        except sqlite3.IntegrityError as exc:
            raise _sqlite_integrity(exc) from exc

    async def fetchrow(self, query: Query, params: Params | None = None) -> Row | None:
        sql, args = bind_params(query, "sqlite", params)
        try:
            row: Row | None = self._conn.execute(sql, _sqlite_params(args)).fetchone()
        except sqlite3.IntegrityError as exc:
            raise _sqlite_integrity(exc) from exc
        return row

    async def execute(self, query: Query, params: Params | None = None) -> int:
        sql, args = bind_params(query, "sqlite", params)
        try:
            return self._conn.execute(sql, _sqlite_params(args)).rowcount
        except sqlite3.IntegrityError as exc:
            raise _sqlite_integrity(exc) from exc

    async def executemany(self, query: Query, rows: Iterable[Params]) -> None:
        """Insert or update many rows, :data:`SLICE_ROWS` at a time: between slices the
        event loop answers other requests (reads go on, on the reader connection)."""
        sql, names, defaults = query.compiled("sqlite")
        if defaults:
            rows = ({**defaults, **r} for r in rows)
        await self._in_slices(sql, map(row_getter(names), rows))

    async def executemany_ordered(
        self, query: Query, names: tuple[str, ...], rows: Iterable[Sequence[Any]]
    ) -> None:
        """As :meth:`executemany`, the parameters of each row given in order."""
        ordered_names(query, "sqlite", names)
        await self._in_slices(query.compiled("sqlite")[0], iter(rows))

    async def _in_slices(self, sql: str, rows: Iterator[Sequence[Any]]) -> None:
        """Run ``sql`` for each row, :data:`SLICE_ROWS` at a time, the event loop free
        between slices."""
        first = True
        while chunk := list(islice(rows, SLICE_ROWS)):
            if not first:
                await asyncio.sleep(0)
            first = False
            try:
                self._conn.executemany(sql, chunk)
            except sqlite3.IntegrityError as exc:
                raise _sqlite_integrity(exc) from exc
            self.written += len(chunk)


def _sqlite_integrity(exc: sqlite3.IntegrityError) -> IntegrityViolation:
    if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
        return UniqueViolation(str(exc))
    return IntegrityViolation(str(exc))


CACHE_KIB = 65536
"""Page cache of the SQLite writer and reader: the working set of lookups and sends."""
SCAN_CACHE_KIB = 2048
"""Page cache of the SQLite scanner: long reads touch each page once."""


CHECKPOINT_SECONDS = 1.0
"""How often, at most, a process checkpoints the WAL in the background while it writes."""
SAFETY_CHECKPOINT_PAGES = 25_000
"""The WAL size (pages of 4 KiB) at which a commit checkpoints inline all the same: only
reached when background checkpoints cannot keep up."""


class SqliteDatabase(Database):
    """SQLite in WAL mode: one writer connection behind a lock, one reader connection."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._scanner: sqlite3.Connection | None = None
        self._checkpointer: sqlite3.Connection | None = None
        self._checkpoint: asyncio.Task[None] | None = None
        self._checkpointed_at = 0.0
        self._lock = asyncio.Lock()

    def _open(self, cache_kib: int = CACHE_KIB) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
        return conn

    async def connect(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._writer = self._open()
        if self.path != ":memory:":
            self._writer.execute(f"PRAGMA wal_autocheckpoint={SAFETY_CHECKPOINT_PAGES}")
        self._reader = self._open() if self.path != ":memory:" else self._writer

    async def close(self) -> None:
        await self.checkpointed()
        connections = (self._reader, self._writer, self._scanner, self._checkpointer)
        for conn in {id(c): c for c in connections if c}.values():
            conn.close()
        self._writer = self._reader = self._scanner = self._checkpointer = None

    async def checkpointed(self) -> None:
        """Wait for the background checkpoint under way, if any."""
        if self._checkpoint is not None:
            await asyncio.shield(self._checkpoint)

    def _written(self) -> None:
        """After a commit: start a background checkpoint if none ran for a while."""
        if self._checkpoint is not None or self.path == ":memory:":
            return
        loop = asyncio.get_running_loop()
        if loop.time() - self._checkpointed_at < CHECKPOINT_SECONDS:
            return
        self._checkpointed_at = loop.time()
        self._checkpoint = loop.create_task(self._run_checkpoint())

    async def _run_checkpoint(self) -> None:
        try:
            if self._checkpointer is None:
                self._checkpointer = self._open(SCAN_CACHE_KIB)
            # PASSIVE: copies what no reader still needs, never waits for the writer.
            await asyncio.to_thread(self._checkpointer.execute, "PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            pass  # busy or locked: the next commit's checkpoint (or the safety net) catches up
        finally:
            self._checkpoint = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        conn = self._writer
        assert conn is not None, "database is not connected"
        async with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            wrapped = SqliteConnection(conn)
            try:
                yield wrapped
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            if wrapped.written > SLICE_ROWS:
                # Writing a large transaction's pages out takes long: in a thread, with the
                # writer still held by this lock and the event loop free.
                await asyncio.to_thread(conn.execute, "COMMIT")
            else:
                conn.execute("COMMIT")
        self._written()

    def reader(self) -> _Ready:
        assert self._reader is not None, "database is not connected"
        return _Ready(SqliteConnection(self._reader))

    def scanner(self) -> _Ready:
        """A third connection, opened on first use, with a page cache of
        :data:`SCAN_CACHE_KIB`: an export of millions of rows leaves the reader's cache and
        the process's memory as they were."""
        assert self._reader is not None, "database is not connected"
        if self.path == ":memory:":
            return self.reader()
        if self._scanner is None:
            self._scanner = self._open(SCAN_CACHE_KIB)
        return _Ready(SqliteConnection(self._scanner))


class _Ready:
    """``async with`` over a connection that needs no setup or teardown (SQLite reads run
    in autocommit on the reader connection): cheaper than a generator-based manager on
    the hottest path, the status lookup."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def __aenter__(self) -> Connection:
        return self._conn

    async def __aexit__(self, *exc: object) -> None:
        return None


def sqlite_path(url: str) -> str:
    """The file path of a ``sqlite:///path`` URL (``sqlite://`` alone means memory)."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return ":memory:"
