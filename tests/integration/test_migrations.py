"""Migrations and table definitions agree, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from signalpost.storage.migrate import alembic_url
from signalpost.storage.tables import metadata
from tests.support.databases import DbTarget


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrations_match_tables(db_target: DbTarget) -> None:
    if db_target.backend == "sqlite":
        engine = create_engine(db_target.url)
        with engine.connect() as connection:
            diff = _diff(connection)
        engine.dispose()
    else:
        args = {"server_settings": {"search_path": db_target.schema or "public"}}
        async_engine = create_async_engine(alembic_url(db_target.url), connect_args=args)
        async with async_engine.connect() as connection:
            diff = await connection.run_sync(_diff)
        await async_engine.dispose()
    assert diff == [], diff
