"""Mobile-originated ``deliver_sm``: the owner of each message, long messages reassembled.

The owner of a message is the tenant the connection configuration names for the number
it was sent to (``inbound_numbers``), else the connection's ``inbound`` owner.  Without
an owner the message is refused with ``ESME_RX_P_APPN``, so the SMSC does not count it
as delivered to us.

Parts of a concatenated message wait in ``smpp_mo_parts`` until the last one arrives; a
part received twice is held once.  The whole message is then reported to the platform
(:meth:`~signalpost.carriers.base.CarrierEvents.inbound`), and its parts are deleted only
once the platform has stored it (:func:`release`).  The last part is not held: if the
report fails it is refused, and when the SMSC delivers it again the parts still held
complete the message again.  A message is so stored at least once, never lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from signalpost.carriers.base import CarrierEvents, Inbound
from signalpost.carriers.smpp import repository as repo
from signalpost.carriers.smpp.config import ConnectionConfig
from signalpost.smpp import CommandStatus, Incoming
from signalpost.storage import Connection, Database

__all__ = [
    "Assembly",
    "MobileOriginated",
    "PartsKey",
    "address",
    "assemble",
    "release",
    "report",
]

log = logging.getLogger("signalpost.smpp")

PartsKey = tuple[str, str, str, int, int]
"""The parts of one concatenated message: connection, source, destination, ref, total."""


@dataclass(frozen=True, slots=True)
class MobileOriginated:
    source: str  # normalised: E.164 with + for international numbers
    destination: str
    incoming: Incoming
    received_at: int


@dataclass(slots=True)
class Assembly:
    """What a batch of mobile-originated ``deliver_sm`` came to."""

    statuses: list[int] = field(default_factory=list)  # one command_status per item
    complete: list[Inbound] = field(default_factory=list)  # whole messages to report
    reporting: list[int] = field(default_factory=list)  # items answered once they are reported
    held: list[PartsKey] = field(default_factory=list)  # parts to delete once reported
    reported: bool = False  # the platform stored ``complete``


def address(addr: str, ton: int) -> str:
    """A number as the platform writes it: ``+`` and digits for international ones."""
    if ton == 1 and addr.isdigit():
        return "+" + addr
    return addr


async def assemble(
    conn: Connection, config: ConnectionConfig, items: list[MobileOriginated]
) -> Assembly:
    """Hold parts of what is not complete; the whole messages, each with its owner."""
    found = Assembly()
    done: set[PartsKey] = set()  # completed by an earlier item of the batch
    for index, item in enumerate(items):
        owner = config.owner_for(item.destination)
        if owner is None:
            log.warning("smpp %s: no owner for messages to %s", config.name, item.destination)
            found.statuses.append(CommandStatus.ESME_RX_P_APPN)
            continue
        found.statuses.append(CommandStatus.ESME_ROK)
        key = _key(config.name, item)
        if key is not None and key in done:
            continue  # a copy of a part of a message this batch completed
        body = item.incoming.text if key is None else await _assemble(conn, key, item)
        if body is None:
            continue
        if key is not None:
            done.add(key)
            found.held.append(key)
        found.reporting.append(index)
        found.complete.append(
            Inbound(
                owner.organization_id,
                owner.tenant_id,
                item.source,
                item.destination,
                body,
                item.received_at,
            )
        )
    return found


async def report(
    db: Database, sink: CarrierEvents | None, carrier: str, assembly: Assembly
) -> list[int]:
    """Hand the whole messages to the platform, then forget their parts; the command_status
    of each item: a temporary error for those the platform did not store."""
    statuses = list(assembly.statuses)
    if not assembly.complete:
        return statuses
    try:
        if sink is None:
            raise RuntimeError("the carrier is not started")
        await sink.apply_inbound(carrier, assembly.complete)
    except Exception:
        count = len(assembly.complete)
        log.exception("smpp %s: reporting %d inbound messages failed", carrier, count)
        for index in assembly.reporting:
            statuses[index] = CommandStatus.ESME_RX_T_APPN
        return statuses
    assembly.reported = True
    if assembly.held:
        async with db.transaction() as conn:
            await release(conn, assembly.held)
    return statuses


async def release(conn: Connection, held: list[PartsKey]) -> None:
    """Forget the parts of messages the platform has stored."""
    for key in held:
        await repo.delete_mo_message(conn, *key)


def _key(connection: str, item: MobileOriginated) -> PartsKey | None:
    incoming = item.incoming
    if incoming.ref is None or incoming.total <= 1:
        return None
    return (connection, item.source, item.destination, incoming.ref, incoming.total)


async def _assemble(conn: Connection, key: PartsKey, item: MobileOriginated) -> str | None:
    """The whole text once every part is in; None while parts are missing."""
    incoming = item.incoming
    texts: dict[int, str] = {row["part_no"]: row["body"] for row in await repo.mo_parts(conn, *key)}
    if incoming.number in texts:
        return None  # a duplicate of a part we hold
    texts[incoming.number] = incoming.text
    if len(texts) < incoming.total:
        connection, source, destination, ref, total = key
        await repo.insert_mo_part(
            conn,
            {
                "connection": connection,
                "source": source,
                "destination": destination,
                "ref": ref,
                "total": total,
                "part_no": incoming.number,
                "body": incoming.text,
                "received_at": item.received_at,
            },
        )
        return None
    return "".join(texts[n] for n in sorted(texts))
