"""The database edge is typed: what ``transaction()`` and ``reader()`` yield is a
:class:`Connection` to the type checker (``assert_type`` fails ``mypy`` if it turns into
``Any`` again, which would stop every call site from being checked) and at run time."""

from __future__ import annotations

import sqlite3
from typing import assert_type

import pytest
from sqlalchemy import text

from signalpost.storage import Connection, Database, Query

_ONE = Query(text("SELECT 1"))


async def test_transaction_and_reader_yield_a_connection(db: Database) -> None:
    async with db.transaction() as conn:
        assert_type(conn, Connection)
        assert isinstance(conn, Connection)
        assert conn.dialect == db.dialect
        assert await conn.fetchval(_ONE) == 1
    async with db.reader() as conn:
        assert_type(conn, Connection)
        assert isinstance(conn, Connection)
        assert await conn.fetchval(_ONE) == 1


async def test_the_scanner_reads_committed_data_without_the_readers_cache(db: Database) -> None:
    """Exports read through ``scanner()``: the same committed data as the reader, and on
    SQLite a connection of its own with a small page cache, so a long export neither evicts
    the lookups' pages nor grows the process by the pages it reads once."""
    async with db.scanner() as conn:
        assert_type(conn, Connection)
        assert await conn.fetchval(_ONE) == 1
    if db.dialect != "sqlite":
        return
    cache = Query(text("PRAGMA cache_size"))
    async with db.reader() as reader, db.scanner() as scanner:
        assert await reader.fetchval(cache) == -65536
        assert await scanner.fetchval(cache) == -2048


async def test_ordered_bulk_writes_store_what_keyed_ones_do(db: Database) -> None:
    """``executemany_ordered`` takes each row's parameters in the statement's order, checked
    against the statement: a wrong order or a missing name is refused before anything runs."""
    create = Query(text("CREATE TABLE ordered_rows (n INTEGER, label TEXT)"))
    insert = Query(text("INSERT INTO ordered_rows (n, label) VALUES (:n, :label)"))
    rows = Query(text("SELECT n, label FROM ordered_rows ORDER BY n"))
    async with db.transaction() as conn:
        await conn.execute(create)
        await conn.executemany_ordered(insert, ("n", "label"), [(1, "a"), (2, None)])
        await conn.executemany(insert, [{"n": 3, "label": "c"}])
        await conn.executemany_ordered(insert, ("n", "label"), [])
        for wrong in (("label", "n"), ("n",)):
            with pytest.raises(ValueError, match="parameters are"):
                await conn.executemany_ordered(insert, wrong, [(4, "d")])
        assert [tuple(r) for r in await conn.fetch(rows)] == [(1, "a"), (2, None), (3, "c")]
        await conn.execute(Query(text("DROP TABLE ordered_rows")))


async def test_sqlite_checkpoints_in_the_background(db: Database) -> None:
    """A commit never copies the WAL back into the database file on the event loop (only a
    far larger WAL than a second of writes makes one do it); a checkpoint in a thread does,
    after the first commit and at most every ``CHECKPOINT_SECONDS`` after that."""
    if db.dialect != "sqlite":
        return
    from signalpost.storage.sqlite import SAFETY_CHECKPOINT_PAGES, SqliteDatabase

    assert isinstance(db, SqliteDatabase)
    async with db.transaction() as conn:
        assert await conn.fetchval(Query(text("PRAGMA wal_autocheckpoint"))) == (
            SAFETY_CHECKPOINT_PAGES
        )
        await conn.execute(Query(text("CREATE TABLE checkpointed (n INTEGER)")))
        await conn.execute(Query(text("INSERT INTO checkpointed (n) VALUES (7)")))
    await db.checkpointed()
    # The database file alone, without its WAL: the rows are there only if checkpointed.
    main_file = sqlite3.connect(f"file:{db.path}?immutable=1", uri=True)
    try:
        assert main_file.execute("SELECT n FROM checkpointed").fetchall() == [(7,)]
    finally:
        main_file.close()
    async with db.transaction() as conn:
        await conn.execute(Query(text("DROP TABLE checkpointed")))
