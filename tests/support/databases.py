"""Database targets for tests: a migrated SQLite file per test, a migrated PostgreSQL schema
per session truncated between tests."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from signalpost.storage.migrate import upgrade
from signalpost.storage.tables import metadata

__all__ = ["PG_URL", "DbTarget", "pg_required", "truncate_pg"]

PG_URL = os.environ.get("SIGNALPOST_TEST_PG_URL")


@dataclass(frozen=True)
class DbTarget:
    url: str
    schema: str | None = None

    @property
    def backend(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"

    def env(self) -> dict[str, str]:
        env = {"SIGNALPOST_DATABASE_URL": self.url}
        if self.schema:
            env["SIGNALPOST_DATABASE_SCHEMA"] = self.schema
        return env


def pg_required() -> str:
    """The PostgreSQL URL; in CI a missing one fails loudly instead of skipping."""
    if PG_URL:
        return PG_URL
    if os.environ.get("CI"):
        pytest.fail("SIGNALPOST_TEST_PG_URL is not set: PostgreSQL tests must run in CI")
    pytest.skip("PostgreSQL tests need SIGNALPOST_TEST_PG_URL")


def migrated_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def copy_sqlite(template: Path, directory: Path) -> DbTarget:
    target = directory / "signalpost.db"
    shutil.copyfile(template, target)
    return DbTarget(f"sqlite:///{target}")


async def truncate_pg(url: str, schema: str) -> None:
    tables = ", ".join(f'"{schema}"."{t.name}"' for t in metadata.sorted_tables)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY")
    finally:
        await conn.close()


async def drop_schema(url: str, schema: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()
