"""The statistics rollup equals a direct count of the messages, late receipts included."""

from __future__ import annotations

import importlib.util
import random
from collections import Counter
from typing import Any

from sqlalchemy import delete, select, text

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.domain.lifecycle import Status
from signalpost.domain.pricing import RateCard
from signalpost.messages import service as messages
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.messages.transitions import Change, Recorder
from signalpost.stats import service as stats
from signalpost.stats.histogram import BUCKETS, bucket_of
from signalpost.stats.rollup import DAY_US, HOUR_US
from signalpost.storage import Database, Query
from signalpost.storage.migrate import MIGRATIONS
from signalpost.storage.tables import messages as m
from signalpost.storage.tables import stats_rollups as s

_MESSAGES = Query(select(m))
_ROLLUP = Query(select(s))
_COUNTRIES = ["+1415555{:04d}", "+447911{:06d}", "+4915123{:06d}", "+336123{:05d}"]
_HOUR = HOUR_US
_CLEAR = Query(delete(s))


def _migration() -> Any:
    path = next((MIGRATIONS / "versions").glob("*_stats_console.py"))
    spec = importlib.util.spec_from_file_location("stats_migration", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _recorder() -> Recorder:
    recorder = Recorder()
    recorder.observers.append(stats.record)
    return recorder


def _policy(recorder: Recorder) -> messages.SendPolicy:
    return messages.SendPolicy(
        rates=RateCard.default(),
        default_validity_seconds=7 * 86400,
        max_recipients=100,
        recorder=recorder,
    )


async def _send(db: Database, recorder: Recorder, scope: Scope, count: int, now: int) -> list[str]:
    rng = random.Random(count)
    recipients = tuple(
        RecipientSpec(rng.choice(_COUNTRIES).format(2000 + i + 100 * count)) for i in range(count)
    )
    spec = SendSpec(recipients=recipients, channels=("sms", "whatsapp"), text="Hi " * 30)
    async with db.transaction() as conn:
        result = await messages.send(conn, _policy(recorder), scope, spec, now=now)
    return [c.id for c in result.messages]


async def _apply(db: Database, recorder: Recorder, changes: list[Change]) -> None:
    async with db.transaction() as conn:
        await recorder.apply(conn, changes, strict=False)


def _direct(rows: list[Any]) -> dict[tuple[Any, ...], list[int]]:
    """What the rollup must hold, counted from the messages themselves."""
    out: dict[tuple[Any, ...], list[int]] = {}
    for r in rows:
        dimensions = {
            "channel": r["channel"],
            "country": r["region_code"] or "",
            "carrier": r["carrier"] or "",
        }
        for span, length in (("hour", HOUR_US), ("day", DAY_US)):
            start = r["created_at"] - r["created_at"] % length
            for dimension, value in dimensions.items():
                key = (r["tenant_id"], span, dimension, start, value, r["status"])
                values = out.setdefault(key, [0] * (3 + BUCKETS))
                values[0] += 1
                values[1] += r["segments"]
                values[2] += r["price_micros"]
                if r["status"] in ("delivered", "read") and r["delivered_at"] is not None:
                    values[3 + bucket_of(r["delivered_at"] - r["created_at"])] += 1
    return out


async def _assert_rollup_matches(db: Database) -> None:
    async with db.reader() as conn:
        rows = await conn.fetch(_MESSAGES)
        rollup = await conn.fetch(_ROLLUP)
    held = {
        (r["tenant_id"], r["span"], r["dimension"], r["start"], r["value"], r["status"]): [
            int(r["messages"]),
            int(r["segments"]),
            int(r["cost_micros"]),
            *(int(r[f"lat_{i:02d}"]) for i in range(BUCKETS)),
        ]
        for r in rollup
    }
    held = {k: v for k, v in held.items() if any(v)}
    assert held == _direct(rows)


async def test_rollup_follows_every_step_and_late_receipts(db: Database) -> None:
    recorder = _recorder()
    async with db.transaction() as conn:
        org = await accounts.create_organization(conn, "Acme")
        profile = await accounts.create_profile(conn, org.id, "Marketing")
    base = 1_700_000_000_000_000 - 1_700_000_000_000_000 % _HOUR
    ids = await _send(db, recorder, Scope(org.id, None), 30, base + 5 * 60_000_000)
    ids += await _send(db, recorder, Scope(org.id, profile.id), 20, base + _HOUR + 1_000)
    await _assert_rollup_matches(db)

    rng = random.Random(7)
    carriers = {mid: rng.choice(["carrier-a", "carrier-b"]) for mid in ids}
    at = base + 2 * _HOUR
    await _apply(
        db,
        recorder,
        [
            Change(mid, step, at, carrier=carriers[mid])
            for mid in ids
            for step in (Status.PROCESSED, Status.ROUTED)
        ],
    )
    await _apply(db, recorder, [Change(mid, Status.SENT, at + 1, from_carrier=True) for mid in ids])
    await _assert_rollup_matches(db)

    outcomes = [Status.DELIVERED, Status.FAILED, Status.EXPIRED, Status.REJECTED, Status.SENT]
    fate = {mid: rng.choice(outcomes) for mid in ids}
    first = [
        Change(mid, st, at + rng.randrange(1, 30_000_000), from_carrier=True)
        for mid, st in fate.items()
        if st != Status.SENT
    ]
    await _apply(db, recorder, first)
    await _assert_rollup_matches(db)

    # Late receipts: hours later, for messages still `sent`; then reads and a duplicate
    # receipt that must change nothing.
    late = [mid for mid, st in fate.items() if st == Status.SENT]
    assert late
    await _apply(
        db,
        recorder,
        [Change(mid, Status.DELIVERED, at + 5 * _HOUR, from_carrier=True) for mid in late],
    )
    delivered = [mid for mid, st in fate.items() if st == Status.DELIVERED] + late
    await _apply(
        db,
        recorder,
        [Change(mid, Status.READ, at + 6 * _HOUR, from_carrier=True) for mid in delivered[:5]]
        + [Change(delivered[-1], Status.DELIVERED, at + 7 * _HOUR, from_carrier=True)],
    )
    await _assert_rollup_matches(db)

    async with db.reader() as conn:
        rows = await conn.fetch(_MESSAGES)
        query = stats.make_query(base, base + 3 * _HOUR, "hour", "status", base)
        org_report = await stats.report(conn, Scope(org.id, None), query)
        profile_report = await stats.report(conn, Scope(org.id, profile.id), query)
        by_profile = await stats.report(
            conn, Scope(org.id, None), stats.make_query(base, base + 3 * _HOUR, "day", "profile", 0)
        )
    statuses = Counter(r["status"] for r in rows)
    assert org_report.totals.statuses == dict(statuses)
    assert org_report.totals.messages == len(rows) == 100
    assert org_report.totals.segments == sum(r["segments"] for r in rows)
    assert org_report.totals.cost_micros == sum(r["price_micros"] for r in rows)
    good = statuses["delivered"] + statuses["read"]
    settled = good + statuses["failed"] + statuses["expired"] + statuses["rejected"]
    assert org_report.totals.delivery_rate == good / settled
    histogram = [0] * BUCKETS
    for r in rows:
        if r["status"] in ("delivered", "read"):
            histogram[bucket_of(r["delivered_at"] - r["created_at"])] += 1
    assert org_report.totals.latency == histogram
    mine = Counter(r["status"] for r in rows if r["tenant_id"] == profile.id)
    assert profile_report.totals.statuses == dict(mine)
    assert {g: p.messages for _, g, p in by_profile.periods} == {org.id: 60, profile.id: 40}
    hours = {p for p, _, _ in org_report.periods}
    assert hours == {base, base + _HOUR}


async def test_other_organizations_see_nothing(db: Database) -> None:
    recorder = _recorder()
    async with db.transaction() as conn:
        acme = await accounts.create_organization(conn, "Acme")
        other = await accounts.create_organization(conn, "Other")
    now = 1_700_000_000_000_000
    await _send(db, recorder, Scope(acme.id, None), 3, now)
    query = stats.make_query(now - _HOUR, now + _HOUR, "hour", None, now)
    async with db.reader() as conn:
        theirs = await stats.report(conn, Scope(other.id, None), query)
        ours = await stats.report(conn, Scope(acme.id, None), query)
    assert theirs.totals.messages == 0
    assert theirs.periods == []
    assert ours.totals.messages == 6
    assert ours.totals.statuses == {"queued": 6}


async def test_migration_backfill_rolls_up_existing_messages(db: Database) -> None:
    """The rollup a migration builds from stored messages equals the one kept live."""
    recorder = _recorder()
    async with db.transaction() as conn:
        org = await accounts.create_organization(conn, "Acme")
    now = 1_700_000_000_000_000
    ids = await _send(db, recorder, Scope(org.id, None), 12, now)
    steps = [Status.PROCESSED, Status.ROUTED, Status.SENT]
    await _apply(db, recorder, [Change(m, st, now + 1, carrier="c") for m in ids for st in steps])
    outcomes = [Status.DELIVERED, Status.FAILED, Status.READ]
    await _apply(
        db,
        recorder,
        [
            Change(m, outcomes[i % 3], now + i * 9_000_000, from_carrier=True)
            for i, m in enumerate(ids)
        ],
    )
    async with db.transaction() as conn:
        await conn.execute(_CLEAR)
        for statement in _migration().backfill_statements():
            await conn.execute(Query(text(statement)))
    await _assert_rollup_matches(db)
