"""SmppCarrier against the SMSC simulator over TCP on loopback, with its books on both
databases: outcomes, multipart, early and duplicate receipts, throttling, drops, MO."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import func, select

from signalpost.carriers.base import CarrierEvents, Submission, SubmitOutcome, SubmitResult
from signalpost.carriers.registry import CarrierRegistry
from signalpost.carriers.smpp import SmppCarrier
from signalpost.carriers.smpp.config import ConnectionConfig, InboundOwner
from signalpost.carriers.smpp.status import ReceiptIds
from signalpost.dispatch.events import PlatformEvents
from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.messages.transitions import Recorder
from signalpost.smpp import read_short_message
from signalpost.smsc_sim import Script
from signalpost.storage import Database, Query
from signalpost.storage.tables import activities, messages, parked_receipts, smpp_parts
from tests.support.smpp import RecordingSink, connection, running_smsc, submission, wait_until


@asynccontextmanager
async def running_carrier(
    config: ConnectionConfig, db: Database, sink: CarrierEvents
) -> AsyncIterator[SmppCarrier]:
    carrier = SmppCarrier(config, db)
    await carrier.start(sink)
    try:
        await wait_until(lambda: carrier.available)
        yield carrier
    finally:
        await carrier.stop()


async def submit_until_settled(
    carrier: SmppCarrier, subs: Sequence[Submission], rounds: int = 50
) -> dict[str, SubmitResult]:
    """Submit like the dispatcher: transient answers are retried (same message, new attempt)."""
    settled: dict[str, SubmitResult] = {}
    pending = list(subs)
    for _ in range(rounds):
        results = await carrier.submit(pending)
        retry = []
        for sub, result in zip(pending, results, strict=True):
            if result.outcome == SubmitOutcome.TRANSIENT:
                retry.append(sub)
            else:
                settled[sub.message_id] = result
        if not retry:
            return settled
        pending = retry
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(pending)} submissions never settled")


async def scalar(db: Database, stmt: object) -> int:
    async with db.reader() as conn:
        value = await conn.fetchval(Query(stmt))  # type: ignore[arg-type]
    return int(value or 0)


async def test_outcomes_follow_the_destination(db: Database) -> None:
    sink = RecordingSink()
    async with running_smsc() as sim, running_carrier(connection(sim), db, sink) as carrier:
        numbers = ["+14155551234", "+14155550001", "+14155550002", "+14155550003"]
        subs = [submission(n) for n in [*numbers, "+14155550004", "+14155550005"]]
        first = await carrier.submit(subs)
        assert [r.outcome for r in first] == [SubmitOutcome.ACCEPTED] * 4 + [
            SubmitOutcome.TRANSIENT,
            SubmitOutcome.ACCEPTED,
        ]
        assert first[4].error_code == "ESME_RSYSERR"
        settled = await submit_until_settled(carrier, [subs[4]])
        assert sim.stats["ESME_RSYSERR"] == 2
        ids = [r.carrier_message_id for r in first[:4]] + [
            settled[subs[4].message_id].carrier_message_id
        ]
        await wait_until(lambda: len(sink.receipts) >= 5)
        await asyncio.sleep(0.3)  # nothing more may come: 0005 never gets a receipt
        found = sink.by_id()
        assert len(sink.receipts) == 5
        expected = [
            (Status.DELIVERED, None),
            (Status.FAILED, ReasonCode.UNDELIVERABLE),
            (Status.REJECTED, ReasonCode.REJECTED),
            (Status.EXPIRED, ReasonCode.EXPIRED),
            (Status.DELIVERED, None),
        ]
        for cid, (status, code) in zip(ids, expected, strict=True):
            assert cid is not None
            [receipt] = found[cid]
            assert receipt.status == status
            assert receipt.reason_code == (code.value if code else None)
        assert found[ids[1] or ""][0].error_code == "001"
        assert {name for name, _ in sink.receipts} == {"smsc-a"}


async def test_long_ucs2_message_with_out_of_order_part_receipts(db: Database) -> None:
    body = "Доставка заказа № 42 подтверждена, ждём вас завтра. " * 3  # 3 UCS-2 parts
    sink = RecordingSink()
    async with running_smsc(record=True) as sim, running_carrier(connection(sim), db, sink) as c:
        sim.script(
            "14155550100", Script((Status.DELIVERED, Status.FAILED, Status.DELIVERED), "reverse")
        )
        sim.script("14155550200", Script((Status.DELIVERED,) * 3, "random"))
        [failed, delivered] = await c.submit(
            [submission("+14155550100", body), submission("+14155550200", body)]
        )
        assert failed.outcome == delivered.outcome == SubmitOutcome.ACCEPTED
        parts = [r for r in sim.received if r.destination == "14155550100"]
        assert len(parts) == 3
        incoming = [read_short_message(p.short_message, p.data_coding, p.esm_class) for p in parts]
        assert {p.data_coding for p in parts} == {8}
        assert len({i.ref for i in incoming}) == 1
        assert sorted(i.number for i in incoming) == [1, 2, 3]
        assert "".join(i.text for i in sorted(incoming, key=lambda i: i.number)) == body
        assert all(p.registered_delivery == 1 for p in parts)
        await wait_until(lambda: len(sink.receipts) >= 2)
        await asyncio.sleep(0.3)
        found = sink.by_id()
        assert [r.status for r in found[failed.carrier_message_id or ""]] == [Status.FAILED]
        assert found[failed.carrier_message_id or ""][0].reason_code == ReasonCode.UNDELIVERABLE
        assert [r.status for r in found[delivered.carrier_message_id or ""]] == [Status.DELIVERED]
        await wait_until(lambda: sim.pending_deliveries == 0)
    stored = await scalar(db, select(func.count()).select_from(smpp_parts))
    distinct = await scalar(db, select(func.count(func.distinct(smpp_parts.c.smsc_message_id))))
    assert stored == distinct == 6
    failed_parts = select(func.count()).where(smpp_parts.c.status == "failed")
    assert await scalar(db, failed_parts) == 1


async def test_receipts_before_the_submit_answer_and_twice(db: Database) -> None:
    sink = RecordingSink()
    sim_options = {"early_receipts": True, "duplicate_receipts": True, "receipt_delay_ms": 0}
    async with running_smsc(**sim_options) as sim, running_carrier(connection(sim), db, sink) as c:
        subs = [
            submission(f"+1415555{n:04d}", "x" * (200 if n % 3 == 0 else 20))
            for n in range(1000, 1060)
        ]
        subs.append(submission("+14155550001", "y" * 400))
        results = await c.submit(subs)
        assert {r.outcome for r in results} == {SubmitOutcome.ACCEPTED}
        await wait_until(lambda: len(sink.by_id()) == len(subs))
        await wait_until(lambda: sim.pending_deliveries == 0)
        await c.sweep()
        await asyncio.sleep(0.2)
        found = sink.by_id()
        for sub, result in zip(subs, results, strict=True):
            expected = Status.FAILED if sub.to.endswith("0001") else Status.DELIVERED
            assert [r.status for r in found[result.carrier_message_id or ""]] == [expected]
        assert sim.stats["deliver_sm"] >= 2 * sim.stats["accepted"]
    assert await scalar(db, select(func.count()).select_from(parked_receipts)) == 0


async def test_receipts_without_tlvs_are_read_from_the_text(db: Database) -> None:
    sink = RecordingSink()
    async with (
        running_smsc(receipt_tlvs=False) as sim,
        running_carrier(connection(sim), db, sink) as c,
    ):
        [ok, bad] = await c.submit([submission("+14155551234"), submission("+14155550003")])
        await wait_until(lambda: len(sink.receipts) == 2)
        found = sink.by_id()
        assert found[ok.carrier_message_id or ""][0].status == Status.DELIVERED
        assert found[bad.carrier_message_id or ""][0].status == Status.EXPIRED
        assert found[bad.carrier_message_id or ""][0].error_code == "003"


async def test_throttling_slows_the_sender_without_failing(db: Database) -> None:
    sink = RecordingSink()
    async with (
        running_smsc(throttle_rate=400) as sim,
        running_carrier(connection(sim, throttle_retries=30), db, sink) as carrier,
    ):
        subs = [submission(f"+1415555{n:04d}") for n in range(2000, 2400)]
        started = time.monotonic()
        results = await carrier.submit(subs)
        elapsed = time.monotonic() - started
        assert {r.outcome for r in results} == {SubmitOutcome.ACCEPTED}
        assert sim.stats["ESME_RTHROTTLED"] > 0
        assert carrier.stats["throttled"] == sim.stats["ESME_RTHROTTLED"]
        assert elapsed > 0.5  # 400 messages at 400/s, less the first window's burst
        await wait_until(lambda: len(sink.receipts) == len(subs))


async def test_permanent_refusal_ends_the_message(db: Database) -> None:
    sink = RecordingSink()
    async with running_smsc() as sim, running_carrier(connection(sim), db, sink) as carrier:
        sim.script("14155550300", Script(submit_status=0x0B))
        [result] = await carrier.submit([submission("+14155550300", "z" * 300)])
        assert result.outcome == SubmitOutcome.PERMANENT
        assert (result.status, result.reason_code) == (
            Status.REJECTED,
            ReasonCode.INVALID_DESTINATION.value,
        )
        assert result.error_code == "ESME_RINVDSTADR"
        [again] = await carrier.submit([submission("+14155550300", "z" * 300, key="other")])
        assert again.outcome == SubmitOutcome.PERMANENT


async def test_a_retry_sends_only_the_missing_parts(db: Database) -> None:
    sink = RecordingSink()
    body = "Part of a long message. " * 20  # 480 GSM-7 characters: 4 parts
    async with running_smsc(record=True) as sim, running_carrier(connection(sim), db, sink) as c:
        sub = submission("+14155550004", body)  # the first two submit_sm are refused
        [first] = await c.submit([sub])
        assert first.outcome == SubmitOutcome.TRANSIENT
        assert "2 of 4 parts accepted" in (first.reason or "")
        [second] = await c.submit([sub])
        assert second.outcome == SubmitOutcome.ACCEPTED
        parts = [read_short_message(r.short_message, 0, r.esm_class) for r in sim.received]
        assert sorted(p.number for p in parts) == [1, 2, 3, 4]
        assert len({p.ref for p in parts}) == 1
        assert "".join(p.text for p in sorted(parts, key=lambda p: p.number)) == body
        [third] = await c.submit([sub])  # a crash-retry of an accepted message sends nothing
        assert third.carrier_message_id == second.carrier_message_id
        assert sim.stats["accepted"] == 4
        await wait_until(lambda: len(sink.receipts) == 1)
        assert sink.receipts[0][1].status == Status.DELIVERED


async def test_drops_mid_stream_lose_and_duplicate_nothing(db: Database) -> None:
    sink = RecordingSink()
    async with (
        running_smsc(drop_every=137, receipt_delay_ms=50) as sim,
        running_carrier(connection(sim), db, sink) as carrier,
    ):
        subs = [
            submission(f"+1415556{n:04d}", "long " * 50 if n % 10 == 0 else "short")
            for n in range(1000, 1800)
        ]
        settled = await submit_until_settled(carrier, subs)
        assert {r.outcome for r in settled.values()} == {SubmitOutcome.ACCEPTED}
        await wait_until(lambda: len(sink.by_id()) == len(subs))
        await wait_until(lambda: sim.pending_deliveries == 0)
        await carrier.sweep()
        assert sim.stats["drops"] >= 5
        assert carrier.stats["connection_lost"] > 0
        assert max(sim.accepted_by_destination.values()) <= 2  # a long message has 2 parts
        expected_parts = sum(2 if "long" in s.body else 1 for s in subs)
        assert sim.stats["accepted"] == expected_parts
        counts = Counter(r.carrier_message_id for _, r in sink.receipts)
        assert set(counts.values()) == {1}
        assert {r.status for _, r in sink.receipts} == {Status.DELIVERED}


async def test_unacknowledged_reports_are_sent_again(db: Database) -> None:
    sink = RecordingSink(fail=1)
    async with running_smsc() as sim, running_carrier(connection(sim), db, sink) as carrier:
        [result] = await carrier.submit([submission("+14155551234")])
        await wait_until(lambda: len(sink.receipts) == 1)
        assert sink.receipts[0][1].carrier_message_id == result.carrier_message_id
        await carrier.sweep()
        await carrier.sweep()
        assert len(sink.receipts) == 1


async def test_reconnects_after_a_drop_and_unbinds_on_stop(db: Database) -> None:
    sink = RecordingSink()
    async with running_smsc() as sim:
        async with running_carrier(connection(sim, binds=2), db, sink) as carrier:
            assert sim.stats["binds"] == 2
            sim.drop(0.2)
            await wait_until(lambda: not carrier.available)
            await wait_until(lambda: carrier.available and sim.stats["binds"] == 4)
            [result] = await carrier.submit([submission("+14155551234")])
            assert result.outcome == SubmitOutcome.ACCEPTED
        await wait_until(lambda: not sim.sessions)


async def test_transmitter_and_receiver_binds(db: Database) -> None:
    sink = RecordingSink()
    async with running_smsc() as sim:
        config = connection(sim, bind="transmitter+receiver")
        async with running_carrier(config, db, sink) as carrier:
            assert len(sim.sessions) == 2
            [result] = await carrier.submit([submission("+14155551234")])
            await wait_until(lambda: len(sink.receipts) == 1)
            assert sink.receipts[0][1].carrier_message_id == result.carrier_message_id


async def test_failover_to_another_connection(db: Database) -> None:
    sink = RecordingSink()
    async with running_smsc() as sim_a, running_smsc() as sim_b:
        a = SmppCarrier(connection(sim_a, "a", bind_wait_seconds=0.1), db)
        b = SmppCarrier(connection(sim_b, "b"), db)
        registry = CarrierRegistry([a, b], default="a")
        registry.add_route("", "a", fallbacks=["b"])
        await registry.start(sink)
        try:
            await wait_until(lambda: a.available and b.available)
            assert registry.route("+14155551234", "sms") is a
            sim_a.drop(30)
            await wait_until(lambda: not a.available)
            carrier = registry.route("+14155551234", "sms")
            assert carrier is b
            [result] = await carrier.submit([submission("+14155551234")])
            assert result.outcome == SubmitOutcome.ACCEPTED
            await wait_until(lambda: len(sink.receipts) == 1)
            assert sink.receipts[0][0] == "b"
        finally:
            await registry.stop()


async def test_mobile_originated_messages_are_stored_as_received(db: Database) -> None:
    owner = InboundOwner("org-mo", "profile-mo")
    async with running_smsc() as sim:
        config = connection(sim, inbound=owner)
        async with running_carrier(config, db, PlatformEvents(db, Recorder())):
            long_text = "Réponse longue du client, merci beaucoup pour tout ! " * 4
            assert sim.send_mo("+14155559876", "12345", long_text) > 1
            sim.send_mo("+14155559876", "12345", "STOP")
            received = select(func.count()).where(messages.c.status == "received")
            await wait_until(lambda: sim.pending_deliveries == 0)
            assert await scalar(db, received) == 2
    async with db.reader() as conn:
        rows = await conn.fetch(
            Query(select(messages).where(messages.c.status == "received").order_by(messages.c.body))
        )
        acts = await conn.fetch(Query(select(activities.c.status, activities.c.tenant_id)))
    assert sorted(r["body"] for r in rows) == sorted([long_text, "STOP"])
    assert {(r["from_number"], r["to_number"], r["tenant_id"]) for r in rows} == {
        ("+14155559876", "12345", "profile-mo")
    }
    assert [tuple(a) for a in acts] == [("received", "profile-mo")] * 2


async def test_mobile_originated_without_an_owner_is_refused(db: Database) -> None:
    async with running_smsc() as sim, running_carrier(connection(sim), db, RecordingSink()):
        sim.send_mo("+14155559876", "12345", "hello")
        await wait_until(lambda: sim.stats["deliver_sm_refused"] >= 1)
    assert await scalar(db, select(func.count()).select_from(messages)) == 0


async def test_receipt_texts_in_another_base_follow_the_connection_setting(db: Database) -> None:
    sink = RecordingSink()
    sim_options = {"message_ids": "hex", "receipt_text_ids": "decimal", "receipt_tlvs": False}
    async with running_smsc(**sim_options) as sim:
        config = connection(sim, receipt_id=ReceiptIds.HEX_TO_DEC)
        async with running_carrier(config, db, sink) as carrier:
            subs = [submission(f"+1415556{n:04d}") for n in range(1000, 1040)]
            subs += [submission("+14155550001", "long " * 60)]  # 2 parts, both failed
            results = await carrier.submit(subs)
            await wait_until(lambda: len(sink.receipts) == len(subs))
    found = sink.by_id()
    for sub, result in zip(subs, results, strict=True):
        expected = Status.FAILED if sub.to.endswith("0001") else Status.DELIVERED
        assert [r.status for r in found[result.carrier_message_id or ""]] == [expected]
    async with db.reader() as conn:
        keys = await conn.fetch(Query(select(smpp_parts.c.smsc_message_id)))
    # parts are keyed by the decimal form of the hexadecimal ids 1 to 2a
    assert sorted(int(k[0]) for k in keys) == list(range(1, len(subs) + 2))


async def test_two_carriers_of_one_connection_share_its_binds(db: Database) -> None:
    """As two worker processes would: two binds in all, one each once the first one gave
    up the slot beyond its share, and both for the second when the first stops."""
    sink = RecordingSink()
    async with running_smsc() as sim:
        config = connection(sim, binds=2, rate=500)
        second = SmppCarrier(config, db)
        try:
            async with running_carrier(config, db, sink) as first:
                await wait_until(lambda: len(sim.sessions) == 2)
                await second.start(sink)
                assert first.slots.held == [0, 1]
                assert second.served_elsewhere
                assert not second.available
                assert await first.slots.renew() == [0]  # its share: one of two
                await wait_until(lambda: len(sim.sessions) == 1)
                for _ in range(100):  # slot 1 is freed once its session is closed
                    if await second.slots.renew() == [1]:
                        break
                    await asyncio.sleep(0.02)
                await wait_until(lambda: second.available and len(sim.sessions) == 2)
                assert not second.served_elsewhere
                for carrier in (first, second):
                    [result] = await carrier.submit([submission("+14155551234")])
                    assert result.outcome == SubmitOutcome.ACCEPTED
            # the first one stopped and gave its binds back
            assert await second.slots.renew() == [0, 1]
            await wait_until(lambda: len(sim.sessions) == 2)
        finally:
            await second.stop()
        assert sim.peak_sessions == 2
