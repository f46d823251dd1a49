"""10,000 messages through SmppCarrier to an SMSC that numbers messages 1, 2, 3… (first in
decimal, then, after a restart of its counter, in hexadecimal), sends each receipt within
milliseconds of its submit_sm_resp (or even before it), throttles one submit_sm in 50 and
drops the connection once mid-run: every message ends with the outcome its destination
calls for, every part with its own receipt, and no submit_sm is sent twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest
from sqlalchemy import select

from signalpost.carriers.base import Submission, SubmitOutcome, SubmitResult
from signalpost.carriers.smpp import SmppCarrier
from signalpost.domain.lifecycle import Status
from signalpost.smpp import read_short_message
from signalpost.smsc_sim import SmscSimulator
from signalpost.storage import Database, Query
from signalpost.storage.tables import parked_receipts, smpp_messages, smpp_parts
from tests.support.smpp import RecordingSink, connection, running_smsc, submission, wait_until

EXPECTED = {
    "0001": Status.FAILED,
    "0002": Status.REJECTED,
    "0003": Status.EXPIRED,
    "0004": Status.DELIVERED,  # after two ESME_RSYSERR answers
}
LONG_UCS2 = "Ваш заказ № 42 доставлен, спасибо что выбрали нас! " * 3  # 3 UCS-2 parts
PER_RUN = 5_000


def expected_status(number: str) -> Status:
    return EXPECTED.get(number[-4:], Status.DELIVERED)


def submissions(run: int, count: int) -> list[Submission]:
    """Unique destinations cycling through the outcomes; one in seven is long UCS-2."""
    subs = []
    for i in range(count):
        suffix = ("0001", "0002", "0003", "0004")[i % 10] if i % 10 < 4 else f"{1000 + i % 10}"
        body = LONG_UCS2 if i % 7 == 0 else f"Code {i:05d}"
        subs.append(submission(f"+1{run}{i:05d}{suffix}", body, key=f"r{run}-m{i:05d}"))
    return subs


async def submit_like_the_dispatcher(
    carrier: SmppCarrier, subs: Sequence[Submission]
) -> dict[str, SubmitResult]:
    """Batches of 500 from two loops; a transient answer is submitted again."""
    settled: dict[str, SubmitResult] = {}
    pending = list(subs)
    for _ in range(30):
        batches = [pending[i : i + 500] for i in range(0, len(pending), 500)]
        retry: list[Submission] = []

        async def loop(mine: list[list[Submission]], retry: list[Submission] = retry) -> None:
            for batch in mine:
                for sub, result in zip(batch, await carrier.submit(batch), strict=True):
                    if result.outcome is SubmitOutcome.TRANSIENT:
                        retry.append(sub)
                    else:
                        settled[sub.message_id] = result

        await asyncio.gather(loop(batches[0::2]), loop(batches[1::2]))
        if not retry:
            return settled
        pending = retry
        await asyncio.sleep(0.02)
    raise AssertionError(f"{len(pending)} submissions never settled")


async def run_against(sim: SmscSimulator, db: Database, subs: list[Submission]) -> None:
    sink = RecordingSink()
    config = connection(
        sim, "counting", window=128, throttle_pause_seconds=0.002, throttle_retries=20
    )
    carrier = SmppCarrier(config, db)
    await carrier.start(sink)
    try:
        await wait_until(lambda: carrier.available)
        settled = await submit_like_the_dispatcher(carrier, subs)
        accepted = [r for r in settled.values() if r.outcome is SubmitOutcome.ACCEPTED]
        await wait_until(lambda: len(sink.receipts) >= len(accepted))
        await wait_until(lambda: sim.pending_deliveries == 0)
    finally:
        await carrier.stop()
    assert sim.stats["drops"] == 1
    assert sim.stats["ESME_RTHROTTLED"] >= sim.stats["submit_sm"] // 50 - 1
    assert carrier.stats["throttled"] == sim.stats["ESME_RTHROTTLED"]
    check_outcomes(subs, settled, sink)
    await check_books(db, subs, settled, sim)


def check_outcomes(
    subs: list[Submission], settled: dict[str, SubmitResult], sink: RecordingSink
) -> None:
    """The outcome of its own destination for each message: in its one receipt, or in the
    answer to a retry (a long message whose first parts failed before the rest was sent)."""
    receipts = sink.by_id()
    wrong = {}
    for sub in subs:
        result = settled[sub.message_id]
        got: list[Status | None]
        if result.outcome is SubmitOutcome.ACCEPTED:
            got = [r.status for r in receipts.get(result.carrier_message_id or "", [])]
        else:
            assert result.outcome is SubmitOutcome.PERMANENT
            assert sub.body == LONG_UCS2
            got = [result.status]
        if got != [expected_status(sub.to)]:
            wrong[sub.to] = got
    assert wrong == {}


async def check_books(
    db: Database, subs: list[Submission], settled: dict[str, SubmitResult], sim: SmscSimulator
) -> None:
    """Each stored part holds the id the SMSC gave that very part, and its own outcome;
    the SMSC accepted each part once."""
    by_message = {s.message_id: s for s in subs}
    stmt = select(
        smpp_messages.c.message_id,
        smpp_parts.c.part_no,
        smpp_parts.c.smsc_message_id,
        smpp_parts.c.status,
    ).join(smpp_parts, smpp_parts.c.smpp_message_id == smpp_messages.c.id)
    async with db.reader() as conn:
        rows = [r for r in await conn.fetch(Query(stmt)) if r[0] in by_message]
    stored = {(r[0], r[1]): (r[2], r[3]) for r in rows}
    messages = {s.to.removeprefix("+"): s.message_id for s in subs}
    given: dict[tuple[str, int], str] = {}
    for sent in sim.received:
        number = read_short_message(sent.short_message, sent.data_coding, sent.esm_class).number
        given[(messages[sent.destination], number)] = sent.message_id
    assert len(given) == len(sim.received) == sim.stats["accepted"]
    for message_id, result in settled.items():
        if result.outcome is SubmitOutcome.ACCEPTED:
            parts = 3 if by_message[message_id].body == LONG_UCS2 else 1
            assert all((message_id, n) in given for n in range(1, parts + 1))
    assert {key: smsc_id for key, (smsc_id, _) in stored.items()} == given
    wrong = {
        key: status
        for key, (_, status) in stored.items()
        if status != expected_status(by_message[key[0]].to).value
    }
    assert wrong == {}


async def test_a_counting_smsc_gets_every_receipt_to_its_own_part(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "signalpost.smpp")
    # decimal ids with receipts right after each submit_sm_resp, then (the SMSC restarted
    # and counts from 1 again) hexadecimal ids with receipts even before it
    for run, (style, early) in enumerate((("decimal", False), ("hex", True)), start=1):
        subs = submissions(run, PER_RUN)
        async with running_smsc(
            message_ids=style,
            receipt_delay_ms=0,
            receipt_jitter=0,
            early_receipts=early,
            throttle_every=50,
            drop_once_after=PER_RUN // 2,
            record=True,
        ) as sim:
            await run_against(sim, db, subs)
    async with db.reader() as conn:
        left = await conn.fetch(Query(select(parked_receipts)))
        final = await conn.fetch(Query(select(smpp_parts.c.smsc_message_id, smpp_parts.c.status)))
    # only receipts the SMSC sent again after the drop, for parts already final, stay parked
    outcomes = {("part", r[0], r[1]) for r in final}
    assert [
        r for r in left if (r["scope"], r["carrier_message_id"], r["status"]) not in outcomes
    ] == []
    ended = [r.getMessage() for r in caplog.records if "session ended" in r.getMessage()]
    assert any("connection closed by the SMSC" in m and "submit_sm in flight" in m for m in ended)
