"""Retention: the purge removes exactly what is past each tenant's retention, on both
databases, in small batches, while sends go on."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.dispatch import repository as queue
from signalpost.domain.pricing import RateCard
from signalpost.errors import ValidationFailed
from signalpost.idempotency import repository as idempotency_repo
from signalpost.messages import service as messages
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.messages.service import SendPolicy
from signalpost.messages.transitions import Recorder
from signalpost.retention import service as retention
from signalpost.retention.schemas import RetentionPolicy
from signalpost.storage import Database, Query
from signalpost.storage.tables import activities, idempotency_keys
from signalpost.storage.tables import messages as messages_table
from signalpost.timeutil import now_us

DAY = 86_400 * 1_000_000
POLICY = SendPolicy(
    rates=RateCard.default(), default_validity_seconds=3600, max_recipients=100, recorder=Recorder()
)
_MESSAGES = Query(select(messages_table.c.id, messages_table.c.body))
_ACTIVITY_MESSAGES = Query(select(activities.c.message_id))
_KEYS = Query(select(idempotency_keys.c.key))


async def _send(
    db: Database, scope: Scope, count: int, at: int, text: str, *, queued: bool = False
) -> list[str]:
    spec = SendSpec(
        recipients=tuple(RecipientSpec(f"+1415555{1000 + i}") for i in range(count)), text=text
    )
    async with db.transaction() as conn:
        result = await messages.send(conn, POLICY, scope, spec, now=at)
        ids = [m.id for m in result.messages]
        if not queued:
            await queue.remove(conn, ids)  # handed to a carrier long ago: no work pending
    return ids


async def test_purge_removes_exactly_what_is_past_retention(db: Database) -> None:
    now = now_us()
    async with db.transaction() as conn:
        org = await accounts.create_organization(conn, "Acme")
        shop = await accounts.create_profile(conn, org.id, "Shop")
        await retention.set_policy(conn, org.id, None, {"messages_days": 30, "redact_days": 5})
        await retention.set_policy(conn, org.id, shop.id, {"messages_days": 7, "redact_days": 0})
        for i, age in enumerate((40, 2)):
            await idempotency_repo.insert_one(
                conn,
                tenant_id=org.id,
                key=f"k{i}",
                fingerprint="f",
                status_code=202,
                body="{}",
                created_at=now - age * DAY,
                expires_at=now + DAY,
            )
    org_scope = Scope(org.id, None)
    shop_scope = Scope(org.id, shop.id)
    org_old = await _send(db, org_scope, 23, now - 31 * DAY, "old")
    org_mid = await _send(db, org_scope, 5, now - 10 * DAY, "secret code 1234")
    org_new = await _send(db, org_scope, 4, now - DAY, "recent")
    shop_old = await _send(db, shop_scope, 6, now - 10 * DAY, "old")
    shop_new = await _send(db, shop_scope, 3, now - 6 * DAY, "kept")
    queued = await _send(db, org_scope, 1, now - 40 * DAY, "still queued", queued=True)

    defaults = RetentionPolicy(messages_days=0, idempotency_days=30)
    purger = retention.Purger(db, defaults, batch_size=4)

    async def keep_sending() -> list[str]:
        sent: list[str] = []
        for _ in range(10):
            sent += await _send(db, org_scope, 2, now_us(), "during the purge")
        return sent

    report, during = await asyncio.gather(purger.run(now), keep_sending())

    async with db.reader() as conn:
        bodies = {r[0]: r[1] for r in await conn.fetch(_MESSAGES)}
        with_events = {r[0] for r in await conn.fetch(_ACTIVITY_MESSAGES)}
        keys = {r[0] for r in await conn.fetch(_KEYS)}
    kept = set(org_mid + org_new + shop_new + queued + during)
    assert set(bodies) == kept
    assert with_events == kept  # the deleted messages' activities went with them
    assert report.messages == len(org_old) + len(shop_old)
    assert {bodies[i] for i in org_mid} == {"[redacted]"}
    assert {bodies[i] for i in org_new} == {"recent"}
    assert {bodies[i] for i in shop_new} == {"kept"}  # the profile's override: never redacted
    assert {bodies[i] for i in during} == {"during the purge"}
    assert keys == {"k1"}
    assert report.errors == []

    again = await purger.run(now)  # nothing left to do; the redaction resumes where it was
    assert (again.messages, again.redacted, again.idempotency_keys) == (0, 0, 0)


async def test_activities_can_go_before_their_messages(db: Database) -> None:
    now = now_us()
    async with db.transaction() as conn:
        org = await accounts.create_organization(conn, "Acme")
        await retention.set_policy(conn, org.id, None, {"activities_days": 3})
    scope = Scope(org.id, None)
    old = await _send(db, scope, 9, now - 5 * DAY, "old")
    new = await _send(db, scope, 2, now, "new")
    report = await retention.Purger(db, RetentionPolicy(), batch_size=4).run(now)
    async with db.reader() as conn:
        bodies = {r[0] for r in await conn.fetch(_MESSAGES)}
        with_events = {r[0] for r in await conn.fetch(_ACTIVITY_MESSAGES)}
    assert bodies == set(old + new)
    assert with_events == set(new)
    assert report.activities == 2 * len(old)


async def test_policies_inherit_and_validate(db: Database) -> None:
    async with db.transaction() as conn:
        org = await accounts.create_organization(conn, "Acme")
        shop = await accounts.create_profile(conn, org.id, "Shop")
        await retention.set_policy(conn, org.id, None, {"messages_days": 90, "redact_days": 30})
        await retention.set_policy(conn, org.id, shop.id, {"redact_days": 7})
        defaults = RetentionPolicy(400, 0, 0, 0)
        effective = await retention.effective_policy(conn, org.id, shop.id, defaults)
        assert effective == RetentionPolicy(90, 0, 0, 7)
        await retention.set_policy(conn, org.id, shop.id, {"redact_days": None})
        effective = await retention.effective_policy(conn, org.id, shop.id, defaults)
        assert effective.redact_days == 30
        with pytest.raises(ValidationFailed):
            await retention.set_policy(conn, org.id, None, {"messages_days": -1})
        with pytest.raises(ValidationFailed):
            await retention.set_policy(conn, org.id, None, {"bodies_days": 3})
