"""The clock every process sharing a database agrees on."""

from __future__ import annotations

from sqlalchemy import BigInteger, func, select

from signalpost.storage.db import Connection
from signalpost.storage.statements import Query
from signalpost.timeutil import now_us

__all__ = ["clock_us"]

_CLOCK = Query(
    select(func.floor(func.extract("epoch", func.clock_timestamp()) * 1_000_000).cast(BigInteger))
)


async def clock_us(conn: Connection) -> int:
    """Now in microseconds: the PostgreSQL server's clock (processes on several machines
    read the same one), or this machine's for SQLite (one machine)."""
    if conn.dialect != "postgresql":
        return now_us()
    return int(await conn.fetchval(_CLOCK))
