"""Alembic environment: runs migrations on SQLite (sync) or PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from signalpost.storage.tables import metadata

config = context.config
URL: str = config.attributes["url"]
SCHEMA: str | None = config.attributes.get("schema")


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_sqlite() -> None:
    engine = create_engine(URL, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(connection)
    engine.dispose()


async def _run_postgres() -> None:
    connect_args: dict[str, Any] = {}
    if SCHEMA:
        connect_args["server_settings"] = {"search_path": SCHEMA}
    engine = create_async_engine(URL, poolclass=pool.NullPool, connect_args=connect_args)
    async with engine.connect() as connection:
        if SCHEMA:
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
            await connection.commit()
        await connection.run_sync(_configure)
    await engine.dispose()


if URL.startswith("sqlite"):
    _run_sqlite()
else:
    asyncio.run(_run_postgres())
