"""The SMPP books on both databases: a receipt lands on exactly the part whose submit_sm_resp
carried its id, however the receipt and the record of that answer are ordered."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from signalpost.carriers.smpp import ledger
from signalpost.carriers.smpp.status import PartReceipt
from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.storage import Connection, Database, Query, open_database
from signalpost.storage.tables import parked_receipts, smpp_parts
from tests.support.databases import DbTarget

NOW = 1_800_000_000_000_000
SECOND = 1_000_000
OUTCOMES = {
    Status.DELIVERED: None,
    Status.FAILED: ReasonCode.UNDELIVERABLE,
    Status.EXPIRED: ReasonCode.EXPIRED,
    Status.REJECTED: ReasonCode.REJECTED,
}


def record(connection: str, smsc_id: str, submitted_at: int) -> ledger.SubmitRecord:
    """The record of a one-part message whose submit_sm_resp carried ``smsc_id``."""
    group_id = uuid.uuid4().hex
    group: dict[str, Any] = {
        "id": group_id,
        "message_id": uuid.uuid4().hex[:26],
        "carrier": connection,
        "parts": 1,
        "concat_ref": 7,
        "state": ledger.SENT,
        "outcome": None,
        "outcome_reason_code": None,
        "outcome_reason": None,
        "outcome_error_code": None,
        "outcome_at": None,
        "report_due": False,
        "created_at": submitted_at,
        "updated_at": submitted_at,
    }
    part = {
        "smpp_message_id": group_id,
        "part_no": 1,
        "connection": connection,
        "smsc_message_id": smsc_id,
        "status": Status.SENT.value,
        "reason_code": None,
        "reason": None,
        "error_code": None,
        "submitted_at": submitted_at,
        "done_at": None,
    }
    return ledger.SubmitRecord(group, True, [part])


def receipt(smsc_id: str, status: Status, at: int) -> PartReceipt:
    code = OUTCOMES[status]
    return PartReceipt(smsc_id, "", status, at, code.value if code else None, None, None)


async def part_states(conn: Connection, connection: str) -> dict[str, list[str]]:
    rows = await conn.fetch(
        Query(
            select(smpp_parts.c.smsc_message_id, smpp_parts.c.status)
            .where(smpp_parts.c.connection == connection)
            .order_by(smpp_parts.c.id)
        )
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(row[1])
    return found


async def parked(conn: Connection, connection: str) -> int:
    count = select(func.count()).where(
        parked_receipts.c.scope == "part", parked_receipts.c.carrier == connection
    )
    return int(await conn.fetchval(Query(count)))


async def test_a_receipt_is_never_read_as_an_older_id_in_another_base(db: Database) -> None:
    # An SMSC numbering 1, 2, 3…: "256" in hexadecimal is "100", an older, open part.
    async with db.transaction() as conn:
        await ledger.record_submits(
            conn, [record("smsc", str(n), NOW + n) for n in range(1, 256)], NOW + 300
        )
    async with db.transaction() as conn:  # the receipt overtakes the record of "256"
        reports = await ledger.apply_receipts(
            conn, "smsc", [receipt("256", Status.FAILED, NOW)], NOW + 400
        )
    assert reports == []
    async with db.reader() as conn:
        states = await part_states(conn, "smsc")
        assert await parked(conn, "smsc") == 1
    assert states["100"] == ["sent"]
    assert set(states) == {str(n) for n in range(1, 256)}
    async with db.transaction() as conn:
        [report] = await ledger.record_submits(conn, [record("smsc", "256", NOW + 350)], NOW + 500)
    assert report.receipt.status == Status.FAILED
    async with db.reader() as conn:
        states = await part_states(conn, "smsc")
        assert await parked(conn, "smsc") == 0
    assert states["256"] == ["failed"]
    assert {s for key, [s] in states.items() if key != "256"} == {"sent"}


async def test_a_reused_id_waits_for_its_new_part(db: Database) -> None:
    async with db.transaction() as conn:
        await ledger.record_submits(conn, [record("smsc", "7", NOW)], NOW)
        await ledger.apply_receipts(conn, "smsc", [receipt("7", Status.DELIVERED, NOW)], NOW)
    later = NOW + 3600 * SECOND  # the SMSC restarted its counter and gave "7" again
    async with db.transaction() as conn:
        reports = await ledger.apply_receipts(
            conn, "smsc", [receipt("7", Status.REJECTED, later)], later + 2
        )
        assert reports == []
        [report] = await ledger.record_submits(conn, [record("smsc", "7", later + 1)], later + 3)
    assert report.receipt.status == Status.REJECTED
    async with db.reader() as conn:
        assert await part_states(conn, "smsc") == {"7": ["delivered", "rejected"]}
        assert await parked(conn, "smsc") == 0


async def test_a_stale_duplicate_never_lands_on_a_later_part(db: Database) -> None:
    async with db.transaction() as conn:
        await ledger.record_submits(conn, [record("smsc", "9", NOW)], NOW)
        await ledger.apply_receipts(conn, "smsc", [receipt("9", Status.FAILED, NOW)], NOW)
        await ledger.apply_receipts(conn, "smsc", [receipt("9", Status.FAILED, NOW)], NOW + 1)
        assert await parked(conn, "smsc") == 1  # kept: it could be for a new part "9"
        later = NOW + 600 * SECOND
        assert await ledger.record_submits(conn, [record("smsc", "9", later)], later) == []
        assert await part_states(conn, "smsc") == {"9": ["failed", "sent"]}
        assert await ledger.expire_parked(conn, "smsc", NOW + ledger.PARKED_MAX_AGE_US) == 0
        expired = await ledger.expire_parked(conn, "smsc", NOW + ledger.PARKED_MAX_AGE_US + 2)
        assert expired == 1


async def test_a_duplicate_parked_just_before_a_reused_id_is_submitted_stays_its_own(
    db: Database,
) -> None:
    # The SMSC sends "5"'s receipt again after a reconnect; a microsecond later it restarts
    # its counter and gives "5" to a new part: the copy is not that part's receipt.
    async with db.transaction() as conn:
        await ledger.record_submits(conn, [record("smsc", "5", NOW)], NOW)
        await ledger.apply_receipts(conn, "smsc", [receipt("5", Status.DELIVERED, NOW)], NOW + 1)
        await ledger.apply_receipts(conn, "smsc", [receipt("5", Status.DELIVERED, NOW)], NOW + 2)
        assert await ledger.record_submits(conn, [record("smsc", "5", NOW + 3)], NOW + 4) == []
        assert await part_states(conn, "smsc") == {"5": ["delivered", "sent"]}
        assert await parked(conn, "smsc") == 1
        # its own receipt, which came in after its submit_sm went out, is applied
        [report] = await ledger.apply_receipts(
            conn, "smsc", [receipt("5", Status.FAILED, NOW + 5)], NOW + 5
        )
    assert report.receipt.status == Status.FAILED
    async with db.reader() as conn:
        assert await part_states(conn, "smsc") == {"5": ["delivered", "failed"]}


async def test_connections_are_separate_id_spaces(db: Database) -> None:
    async with db.transaction() as conn:
        await ledger.record_submits(
            conn, [record("a", "1", NOW), record("b", "1", NOW + 1)], NOW + 2
        )
        await ledger.apply_receipts(conn, "b", [receipt("1", Status.EXPIRED, NOW)], NOW + 3)
        assert await part_states(conn, "a") == {"1": ["sent"]}
        assert await part_states(conn, "b") == {"1": ["expired"]}


events = st.lists(
    st.tuples(st.sampled_from(list(OUTCOMES)), st.booleans(), st.booleans()),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(events, st.sampled_from(["decimal", "hex"]), st.randoms(use_true_random=False))
def test_any_order_of_receipts_and_records_ends_on_the_right_parts(
    db_target: DbTarget, plan: list[tuple[Status, bool, bool]], base: str, rnd: Any
) -> None:
    """Sequential ids (an SMSC counting 1, 2, 3…), each receipt before or after the record
    of its part, sometimes twice, all interleaved at random: each part ends with its own
    outcome, and only late duplicates stay parked (until they expire)."""
    asyncio.run(_replay(db_target, plan, base, rnd))


async def _replay(
    target: DbTarget, plan: list[tuple[Status, bool, bool]], base: str, rnd: Any
) -> None:
    connection = f"c{uuid.uuid4().hex[:12]}"  # each example gets its own id space
    ids = [str(n) if base == "decimal" else format(n, "x") for n in range(1, len(plan) + 1)]
    db = open_database(target.url, schema=target.schema, pool_size=2)
    await db.connect()
    try:
        clock = NOW
        submitted: dict[int, int] = {}  # a part is submitted before any of its steps
        for kind, index in _interleave(plan, rnd):
            clock += 1
            submitted.setdefault(index, clock - 1)
            async with db.transaction() as conn:
                if kind == "record":
                    part = record(connection, ids[index], submitted[index])
                    await ledger.record_submits(conn, [part], clock)
                else:
                    got = receipt(ids[index], plan[index][0], clock)
                    await ledger.apply_receipts(conn, connection, [got], clock)
        async with db.reader() as conn:
            states = await part_states(conn, connection)
            left = await parked(conn, connection)
    finally:
        await db.close()
    assert states == {ids[i]: [status.value] for i, (status, _, _) in enumerate(plan)}
    # only a second copy of a receipt that came after its part was final stays parked
    assert left == sum(1 for _, early, twice in plan if twice and not early)


def _interleave(plan: list[tuple[Status, bool, bool]], rnd: Any) -> list[tuple[str, int]]:
    """Each part's steps in their planned order, the parts' steps randomly interleaved."""
    queues: dict[int, list[tuple[str, int]]] = {}
    for index, (_, early, twice) in enumerate(plan):
        receipts = [("receipt", index)] * (2 if twice else 1)
        queues[index] = [*receipts, ("record", index)] if early else [("record", index), *receipts]
    order: list[tuple[str, int]] = []
    while queues:
        index = rnd.choice(sorted(queues))
        order.append(queues[index].pop(0))
        if not queues[index]:
            del queues[index]
    return order
