"""The lease claim shared by the platform's queues, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, bindparam, insert, text

from signalpost.storage import Database, Query
from signalpost.storage.leases import lease_claim

rows = Table(
    "lease_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("due", BigInteger, nullable=False),
    Column("owner", String(20)),
)
_CREATE = Query(
    text("CREATE TABLE lease_probe (id INTEGER PRIMARY KEY, due BIGINT NOT NULL, owner TEXT)")
)
_DROP = Query(text("DROP TABLE lease_probe"))
_INSERT = Query(insert(rows))
_CLAIM = Query(
    lease_claim(rows.c.id, rows.c.due, values={"owner": bindparam("owner")}, returning=(rows.c.id,))
)


@pytest.fixture
async def probe(db: Database) -> AsyncIterator[Database]:
    async with db.transaction() as conn:
        await conn.execute(_CREATE)
        await conn.executemany(
            _INSERT,
            [{"id": i, "due": due, "owner": None} for i, due in enumerate((30, 10, 20, 90))],
        )
    try:
        yield db
    finally:
        async with db.transaction() as conn:
            await conn.execute(_DROP)


async def _claim(db: Database, now: int, limit: int, owner: str) -> list[int]:
    params = {"now": now, "limit": limit, "lease_until": now + 50, "owner": owner}
    async with db.transaction() as conn:
        return sorted(r[0] for r in await conn.fetch(_CLAIM, params))


async def test_a_claim_takes_the_earliest_due_rows_and_hides_them_until_the_lease_ends(
    probe: Database,
) -> None:
    assert await _claim(probe, now=25, limit=1, owner="a") == [1]  # due 10 before due 20
    assert await _claim(probe, now=25, limit=10, owner="b") == [2]  # row 1 is leased
    assert await _claim(probe, now=25, limit=10, owner="c") == []  # due 30 and 90 are later
    # Leases of rows 1 and 2 end at 75; rows 0 (due 30) and 1, 2 are due at 80, not row 3.
    assert await _claim(probe, now=80, limit=10, owner="d") == [0, 1, 2]
    async with probe.reader() as conn:
        owners = await conn.fetch(Query(text("SELECT id, owner, due FROM lease_probe")))
    assert {(r[0], r[1], r[2]) for r in owners} == {
        (0, "d", 130),
        (1, "d", 130),
        (2, "d", 130),
        (3, None, 90),
    }
