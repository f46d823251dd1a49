"""Counting for the dialects' rate limits: where the counts live, chosen from the settings.

- ``SIGNALPOST_REDIS_URL`` set: in Redis, shared by every process using that Redis.
- Otherwise, on PostgreSQL: in the database (table ``rate_limit_windows``), shared by every
  process of the deployment.
- Otherwise (SQLite): in memory, each process on its own.
"""

from __future__ import annotations

from signalpost.config import Settings
from signalpost.ratelimits.counting import Counter, MemoryCounter, SharedCounter, Window
from signalpost.storage import Database
from signalpost.storage.postgres import PgDatabase

__all__ = ["Counter", "MemoryCounter", "SharedCounter", "Window", "open_counter"]


def open_counter(settings: Settings, db: Database) -> Counter:
    """The counter for a process of this deployment."""
    if settings.redis_url:
        from signalpost.ratelimits.redis_store import RedisWindowStore

        return SharedCounter(RedisWindowStore(settings.redis_url))
    if isinstance(db, PgDatabase):
        from signalpost.ratelimits.repository import PgWindowStore

        return SharedCounter(PgWindowStore(db))
    return MemoryCounter()
