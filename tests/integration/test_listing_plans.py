"""Every listing filter seeks on the index meant for it, on both backends: no full scan.

The tables hold a few thousand generated rows (PostgreSQL's planner sees them through
ANALYZE, with sequential scans priced out; SQLite plans without statistics, as it does in
production).  The ``listings`` benchmark measures the same statements at millions of rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from bench import listings_data

from signalpost.activities import repository as activities_repo
from signalpost.activities.schemas import ActivityFilter
from signalpost.messages import repository as messages_repo
from signalpost.messages.schemas import MessageFilter
from signalpost.storage import Query
from signalpost.storage.sqlite import sqlite_path
from tests.support.databases import DbTarget

TENANT = "plan-tenant"
MESSAGES = 4_000
START = 1_700_000_000_000_000
DAY = 86_400_000_000
SENDER = listings_data.SENDERS[1]
CURSOR = (START + 10 * DAY, 10**9)

ACT_MESSAGE = "ix_activities_message_id_id"
ACT_ALL = "ix_activities_tenant_id_created_at_id"
ACT_KIND = "ix_activities_tenant_id_channel_status_created_at_id"
ACT_SENDER = "ix_activities_tenant_id_from_number_listing"
ACT_TAIL = "ix_activities_tenant_id_status_id"
MSG_ALL = "ix_messages_tenant_id_created_at_id"
MSG_KIND = "ix_messages_tenant_id_channel_status_created_at_id"
MSG_TO = "ix_messages_tenant_id_to_number_created_at_id"
MSG_FROM = "ix_messages_tenant_id_from_number_created_at_id"
MSG_BATCH = "ix_messages_batch_id_created_at_id"

NOT_SENT = ("failed", "expired", "rejected", "blocked", "filtered", "cancelled")
MAILERSEND = ("accepted", "scheduled", "queued", "sent", "delivered", "failed", "rejected")
FROM, TO = START + DAY, START + 3 * DAY

# (case, filter, tail, cursor, indexes the plan must use)
ACTIVITY_CASES: list[tuple[str, ActivityFilter, bool, bool, set[str]]] = [
    ("everything", ActivityFilter(), False, False, {ACT_ALL}),
    ("everything, next page", ActivityFilter(), False, True, {ACT_ALL}),
    ("dates", ActivityFilter(created_from=FROM, created_to=TO), False, False, {ACT_ALL}),
    ("common status", ActivityFilter(statuses=("delivered",)), False, False, {ACT_KIND}),
    ("rare status", ActivityFilter(statuses=("expired",)), False, True, {ACT_KIND}),
    ("channel", ActivityFilter(channel="whatsapp"), False, False, {ACT_KIND}),
    (
        "channel, statuses, dates",
        ActivityFilter(
            channel="sms", statuses=("failed", "expired"), created_from=FROM, created_to=TO
        ),
        False,
        False,
        {ACT_KIND},
    ),
    ("sender", ActivityFilter(from_number=SENDER), False, False, {ACT_SENDER}),
    (
        "mailersend sms-activity",
        ActivityFilter(channel="sms", from_number=SENDER, statuses=MAILERSEND, created_from=START),
        False,
        True,
        {ACT_SENDER},
    ),
    ("recipient", ActivityFilter(to_number="+14150000007"), False, False, {MSG_TO, ACT_MESSAGE}),
    (
        "send (mailersend sms-message)",
        ActivityFilter(batch_id="b", statuses=MAILERSEND, channel="sms"),
        False,
        False,
        {MSG_BATCH, ACT_MESSAGE},
    ),
    ("message", ActivityFilter(message_id="m"), False, False, {ACT_MESSAGE}),
    ("live tail", ActivityFilter(), True, False, {ACT_TAIL}),
    ("sfmc not-sent feed", ActivityFilter(statuses=NOT_SENT), True, False, {ACT_TAIL}),
    ("tail of a message", ActivityFilter(message_id="m"), True, False, {ACT_MESSAGE}),
]

MESSAGE_CASES: list[tuple[str, MessageFilter, bool, set[str]]] = [
    ("everything", MessageFilter(), False, {MSG_ALL}),
    ("dates, next page", MessageFilter(created_from=FROM, created_to=TO), True, {MSG_ALL}),
    ("common status", MessageFilter(statuses=("delivered",)), False, {MSG_KIND}),
    ("rare status", MessageFilter(statuses=("expired",)), True, {MSG_KIND}),
    ("channel", MessageFilter(channel="rcs"), False, {MSG_KIND}),
    ("channel and status", MessageFilter(channel="sms", statuses=("failed",)), False, {MSG_KIND}),
    ("recipient", MessageFilter(to_number="+14150000007"), False, {MSG_TO}),
    ("recipient on a channel", MessageFilter(to_number="+1", channel="sms"), False, {MSG_TO}),
    (
        "sender",
        MessageFilter(from_number=SENDER, created_from=FROM, created_to=TO),
        False,
        {MSG_FROM},
    ),
    ("send", MessageFilter(batch_id="b", channel="sms"), False, {MSG_BATCH}),
]


@pytest.fixture
def filled(db_target: DbTarget) -> DbTarget:
    statements = listings_data.fill(db_target.backend, TENANT, "plan-org", MESSAGES, START)
    if db_target.backend == "sqlite":
        conn = sqlite3.connect(sqlite_path(db_target.url), isolation_level=None)
        try:
            for sql in statements:
                conn.execute(sql)
        finally:
            conn.close()
    else:
        import asyncio

        asyncio.run(_pg_fill(db_target, statements))
    return db_target


async def _pg_connect(target: DbTarget) -> Any:
    return await asyncpg.connect(target.url, server_settings={"search_path": target.schema or ""})


async def _pg_fill(target: DbTarget, statements: list[str]) -> None:
    conn = await _pg_connect(target)
    try:
        for sql in statements:
            await conn.execute(sql)
        await conn.execute("ANALYZE messages")
        await conn.execute("ANALYZE activities")
    finally:
        await conn.close()


def _args(query: Query, dialect: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
    sql, names, defaults = query.compiled(dialect)
    merged = {**defaults, **params}
    return sql, [merged[n] for n in names]


def _sqlite_plan(target: DbTarget, sql: str, args: list[Any]) -> list[str]:
    conn = sqlite3.connect(sqlite_path(target.url))
    try:
        return [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql, args)]
    finally:
        conn.close()


def _sqlite_check(lines: list[str], wanted: set[str]) -> None:
    """Each read of a table is an index search (never ``SCAN table``); ``wanted`` is used."""
    for line in lines:
        words = line.split()
        if words[:1] == ["SCAN"] and words[1] in ("activities", "messages"):
            pytest.fail(f"full scan: {line}\n" + "\n".join(lines))
    used = {w for line in lines for w in line.replace("(", " ").split() if w.startswith("ix_")}
    assert wanted <= used, "\n".join(lines)


def _pg_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _pg_nodes(child)


async def _pg_plan(target: DbTarget, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    conn = await _pg_connect(target)
    try:
        # A few thousand rows fit in a handful of pages, where reading a whole table is
        # cheapest; priced out, the planner shows the index path it takes at scale.
        await conn.execute("SET enable_seqscan = off")
        raw = await conn.fetchval("EXPLAIN (FORMAT JSON) " + sql, *args)
    finally:
        await conn.close()
    return list(_pg_nodes(json.loads(raw)[0]["Plan"]))


def _pg_check(nodes: list[dict[str, Any]], wanted: set[str]) -> None:
    """No sequential scan of the big tables; every index read seeks (has an index
    condition); ``wanted`` is used."""
    shown = json.dumps(nodes, indent=1)
    for node in nodes:
        if node.get("Relation Name") not in ("activities", "messages"):
            continue
        assert node["Node Type"] != "Seq Scan", shown
        if "Index Name" in node:
            assert "Index Cond" in node, shown
    used = {n["Index Name"] for n in nodes if "Index Name" in n}
    assert wanted <= used, shown


async def _check(target: DbTarget, query: Query, params: dict[str, Any], wanted: set[str]) -> None:
    sql, args = _args(query, target.backend, params)
    if target.backend == "sqlite":
        _sqlite_check(_sqlite_plan(target, sql, args), wanted)
    else:
        _pg_check(await _pg_plan(target, sql, args), wanted)


async def test_activity_listings_seek_their_index(filled: DbTarget) -> None:
    for case, flt, tail, cursor, wanted in ACTIVITY_CASES:
        query, params = activities_repo.statement_for(
            TENANT, flt, tail=tail, cursor=CURSOR if cursor else None
        )
        params.update(limit=101, offset=0, depth=101, after_id=1)
        try:
            await _check(filled, query, params, wanted)
        except AssertionError as exc:
            raise AssertionError(f"{case}: {exc}") from exc


async def test_messages_by_ids_seek_the_primary_key(filled: DbTarget) -> None:
    """Marketing Cloud's not-sent feed reads its page's messages by id."""
    params = {"tenant": TENANT, "ids": ["a", "b"]}
    if filled.backend == "sqlite":
        sql, _names, _defaults = messages_repo._GET_MANY.compiled("sqlite")
        _sqlite_check(_sqlite_plan(filled, sql, [TENANT, '["a", "b"]']), set())
        assert "sqlite_autoindex_messages_1" in "".join(_sqlite_plan(filled, sql, [TENANT, "[]"]))
    else:
        await _check(filled, messages_repo._GET_MANY, params, {"pk_messages"})


async def test_message_listings_seek_their_index(filled: DbTarget) -> None:
    for case, flt, cursor, wanted in MESSAGE_CASES:
        before = (CURSOR[0], "z") if cursor else None
        query, params = messages_repo.search_statement(TENANT, flt, before)
        params.update(limit=51, offset=0, depth=51)
        try:
            await _check(filled, query, params, wanted)
        except AssertionError as exc:
            raise AssertionError(f"{case}: {exc}") from exc
