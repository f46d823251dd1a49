"""The backend a database URL names."""

from __future__ import annotations

from signalpost.storage.db import Database
from signalpost.storage.postgres import PgDatabase, pg_dsn
from signalpost.storage.sqlite import SqliteDatabase, sqlite_path

__all__ = ["open_database"]


def open_database(url: str, *, schema: str | None = None, pool_size: int = 10) -> Database:
    """A :class:`Database` for a URL; call ``await db.connect()`` before use."""
    if url.startswith("sqlite"):
        return SqliteDatabase(sqlite_path(url) or ":memory:")
    if url.startswith("postgres"):
        return PgDatabase(pg_dsn(url), schema=schema, pool_size=pool_size)
    raise ValueError(f"unsupported database URL: {url.split(':', 1)[0]}")
