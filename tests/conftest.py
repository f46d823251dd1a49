"""Fixtures shared by every tier. Storage tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from signalpost.storage import Database, open_database
from tests.support.databases import (
    DbTarget,
    copy_sqlite,
    drop_schema,
    migrated_sqlite_template,
    pg_required,
    truncate_pg,
)
from tests.support.server import ServerProcess, cli, running_server

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[tuple[str, str]]:
    import asyncio

    from signalpost.storage.migrate import upgrade

    url = pg_required()
    schema = f"sp_test_{os.getpid()}"
    asyncio.run(drop_schema(url, schema))
    upgrade(url, schema)
    yield url, schema
    asyncio.run(drop_schema(url, schema))


@pytest.fixture(params=BACKENDS)
def db_target(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[DbTarget]:
    if request.param == "sqlite":
        yield copy_sqlite(sqlite_template, tmp_path)
        return
    import asyncio

    url, schema = request.getfixturevalue("pg_schema")
    asyncio.run(truncate_pg(url, schema))
    yield DbTarget(url, schema)


@pytest.fixture
def pg_target(pg_schema: tuple[str, str]) -> DbTarget:
    """PostgreSQL only: for what SQLite cannot do (several processes sharing the queue)."""
    import asyncio

    url, schema = pg_schema
    asyncio.run(truncate_pg(url, schema))
    return DbTarget(url, schema)


@pytest.fixture
async def db(db_target: DbTarget) -> AsyncIterator[Database]:
    database = open_database(db_target.url, schema=db_target.schema, pool_size=4)
    await database.connect()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def server(db_target: DbTarget, tmp_path: Path) -> Iterator[ServerProcess]:
    with running_server(db_target, tmp_path) as srv:
        yield srv


@pytest.fixture
def org(db_target: DbTarget) -> dict[str, str]:
    """A new organization with its first API key, made through the CLI."""
    created: dict[str, str] = cli(db_target, "org", "create", "Acme")
    return created
