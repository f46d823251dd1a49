"""The two parking tables become one (and back) without losing a parked receipt."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from signalpost.storage import Query, open_database
from signalpost.storage.migrate import alembic_config, upgrade
from tests.support.databases import DbTarget, drop_schema, pg_required

FIELDS = "status, reason_code, reason, error_code, occurred_at, received_at"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_target(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield DbTarget(f"sqlite:///{tmp_path / 'parking.db'}")
        return
    url = pg_required()
    schema = f"sp_parking_{os.getpid()}"
    asyncio.run(drop_schema(url, schema))
    yield DbTarget(url, schema)
    asyncio.run(drop_schema(url, schema))


async def _run(target: DbTarget, *statements: str) -> list[tuple[Any, ...]]:
    db = open_database(target.url, schema=target.schema, pool_size=1)
    await db.connect()
    try:
        async with db.transaction() as conn:
            for statement in statements[:-1]:
                await conn.execute(Query(text(statement)))
            return [tuple(r) for r in await conn.fetch(Query(text(statements[-1])))]
    finally:
        await db.close()


def test_parked_receipts_survive_the_merge_and_its_undoing(fresh_target: DbTarget) -> None:
    upgrade(fresh_target.url, fresh_target.schema, "0008")
    asyncio.run(
        _run(
            fresh_target,
            f"INSERT INTO orphan_receipts (carrier, carrier_message_id, {FIELDS}) "
            "VALUES ('sim', 'c-1', 'delivered', NULL, NULL, NULL, 10, 11)",
            f"INSERT INTO smpp_parked_receipts (connection, smsc_message_id, {FIELDS}) "
            "VALUES ('smsc-a', '256', 'failed', 'DELIVERY_001', 'Undeliverable', '001', 20, 21)",
            "SELECT 1",
        )
    )
    upgrade(fresh_target.url, fresh_target.schema, "0009")
    merged = asyncio.run(
        _run(
            fresh_target,
            f"SELECT scope, carrier, carrier_message_id, {FIELDS} FROM parked_receipts "
            "ORDER BY scope",
        )
    )
    assert merged == [
        ("message", "sim", "c-1", "delivered", None, None, None, 10, 11),
        ("part", "smsc-a", "256", "failed", "DELIVERY_001", "Undeliverable", "001", 20, 21),
    ]
    command.downgrade(alembic_config(fresh_target.url, fresh_target.schema), "0008")
    orphans, parts = asyncio.run(_both(fresh_target))
    assert orphans == [("sim", "c-1", "delivered", None, None, None, 10, 11)]
    assert parts == [("smsc-a", "256", "failed", "DELIVERY_001", "Undeliverable", "001", 20, 21)]


async def _both(target: DbTarget) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    orphans = await _run(
        target, f"SELECT carrier, carrier_message_id, {FIELDS} FROM orphan_receipts"
    )
    parts = await _run(
        target, f"SELECT connection, smsc_message_id, {FIELDS} FROM smpp_parked_receipts"
    )
    return orphans, parts
