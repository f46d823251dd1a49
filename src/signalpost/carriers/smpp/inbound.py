"""Mobile-originated ``deliver_sm``: reassemble long messages, store them as ``received``.

The owner of a message is the tenant the connection configuration names for the number
it was sent to (``inbound_numbers``), else the connection's ``inbound`` owner.  Without
an owner the message is refused with ``ESME_RX_P_APPN``, so the SMSC does not count it
as delivered to us.  Parts of a concatenated message wait in ``smpp_mo_parts`` until the
last one arrives; a part received twice is stored once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from signalpost.carriers.smpp import repository as repo
from signalpost.carriers.smpp.config import ConnectionConfig
from signalpost.messages.inbound import InboundMessage, receive
from signalpost.messages.transitions import Recorder
from signalpost.smpp import CommandStatus, Incoming
from signalpost.storage import Connection

__all__ = ["MobileOriginated", "address", "store_mobile_originated"]

log = logging.getLogger("signalpost.smpp")


@dataclass(frozen=True, slots=True)
class MobileOriginated:
    source: str  # normalised: E.164 with + for international numbers
    destination: str
    incoming: Incoming
    received_at: int


def address(addr: str, ton: int) -> str:
    """A number as the platform writes it: ``+`` and digits for international ones."""
    if ton == 1 and addr.isdigit():
        return "+" + addr
    return addr


async def store_mobile_originated(
    conn: Connection,
    recorder: Recorder,
    config: ConnectionConfig,
    items: list[MobileOriginated],
    *,
    currency: str,
) -> list[int]:
    """Store what is complete, keep parts of what is not; one command_status per item."""
    statuses: list[int] = []
    complete: list[InboundMessage] = []
    for item in items:
        owner = config.owner_for(item.destination)
        if owner is None:
            log.warning("smpp %s: no owner for messages to %s", config.name, item.destination)
            statuses.append(CommandStatus.ESME_RX_P_APPN)
            continue
        body = await _assemble(conn, config.name, item)
        if body is not None:
            complete.append(
                InboundMessage(
                    owner.organization_id,
                    owner.tenant_id,
                    item.source,
                    item.destination,
                    body,
                    item.received_at,
                )
            )
        statuses.append(CommandStatus.ESME_ROK)
    await receive(conn, recorder, complete, currency=currency)
    return statuses


async def _assemble(conn: Connection, connection: str, item: MobileOriginated) -> str | None:
    """The whole text once every part is in; None while parts are missing."""
    incoming = item.incoming
    if incoming.ref is None or incoming.total <= 1:
        return incoming.text
    key = (connection, item.source, item.destination, incoming.ref, incoming.total)
    stored = await repo.mo_parts(conn, *key)
    parts = {row["part_no"]: row for row in stored}
    if incoming.number in parts:
        return None  # a duplicate of a part we hold (or of a message already assembled)
    texts = {number: row["body"] for number, row in parts.items()}
    texts[incoming.number] = incoming.text
    if len(texts) < incoming.total:
        await repo.insert_mo_part(
            conn,
            {
                "connection": connection,
                "source": item.source,
                "destination": item.destination,
                "ref": incoming.ref,
                "total": incoming.total,
                "part_no": incoming.number,
                "body": incoming.text,
                "received_at": item.received_at,
            },
        )
        return None
    await repo.delete_mo_parts(conn, [row["id"] for row in stored])
    return "".join(texts[n] for n in sorted(texts))
