"""Mobile-originated messages over SMPP reach the platform through the carrier's events, on
both databases: whole (reassembled), once, and acknowledged only once stored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import func, select

from signalpost.carriers.base import CarrierEvents, Inbound
from signalpost.carriers.smpp import SmppCarrier
from signalpost.carriers.smpp import inbound as mo
from signalpost.carriers.smpp.config import ConnectionConfig, InboundOwner
from signalpost.dispatch.events import PlatformEvents
from signalpost.messages.transitions import Recorder
from signalpost.smpp import CommandStatus, Incoming
from signalpost.storage import Database, Query
from signalpost.storage.tables import messages, smpp_mo_parts
from tests.support.smpp import RecordingSink, connection, running_smsc, wait_until

OWNER = InboundOwner("org-mo", "profile-mo")
LONG = "Réponse du client, merci beaucoup ! " * 10  # three GSM-7 parts


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


class Unavailable(PlatformEvents):
    """The platform's events, failing to store inbound messages while ``down``."""

    down = True
    refused = 0

    async def apply_inbound(self, carrier: str, messages: Sequence[Inbound]) -> None:
        if self.down:
            self.refused += 1
            raise RuntimeError("the database is briefly unavailable")
        await super().apply_inbound(carrier, messages)


async def count(db: Database, stmt: object) -> int:
    async with db.reader() as conn:
        value = await conn.fetchval(Query(stmt))  # type: ignore[arg-type]
    return int(value or 0)


async def test_messages_reach_the_sink_whole_with_their_owner(db: Database) -> None:
    sink = RecordingSink()
    async with running_smsc() as sim:
        config = connection(sim, inbound=OWNER)
        async with running_carrier(config, db, sink):
            assert sim.send_mo("+14155559876", "12345", LONG) == 3
            sim.send_mo("+14155559876", "12345", "STOP")
            await wait_until(lambda: sim.pending_deliveries == 0)
    assert sorted((m.text, name) for name, m in sink.inbound) == sorted(
        [(LONG, "smsc-a"), ("STOP", "smsc-a")]
    )
    assert {(m.organization_id, m.tenant_id, m.source, m.destination) for _, m in sink.inbound} == {
        ("org-mo", "profile-mo", "+14155559876", "12345")
    }
    assert sim.stats["deliver_sm_acked"] == 4
    assert await count(db, select(func.count()).select_from(smpp_mo_parts)) == 0  # released


async def test_nothing_is_acknowledged_before_the_platform_stored_it(db: Database) -> None:
    events = Unavailable(db, Recorder())
    received = select(func.count()).where(messages.c.status == "received")
    async with running_smsc() as sim:
        config = connection(sim, inbound=OWNER)
        async with running_carrier(config, db, events):
            sim.send_mo("+14155559876", "12345", LONG)
            # the last part, delivered again: refused by the platform, and the refusal read
            # by the SMSC (its deliver_sm_resp arrives after the platform gave up on it)
            await wait_until(lambda: sim.stats["deliver_sm_refused"] >= 2)
            # the first two parts are held, the last one refused each time: nothing is lost
            assert sim.stats["deliver_sm_acked"] == 2
            assert sim.stats["deliver_sm_refused"] >= 2
            assert sim.pending_deliveries == 1
            assert await count(db, received) == 0
            events.down = False
            await wait_until(lambda: sim.pending_deliveries == 0)
    assert sim.stats["deliver_sm_acked"] == 3
    async with db.reader() as conn:
        rows = await conn.fetch(Query(select(messages.c.body, messages.c.tenant_id)))
    assert [tuple(r) for r in rows] == [(LONG, "profile-mo")]  # stored once
    assert await count(db, select(func.count()).select_from(smpp_mo_parts)) == 0


async def test_a_message_without_an_owner_is_refused(db: Database) -> None:
    sink = RecordingSink()
    async with running_smsc() as sim, running_carrier(connection(sim), db, sink):
        sim.send_mo("+14155559876", "12345", "hello")
        await wait_until(lambda: sim.stats["deliver_sm_refused"] >= 1)
    assert sink.inbound == []
    assert sim.stats["deliver_sm_acked"] == 0


def _part(number: int, text: str, *, ref: int = 7, total: int = 2) -> mo.MobileOriginated:
    return mo.MobileOriginated(
        "+14155559876", "12345", Incoming(text, ref, total, number), 1_000 + number
    )


async def test_assembly_answers_each_item_and_holds_parts_once(db: Database) -> None:
    owned = ConnectionConfig(
        name="smsc-a", host="127.0.0.1", port=1, system_id="s", password="p", inbound=OWNER
    )
    nobody = ConnectionConfig(name="smsc-b", host="127.0.0.1", port=1, system_id="s", password="p")
    async with db.transaction() as conn:
        refused = await mo.assemble(conn, nobody, [_part(1, "Hello, ")])
        first = await mo.assemble(conn, owned, [_part(1, "Hello, "), _part(1, "Hello, ")])
    assert refused.statuses == [CommandStatus.ESME_RX_P_APPN]
    assert refused.complete == []
    assert first.statuses == [CommandStatus.ESME_ROK] * 2
    assert first.complete == []
    assert await count(db, select(func.count()).select_from(smpp_mo_parts)) == 1
    async with db.transaction() as conn:
        last = await mo.assemble(conn, owned, [_part(2, "world"), _part(2, "world")])
    assert last.statuses == [CommandStatus.ESME_ROK] * 2
    assert [m.text for m in last.complete] == ["Hello, world"]  # the copy completes nothing
    assert last.reporting == [0]
    async with db.transaction() as conn:  # not stored by the platform yet: asked again
        again = await mo.assemble(conn, owned, [_part(2, "world")])
        assert [m.text for m in again.complete] == ["Hello, world"]
        await mo.release(conn, again.held)
    assert await count(db, select(func.count()).select_from(smpp_mo_parts)) == 0
