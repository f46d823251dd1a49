"""A lean async database layer over SQLite (stdlib ``sqlite3``) and PostgreSQL (``asyncpg``).

SQL is written as SQLAlchemy Core statements and compiled once per backend
(:class:`~signalpost.storage.statements.Query`); executing one is a dictionary lookup, a
tuple build and a driver call, with no ORM and no thread hop.  Here is what services and
repositories see of it: a :class:`Database`, its :class:`Connection` and :class:`Row`, and
the errors a write raises.  The backends are :mod:`~signalpost.storage.sqlite` (inline on
the event loop: a primary-key read costs microseconds, far less than handing it to a
thread) and :mod:`~signalpost.storage.postgres` (a connection pool);
:func:`~signalpost.storage.backends.open_database` picks one by URL.

The edge (an HTTP handler or a task) owns the transaction: it opens
``db.transaction()``, passes the connection to services and repositories, and the block
commits on success or rolls back on error.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from sqlalchemy import text

from signalpost.storage.statements import Params, Query, ordered_names

__all__ = ["Connection", "Database", "IntegrityViolation", "Row", "UniqueViolation", "ping"]


class IntegrityViolation(Exception):
    """A constraint of the schema refused the write."""


class UniqueViolation(IntegrityViolation):
    """A unique key is already taken."""


class Row(Protocol):
    """A result row: both ``sqlite3.Row`` and ``asyncpg.Record`` index by name and position."""

    def __getitem__(self, key: str | int | slice, /) -> Any: ...

    def keys(self) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


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

    async def executemany_ordered(
        self, query: Query, names: tuple[str, ...], rows: Iterable[Sequence[Any]]
    ) -> None:
        """:meth:`executemany` with each row's parameters given in the statement's own
        order, ``names`` (checked against it): for the bulk writes of the hot paths, whose
        repositories hold a value's fields in that order, so no mapping is made per row."""
        expected = ordered_names(query, self.dialect, names)
        await self.executemany(query, (dict(zip(expected, r, strict=True)) for r in rows))

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


_PING = Query(text("SELECT 1"))


async def ping(db: Database) -> None:
    """Raise if the database cannot answer a trivial query."""
    async with db.reader() as conn:
        await conn.fetchval(_PING)
