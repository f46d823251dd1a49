"""A lean async database layer over SQLite (stdlib ``sqlite3``) and PostgreSQL (``asyncpg``).

SQL is written as SQLAlchemy Core statements and compiled once per backend (:class:`Query`);
executing one is a dictionary lookup, a tuple build and a driver call, with no ORM and no
thread hop.  SQLite runs inline on the event loop: a primary-key read costs microseconds,
far less than handing it to a thread; bulk writes go in slices of :data:`SLICE_ROWS` with
the loop free between them, and a large transaction commits in a thread, so a large send
never holds other requests for long.  Writes on SQLite are serialised by one lock per
process and ``BEGIN IMMEDIATE`` across processes; PostgreSQL uses a connection pool.

The edge (an HTTP handler or a task) owns the transaction: it opens
``db.transaction()``, passes the connection to services and repositories, and the block
commits on success or rolls back on error.
"""

from __future__ import annotations

import asyncio
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import cache
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol, cast

import orjson
from sqlalchemy import any_, bindparam, func, literal_column, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ClauseElement, ColumnElement, Select
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = [
    "Connection",
    "Database",
    "IntegrityViolation",
    "Query",
    "Row",
    "UniqueViolation",
    "in_list",
    "open_database",
    "ping",
]


class _SqliteCompiler(sqlite.base.SQLiteCompiler):
    """Renders a table hint (``with_hint(table, "INDEXED BY ix", "sqlite")``) after the
    table's name, which SQLAlchemy's SQLite compiler leaves out."""

    def get_from_hint_text(self, table: Any, text: str | None) -> str | None:
        return text


def _sqlite_dialect() -> Dialect:
    dialect = sqlite.dialect()
    dialect.statement_compiler = _SqliteCompiler
    return dialect


_DIALECTS: dict[str, Dialect] = {
    "sqlite": _sqlite_dialect(),
    "postgresql": postgresql.asyncpg.dialect(),  # type: ignore[no-untyped-call]
}


class IntegrityViolation(Exception):
    """A constraint of the schema refused the write."""


class UniqueViolation(IntegrityViolation):
    """A unique key is already taken."""


class Row(Protocol):
    """A result row: both ``sqlite3.Row`` and ``asyncpg.Record`` index by name and position."""

    def __getitem__(self, key: str | int | slice, /) -> Any: ...

    def keys(self) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


Params = Mapping[str, Any]
StatementFactory = Callable[[str], ClauseElement]


class Query:
    """A statement compiled lazily, once per backend, into SQL text and a parameter order.

    ``Query(stmt)`` for a fixed statement, ``Query(lambda dialect: stmt)`` where the statement
    differs by backend (``dialect`` is ``"sqlite"`` or ``"postgresql"``).
    """

    __slots__ = ("_cache", "_factory")

    def __init__(self, statement: ClauseElement | StatementFactory) -> None:
        if isinstance(statement, ClauseElement):
            fixed = statement
            self._factory: StatementFactory = lambda _dialect: fixed
        else:
            self._factory = statement
        self._cache: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {}

    def compiled(self, dialect: str) -> tuple[str, tuple[str, ...], dict[str, Any]]:
        """SQL text, parameter names in positional order, and literal defaults."""
        hit = self._cache.get(dialect)
        if hit is None:
            statement = self._factory(dialect)
            compiled = cast(
                SQLCompiler,
                statement.compile(
                    dialect=_DIALECTS[dialect], compile_kwargs={"render_postcompile": True}
                ),
            )
            names = tuple(compiled.positiontup or ())
            binds = compiled.binds
            literal = compiled.params
            defaults = {n: literal[n] for n in names if n not in binds or not binds[n].required}
            hit = (str(compiled), names, defaults)
            self._cache[dialect] = hit
        return hit


def _bind(query: Query, dialect: str, params: Params | None) -> tuple[str, tuple[Any, ...]]:
    sql, names, defaults = query.compiled(dialect)
    if not names:
        return sql, ()
    if defaults:
        merged = dict(defaults)
        if params:
            merged.update(params)
        params = merged
    assert params is not None, "query needs parameters"
    if len(names) == 1:
        return sql, (params[names[0]],)
    return sql, _getter(names)(params)


@cache
def _row_getter(names: tuple[str, ...]) -> Callable[[Params], tuple[Any, ...]]:
    """Picks a row's parameters in positional order, always as a tuple."""
    if len(names) == 1:
        name = names[0]
        return lambda row: (row[name],)
    return _getter(names)


@cache
def _getter(names: tuple[str, ...]) -> Callable[[Params], tuple[Any, ...]]:
    """Picks parameters out of a mapping in positional order (two or more names)."""
    return cast(Callable[[Params], tuple[Any, ...]], itemgetter(*names))


class Connection(ABC):
    """One connection, inside or outside a transaction.

    The type every service and repository receives from ``transaction()`` and ``reader()``;
    each backend subclasses it, so how a driver runs a statement (inline, in a thread)
    stays behind these four methods.
    """

    dialect: str

    @abstractmethod
    async def fetch(self, query: Query, params: Params | None = None) -> list[Row]: ...

    @abstractmethod
    async def fetchrow(self, query: Query, params: Params | None = None) -> Row | None: ...

    @abstractmethod
    async def execute(self, query: Query, params: Params | None = None) -> int:
        """Run a statement; returns the number of rows it changed."""

    @abstractmethod
    async def executemany(self, query: Query, rows: Iterable[Params]) -> None: ...

    async def fetchval(self, query: Query, params: Params | None = None) -> Any:
        row = await self.fetchrow(query, params)
        return None if row is None else row[0]


