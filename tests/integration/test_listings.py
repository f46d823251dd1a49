"""Listings answer exactly what a filter asks, newest first, page after page, whichever
index (and however many branches) serves it."""

from __future__ import annotations

from typing import Any

import pytest
from bench import listings_data
from sqlalchemy import select, text

from signalpost.activities import repository as activities_repo
from signalpost.activities.schemas import ActivityFilter
from signalpost.messages import repository as messages_repo
from signalpost.messages.schemas import MessageFilter
from signalpost.storage import Database, Query
from signalpost.storage.tables import activities, messages

TENANT = "list-tenant"
MESSAGES = 600
START = 1_700_000_000_000_000
DAY = 86_400_000_000
SENDER = listings_data.SENDERS[2]
MAILERSEND = ("accepted", "queued", "sent", "delivered", "failed", "rejected")

_ALL_ACTIVITIES = Query(
    select(activities, messages.c.to_number, messages.c.batch_id).join(
        messages, messages.c.id == activities.c.message_id
    )
)
_ALL_MESSAGES = Query(select(messages))


async def _fill(db: Database) -> None:
    async with db.transaction() as conn:
        for sql in listings_data.fill(db.dialect, TENANT, "list-org", MESSAGES, START):
            await conn.execute(Query(text(sql)))
        # Another tenant's rows, and one activity stamped out of id order.
        other = listings_data.fill(db.dialect, "other-tenant", "o", 1, START + 5 * DAY)
        await conn.execute(Query(text(other[1])))


def _activity_expected(rows: list[Any], flt: ActivityFilter) -> list[int]:
    def keep(r: Any) -> bool:
        return (
            r["tenant_id"] == TENANT
            and (not flt.statuses or r["status"] in flt.statuses)
            and flt.channel in (None, r["channel"])
            and flt.from_number in (None, r["from_number"])
            and flt.to_number in (None, r["to_number"])
            and flt.batch_id in (None, r["batch_id"])
            and flt.message_id in (None, r["message_id"])
            and (flt.created_from is None or r["created_at"] >= flt.created_from)
            and (flt.created_to is None or r["created_at"] < flt.created_to)
        )

    kept = sorted((r for r in rows if keep(r)), key=lambda r: (r["created_at"], r["id"]))
    return [r["id"] for r in reversed(kept)]


ACTIVITY_FILTERS = [
    ActivityFilter(),
    ActivityFilter(statuses=("expired",)),
    ActivityFilter(statuses=("failed", "rejected", "expired")),
    ActivityFilter(channel="rcs"),
    ActivityFilter(channel="whatsapp", statuses=("delivered", "failed")),
    ActivityFilter(from_number=SENDER),
    ActivityFilter(
        from_number=SENDER, channel="sms", statuses=MAILERSEND, created_from=START + 3 * DAY
    ),
    ActivityFilter(created_from=START + 2 * DAY, created_to=START + 9 * DAY),
    ActivityFilter(to_number=listings_data.Generated(TENANT, MESSAGES, START).to_number(7)),
    ActivityFilter(batch_id=listings_data.Generated(TENANT, MESSAGES, START).batch_id(60)),
    ActivityFilter(message_id=listings_data.Generated(TENANT, MESSAGES, START).message_id(3)),
]


async def test_activity_pages_follow_the_filter(db: Database) -> None:
    await _fill(db)
    async with db.reader() as conn:
        everything = await conn.fetch(_ALL_ACTIVITIES)
        for flt in ACTIVITY_FILTERS:
            expected = _activity_expected(everything, flt)
            by_cursor: list[int] = []
            cursor = None
            while True:
                page = await activities_repo.search(conn, TENANT, flt, limit=37, before=cursor)
                by_cursor += [r.activity.id for r in page]
                if len(page) < 37:
                    break
                cursor = (page[-1].activity.created_at, page[-1].activity.id)
            assert by_cursor == expected, flt
            third = await activities_repo.search(conn, TENANT, flt, limit=25, offset=50)
            assert [r.activity.id for r in third] == expected[50:75], flt


async def test_activity_tail_reads_forwards_from_an_id(db: Database) -> None:
    await _fill(db)
    flt = ActivityFilter(statuses=("failed", "expired"))
    async with db.reader() as conn:
        everything = await conn.fetch(_ALL_ACTIVITIES)
        expected = sorted(
            r["id"]
            for r in everything
            if r["tenant_id"] == TENANT and r["status"] in flt.statuses and r["id"] > 100
        )
        tail = await activities_repo.search(conn, TENANT, flt, limit=1000, after_id=100)
    assert [r.activity.id for r in tail] == expected


MESSAGE_FILTERS = [
    MessageFilter(),
    MessageFilter(statuses=("expired", "rejected")),
    MessageFilter(channel="whatsapp"),
    MessageFilter(channel="sms", statuses=("failed",)),
    MessageFilter(from_number=SENDER, created_to=START + 20 * DAY),
    MessageFilter(to_number=listings_data.Generated(TENANT, MESSAGES, START).to_number(9)),
    MessageFilter(batch_id=listings_data.Generated(TENANT, MESSAGES, START).batch_id(120)),
]


async def test_message_pages_follow_the_filter(db: Database) -> None:
    await _fill(db)
    async with db.reader() as conn:
        everything = await conn.fetch(_ALL_MESSAGES)
        for flt in MESSAGE_FILTERS:
            kept = [
                r
                for r in everything
                if (not flt.statuses or r["status"] in flt.statuses)
                and all(
                    getattr(flt, n) in (None, r[n])
                    for n in ("channel", "to_number", "from_number", "batch_id")
                )
                and (flt.created_to is None or r["created_at"] < flt.created_to)
            ]
            expected = [r["id"] for r in sorted(kept, key=lambda r: (r["created_at"], r["id"]))]
            expected.reverse()
            seen: list[str] = []
            before = None
            while True:
                page = await messages_repo.search(conn, TENANT, flt, limit=41, before=before)
                seen += [m.id for m in page]
                if len(page) < 41:
                    break
                before = (page[-1].created_at, page[-1].id)
            assert seen == expected, flt


@pytest.mark.parametrize("chunk", [7, 1000])
async def test_send_pages_walk_to_the_sends_they_show(
    db: Database, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(messages_repo, "_BATCH_WALK_CHUNK", chunk)
    await _fill(db)
    async with db.reader() as conn:
        everything = await conn.fetch(_ALL_MESSAGES)
        newest: dict[str, int] = {}
        for r in everything:
            if r["tenant_id"] == TENANT and r["channel"] == "whatsapp":
                newest[r["batch_id"]] = max(newest.get(r["batch_id"], 0), r["created_at"])
        expected = sorted(newest, key=lambda b: (newest[b], b), reverse=True)
        for offset, limit in ((0, 5), (3, 4), (0, len(expected) + 3), (len(expected) - 2, 10)):
            page = await messages_repo.batch_page(
                conn, TENANT, "whatsapp", limit=limit, offset=offset
            )
            assert page == expected[offset : offset + limit], (offset, limit)
