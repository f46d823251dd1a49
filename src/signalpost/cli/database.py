"""How administrative commands reach the database: they say which one, and refuse to
create a new empty one where an existing one was expected."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from signalpost.cli.output import CliError, say
from signalpost.config import Settings
from signalpost.storage import Connection, Database, open_database

__all__ = ["describe", "run_in_transaction", "sqlite_path", "with_database"]

T = TypeVar("T")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for memory databases and other backends)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if not path or path == ":memory:":
        return None
    return Path(path).expanduser().resolve()


def describe(settings: Settings) -> str:
    """The database in words: an absolute file, or a URL without its password."""
    path = sqlite_path(settings.database_url)
    if path is not None:
        return f"SQLite {path}"
    parts = urlsplit(settings.database_url)
    netloc = parts.netloc
    if "@" in netloc and ":" in netloc.split("@", 1)[0]:
        user = netloc.split("@", 1)[0].split(":", 1)[0]
        netloc = f"{user}:***@{netloc.split('@', 1)[1]}"
    schema = f" (schema {settings.database_schema})" if settings.database_schema else ""
    return urlunsplit(parts._replace(netloc=netloc)) + schema


def prepare(settings: Settings, *, create: bool = False) -> None:
    """Announce the database, refuse a missing SQLite file unless ``create``, migrate."""
    say(f"signalpost: using {describe(settings)}")
    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists() and not create:
        raise CliError(
            f"no database at {path}: run `signalpost migrate` to create one, or set "
            "SIGNALPOST_DATABASE_URL to the existing one (a relative sqlite:/// path is "
            "relative to the current directory)"
        )
    from signalpost.storage.migrate import upgrade  # Alembic: only commands that migrate

    try:
        upgrade(settings.database_url, settings.database_schema)
    except OSError as exc:
        raise CliError(f"cannot reach the database ({describe(settings)}): {exc}") from exc


async def _with(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    db = open_database(settings.database_url, schema=settings.database_schema, pool_size=2)
    await db.connect()
    try:
        return await work(db)
    finally:
        await db.close()


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` with the (existing, migrated) database."""
    prepare(settings)
    return asyncio.run(_with(settings, work))


def run_in_transaction(settings: Settings, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction of the (existing, migrated) database."""

    async def in_transaction(db: Database) -> T:
        async with db.transaction() as conn:
            return await work(conn)

    return with_database(settings, in_transaction)


Work = Callable[[Any], Awaitable[Any]]