class Database(ABC):
    """A pool of connections to one database."""

    dialect: str

    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """``async with db.transaction() as conn``: commit on success, roll back on error."""

    @abstractmethod
    def reader(self) -> AbstractAsyncContextManager[Connection]:
        """``async with db.reader() as conn``: a connection for reads of committed data."""

    def scanner(self) -> AbstractAsyncContextManager[Connection]:
        """``async with db.scanner() as conn``: a reader for long sequential reads (exports),
        which must not push the pages that lookups keep hot out of the reader's cache, nor
        grow the process's memory with pages read once."""
        return self.reader()


# --------------------------------------------------------------------------- SQLite


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
        sql, args = _bind(query, "sqlite", params)
        try:
            return self._conn.execute(sql, _sqlite_params(args)).fetchall()
        except sqlite3.IntegrityError as exc:
            raise _sqlite_integrity(exc) from exc

    async def fetchrow(self, query: Query, params: Params | None = None) -> Row | None:
        sql, args = _bind(query, "sqlite", params)
        try:
            row: Row | None = self._conn.execute(sql, _sqlite_params(args)).fetchone()
        except sqlite3.IntegrityError as exc:
            raise _sqlite_integrity(exc) from exc
        return row

    async def execute(self, query: Query, params: Params | None = None) -> int:
        sql, args = _bind(query, "sqlite", params)
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
        source = iter(rows)
        pick = _row_getter(names)
        first = True
        while chunk := [pick(r) for r in islice(source, SLICE_ROWS)]:
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


class SqliteDatabase(Database):
    """SQLite in WAL mode: one writer connection behind a lock, one reader connection."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._scanner: sqlite3.Connection | None = None
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
        self._reader = self._open() if self.path != ":memory:" else self._writer

    async def close(self) -> None:
        connections = (self._reader, self._writer, self._scanner)
        for conn in {id(c): c for c in connections if c}.values():
            conn.close()
        self._writer = self._reader = self._scanner = None

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


# --------------------------------------------------------------------------- PostgreSQL


class PgConnection(Connection):
    dialect = "postgresql"
    __slots__ = ("_conn",)

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetch(self, query: Query, params: Params | None = None) -> list[Row]:
        sql, args = _bind(query, "postgresql", params)
        try:
            rows: list[Row] = await self._conn.fetch(sql, *args)
        except Exception as exc:
            raise _pg_error(exc) from exc
        return rows

    async def fetchrow(self, query: Query, params: Params | None = None) -> Row | None:
        sql, args = _bind(query, "postgresql", params)
        try:
            row: Row | None = await self._conn.fetchrow(sql, *args)
        except Exception as exc:
            raise _pg_error(exc) from exc
        return row

    async def execute(self, query: Query, params: Params | None = None) -> int:
        sql, args = _bind(query, "postgresql", params)
        try:
            status: str = await self._conn.execute(sql, *args)
        except Exception as exc:
            raise _pg_error(exc) from exc
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def executemany(self, query: Query, rows: Iterable[Params]) -> None:
        sql, names, defaults = query.compiled("postgresql")
        if defaults:
            rows = ({**defaults, **r} for r in rows)
        args = [tuple(r[n] for n in names) for r in rows]
        if not args:
            return
        try:
            await self._conn.executemany(sql, args)
        except Exception as exc:
            raise _pg_error(exc) from exc


def _pg_error(exc: Exception) -> Exception:
    import asyncpg

    if isinstance(exc, asyncpg.UniqueViolationError):
        return UniqueViolation(str(exc))
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return IntegrityViolation(str(exc))
    return exc


class PgDatabase(Database):
    """PostgreSQL through an ``asyncpg`` pool (prepared statements cached per connection)."""

    dialect = "postgresql"

    def __init__(self, dsn: str, *, schema: str | None = None, pool_size: int = 10) -> None:
        self.dsn = dsn
        self.schema = schema
        self.pool_size = pool_size
        self._pool: Any = None

    async def connect(self) -> None:
        import asyncpg

        settings = {"search_path": self.schema} if self.schema else {}
        self._pool = await asyncpg.create_pool(
            self.dsn,
            min_size=1,
            max_size=self.pool_size,
            server_settings=settings,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield PgConnection(conn)

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Connection]:
        async with self._pool.acquire() as conn:
            yield PgConnection(conn)

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[Connection]:
        """A connection outside any transaction: each statement commits as it runs (one
        round trip for a write that needs no transaction of its own)."""
        async with self._pool.acquire() as conn:
            yield PgConnection(conn)


def sqlite_path(url: str) -> str:
    """The file path of a ``sqlite:///path`` URL (``sqlite://`` alone means memory)."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return ":memory:"


def pg_dsn(url: str) -> str:
    """A libpq DSN from any ``postgresql[+driver]://`` URL."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


def open_database(url: str, *, schema: str | None = None, pool_size: int = 10) -> Database:
    """A :class:`Database` for a URL; call ``await db.connect()`` before use."""
    if url.startswith("sqlite"):
        return SqliteDatabase(sqlite_path(url) or ":memory:")
    if url.startswith("postgres"):
        return PgDatabase(pg_dsn(url), schema=schema, pool_size=pool_size)
    raise ValueError(f"unsupported database URL: {url.split(':', 1)[0]}")


def in_list(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column IN (<list parameter name>)`` as one cacheable statement on both backends.

    PostgreSQL receives an array (``= ANY($n)``); SQLite receives the list as JSON text and
    reads it with ``json_each``, so a statement's text never depends on the list's length.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    values: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam(name))
    )
    return column.in_(values.scalar_subquery())


_PING = Query(text("SELECT 1"))


async def ping(db: Database) -> None:
    """Raise if the database cannot answer a trivial query."""
    async with db.reader() as conn:
        await conn.fetchval(_PING)
