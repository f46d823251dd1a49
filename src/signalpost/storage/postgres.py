"""PostgreSQL through an ``asyncpg`` pool."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from signalpost.storage.db import Connection, Database, IntegrityViolation, Row, UniqueViolation
from signalpost.storage.statements import Params, Query, bind_params, ordered_names

__all__ = ["PgConnection", "PgDatabase", "pg_dsn"]


class PgConnection(Connection):
    dialect = "postgresql"
    __slots__ = ("_conn",)

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetch(self, query: Query, params: Params | None = None) -> list[Row]:
        sql, args = bind_params(query, "postgresql", params)
        try:
            rows: list[Row] = await self._conn.fetch(sql, *args)
        except Exception as exc:
            raise _pg_error(exc) from exc
        return rows

    async def fetchrow(self, query: Query, params: Params | None = None) -> Row | None:
        sql, args = bind_params(query, "postgresql", params)
        try:
            row: Row | None = await self._conn.fetchrow(sql, *args)
        except Exception as exc:
            raise _pg_error(exc) from exc
        return row

    async def execute(self, query: Query, params: Params | None = None) -> int:
        sql, args = bind_params(query, "postgresql", params)
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

    async def executemany_ordered(
        self, query: Query, names: tuple[str, ...], rows: Iterable[Sequence[Any]]
    ) -> None:
        """As :meth:`executemany`, the parameters of each row given in order."""
        ordered_names(query, "postgresql", names)
        args = list(rows)
        if not args:
            return
        try:
            await self._conn.executemany(query.compiled("postgresql")[0], args)
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


def pg_dsn(url: str) -> str:
    """A libpq DSN from any ``postgresql[+driver]://`` URL."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url
