"""Apply and inspect Alembic migrations programmatically (no ini file needed)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config

__all__ = ["alembic_config", "alembic_url", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_url(url: str) -> str:
    """The SQLAlchemy URL Alembic uses for a Signalpost database URL."""
    if url.startswith("postgres"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def alembic_config(url: str, schema: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = alembic_url(url)
    config.attributes["schema"] = schema
    return config


def upgrade(url: str, schema: str | None = None, revision: str = "head") -> None:
    """Bring the database up to ``revision``.

    Safe to call from inside a running event loop: PostgreSQL migrations run their own loop,
    so they are run on a helper thread when one is already running here.
    """
    config = alembic_config(url, schema)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(config, revision)
        return
    error: list[BaseException] = []

    def run() -> None:
        try:
            command.upgrade(config, revision)
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if error:
        raise error[0]
