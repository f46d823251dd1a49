"""SQL of the rate-limit windows shared in PostgreSQL (table ``rate_limit_windows``).

One statement adds a batch of hits: each key's row gets its hits added, or, where the row
is missing or its window has ended, starts a new window of the key's period, all on the
database's clock.  Rows are taken in key order, so two processes adding overlapping
batches lock them in the same order and never deadlock.  The counts need no transaction
of their own: each statement commits as it runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, literal_column, text

from signalpost.ratelimits.counting import WindowStore
from signalpost.storage import Query
from signalpost.storage.postgres import PgDatabase
from signalpost.storage.tables import rate_limit_windows as w

__all__ = ["PgWindowStore"]

# Microseconds since the epoch at the start of the statement: one value for all its rows.
_NOW = "(CAST(extract(epoch FROM statement_timestamp()) * 1000000 AS bigint))"

_ADD = Query(
    text(
        f"""
        INSERT INTO rate_limit_windows AS w (key, hits, ends_at)
        SELECT h.key, h.hits, {_NOW} + h.period
        FROM unnest(
            CAST(:keys AS varchar[]), CAST(:hits AS bigint[]), CAST(:periods AS bigint[])
        ) AS h(key, hits, period)
        ORDER BY h.key
        ON CONFLICT (key) DO UPDATE SET
            hits = CASE WHEN w.ends_at <= {_NOW} THEN excluded.hits
                        ELSE w.hits + excluded.hits END,
            ends_at = CASE WHEN w.ends_at <= {_NOW} THEN excluded.ends_at ELSE w.ends_at END
        RETURNING w.key, w.hits, w.ends_at - {_NOW} AS ends_in
        """
    )
)
_PRUNE = Query(delete(w).where(w.c.ends_at <= literal_column(_NOW)))


class PgWindowStore(WindowStore):
    """Windows in PostgreSQL, beside the rest of the deployment's data."""

    name = "PostgreSQL"

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def add(self, hits: Sequence[tuple[str, int, int]]) -> list[tuple[int, int]]:
        params = {
            "keys": [h[0] for h in hits],
            "hits": [h[1] for h in hits],
            "periods": [h[2] for h in hits],
        }
        async with self.db.autocommit() as conn:
            rows = await conn.fetch(_ADD, params)
        by_key = {row[0]: (int(row[1]), int(row[2])) for row in rows}
        return [by_key[h[0]] for h in hits]

    async def prune(self) -> None:
        async with self.db.autocommit() as conn:
            await conn.execute(_PRUNE)
