"""What carriers report, applied to the platform: the :class:`CarrierEvents` they are given.

Receipts move their messages (:func:`~signalpost.dispatch.receipts.record_receipts`);
inbound messages are stored as ``received`` (:func:`signalpost.messages.inbound.receive`),
where the recorder's observers see them like any other step: webhooks, keywords (STOP,
START, HELP).  Each call is one transaction and returns once it is committed, so a carrier
acknowledges to its peer only what is durable.
"""

from __future__ import annotations

from collections.abc import Sequence

from signalpost.carriers.base import CarrierEvents, Inbound, Receipt
from signalpost.dispatch.receipts import record_receipts
from signalpost.messages.inbound import InboundMessage, receive
from signalpost.messages.transitions import Recorder
from signalpost.observability.metrics import count_receipts
from signalpost.storage import Database

__all__ = ["PlatformEvents"]


class PlatformEvents(CarrierEvents):
    """Applies receipts and stores inbound messages (priced at nothing, in ``currency``)."""

    def __init__(self, db: Database, recorder: Recorder, *, currency: str = "USD") -> None:
        self.db = db
        self.recorder = recorder
        self.currency = currency

    async def apply_receipts(self, carrier: str, receipts: Sequence[Receipt]) -> None:
        if receipts:
            async with self.db.transaction() as conn:
                outcomes = await record_receipts(conn, self.recorder, carrier, receipts)
            count_receipts(carrier, outcomes)

    async def apply_inbound(self, carrier: str, messages: Sequence[Inbound]) -> None:
        if messages:
            items = [_message(carrier, m) for m in messages]
            async with self.db.transaction() as conn:
                await receive(conn, self.recorder, items, currency=self.currency)


def _message(carrier: str, m: Inbound) -> InboundMessage:
    return InboundMessage(
        m.organization_id,
        m.tenant_id,
        m.source,
        m.destination,
        m.text,
        m.received_at,
        channel=m.channel,
        dialect=m.protocol,
        carrier=carrier if m.carrier_message_id else None,
        carrier_message_id=m.carrier_message_id,
    )
