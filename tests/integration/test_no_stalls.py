"""A large send lets other requests through while it is accepted: the event loop runs
between its slices, and status lookups read committed data meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from bench.payloads import NumberPool
from sqlalchemy import func, select, text

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.config import Settings
from signalpost.context import Context
from signalpost.messages import service as messages
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.storage import Database, Query
from signalpost.storage.sqlite import SLICE_ROWS
from signalpost.storage.tables import messages as messages_table
from tests.support.databases import DbTarget

_COUNT = Query(select(func.count()).select_from(messages_table))


@pytest.fixture
async def ctx(db_target: DbTarget) -> AsyncIterator[Context]:
    settings = Settings(database_url=db_target.url, database_schema=db_target.schema)
    context = await Context.open(settings)
    yield context
    await context.close()


class Beside:
    """Counts how often the event loop ran another task while ``work`` was running."""

    def __init__(self) -> None:
        self.turns = 0
        self.done = False

    async def watch(self) -> None:
        while not self.done:
            self.turns += 1
            await asyncio.sleep(0)

    async def around(self, work: asyncio.Future[object]) -> object:
        watcher = asyncio.create_task(self.watch())
        try:
            return await work
        finally:
            self.done = True
            await watcher


async def test_bulk_writes_leave_the_loop_free_between_slices(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL writes await the server: the loop is free meanwhile")
    create = Query(text("CREATE TABLE bulk (n INTEGER)"))
    insert = Query(text("INSERT INTO bulk (n) VALUES (:n)"))
    rows = [{"n": n} for n in range(SLICE_ROWS * 8)]

    async def write() -> object:
        async with db.transaction() as conn:
            await conn.execute(create)
            await conn.executemany(insert, rows)
        return None

    beside = Beside()
    await beside.around(asyncio.ensure_future(write()))
    assert beside.turns >= 7  # once between each two slices at least
    async with db.reader() as conn:
        assert await conn.fetchval(Query(text("SELECT count(*) FROM bulk"))) == len(rows)


async def test_lookups_are_answered_while_a_large_send_is_accepted(ctx: Context) -> None:
    async with ctx.db.transaction() as conn:
        org = await accounts.create_organization(conn, "Big sender")
    scope = Scope(org.id, None)
    pool = NumberPool()
    first = SendSpec(recipients=(RecipientSpec(pool.take(1)[0]),), text="first")
    async with ctx.db.transaction() as conn:
        known = (await messages.send(conn, ctx.send_policy, scope, first)).messages[0].id
    big = SendSpec(
        recipients=tuple(RecipientSpec(n) for n in pool.take(messages.SLICE * 4)),
        channels=("sms", "whatsapp", "rcs"),
        text="Everyone",
    )
    answered: list[int] = []
    sending = True

    async def look_up() -> None:
        while sending:
            async with ctx.db.reader() as conn:
                found = await messages.get_message(conn, scope, known)
                answered.append(await conn.fetchval(_COUNT))
            assert found.id == known
            await asyncio.sleep(0)

    async def send() -> int:
        nonlocal sending
        try:
            async with ctx.db.transaction() as conn:
                result = await messages.send(conn, ctx.send_policy, scope, big)
            return len(result.messages)
        finally:
            sending = False

    lookups = asyncio.create_task(look_up())
    created = await send()
    await lookups
    assert created == messages.SLICE * 4 * 3
    # Lookups went on throughout and saw only committed rows: the one message until the
    # send committed, then all of them; never part of a send.
    assert answered.count(1) >= 8
    assert set(answered) <= {1, 1 + created}
