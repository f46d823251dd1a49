"""Mobile-originated (inbound) messages: stored as messages in the final state ``received``.

A carrier that receives a message (an SMPP ``deliver_sm`` that is not a receipt) calls
:func:`receive` inside its transaction.  Each message gets its row and one ``received``
activity, and the recorder's observers (webhooks, keywords) see the step, in that
transaction, like every other state change.  A message whose whole text is one of its
tenant's keywords (STOP, START, HELP and the tenant's own) carries the keyword's action in
its step (:attr:`Applied.keyword`), so the webhook of the message and the opt-out it causes
agree.  ``to_number`` is the platform's number the message was sent
to, ``from_number`` the sender; inbound messages cost nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from signalpost.accounts.schemas import Scope
from signalpost.activities import repository as activities_repo
from signalpost.activities.schemas import Activity
from signalpost.compliance import service as compliance
from signalpost.domain import encoding
from signalpost.domain.keywords import MAX_KEYWORD, KeywordAction, classify
from signalpost.domain.lifecycle import Status, describe
from signalpost.domain.phone import InvalidPhoneNumber, parse_phone
from signalpost.messages import repository as repo
from signalpost.messages.schemas import Message
from signalpost.messages.transitions import Applied, Recorder
from signalpost.storage import Connection
from signalpost.timeutil import new_id

__all__ = ["InboundMessage", "receive"]


@dataclass(frozen=True, slots=True)
class InboundMessage:
    organization_id: str
    tenant_id: str
    from_number: str
    to_number: str
    body: str
    received_at: int
    channel: str = "sms"
    dialect: str = "smpp"
    carrier: str | None = None  # with the carrier's id for the message: stored once
    carrier_message_id: str | None = None


def _region(number: str) -> str | None:
    try:
        return parse_phone(number).region_code
    except InvalidPhoneNumber:
        return None


def _message(item: InboundMessage, currency: str) -> Message:
    info = encoding.analyze(item.body)
    at = item.received_at
    return Message(
        id=new_id(),
        organization_id=item.organization_id,
        tenant_id=item.tenant_id,
        batch_id=new_id(),
        message_key=None,
        channel=item.channel,
        to_number=item.to_number[:20],
        from_number=item.from_number[:32],
        region_code=_region(item.from_number),
        body=item.body,
        template_id=None,
        template_name=None,
        encoding=info.encoding.value,
        segments=info.segments,
        price_micros=0,
        currency=currency,
        status=Status.RECEIVED.value,
        reason_code=None,
        reason=None,
        carrier=item.carrier,
        carrier_message_id=item.carrier_message_id,
        dialect=item.dialect,
        metadata=None,
        scheduled_at=None,
        expires_at=at,
        created_at=at,
        updated_at=at,
        sent_at=None,
        delivered_at=None,
        attempts=0,
        revision=1,  # its one step, received
        test=False,
    )


def _received(message: Message) -> Activity:
    status = Status.RECEIVED
    description = describe(status, message.channel)
    return Activity(
        0, message.id, status.value, description, None, None, None, 0, message.created_at
    )


async def receive(
    conn: Connection,
    recorder: Recorder,
    items: Sequence[InboundMessage],
    *,
    currency: str = "USD",
) -> list[str]:
    """Store inbound messages with their ``received`` activity; returns their ids.

    A message the carrier already reported (the same carrier id, e.g. an event the
    provider delivered again) is not stored twice."""
    items = await _new(conn, items)
    if not items:
        return []
    messages = [_message(item, currency) for item in items]
    keywords = await _keywords(conn, messages)
    steps = [
        Applied(message, Status.RECEIVED, _received(message), 1, keyword=keyword)
        for message, keyword in zip(messages, keywords, strict=True)
    ]
    await repo.insert_many(conn, messages)
    await activities_repo.insert_many(conn, steps)
    await recorder.notify(conn, steps)
    return [message.id for message in messages]


def _carrier_key(item: InboundMessage) -> tuple[str, str] | None:
    if item.carrier is None or item.carrier_message_id is None:
        return None
    return item.carrier, item.carrier_message_id


async def _new(conn: Connection, items: Sequence[InboundMessage]) -> Sequence[InboundMessage]:
    """``items`` without those whose carrier id is stored already or came before."""
    ids: dict[str, set[str]] = {}
    for carrier, cid in filter(None, map(_carrier_key, items)):
        ids.setdefault(carrier, set()).add(cid)
    if not ids:
        return items
    seen = {
        (carrier, cid)
        for carrier, cids in ids.items()
        for cid in await repo.find_by_carrier_ids(conn, carrier, sorted(cids))
    }
    new: list[InboundMessage] = []
    for item in items:
        key = _carrier_key(item)
        if key is None or key not in seen:
            new.append(item)
            if key is not None:
                seen.add(key)
    return new


async def _keywords(conn: Connection, messages: Sequence[Message]) -> list[KeywordAction | None]:
    """The keyword action of each message, by its tenant's words (settings read once each)."""
    found: list[KeywordAction | None] = []
    by_tenant: dict[str, Any] = {}
    for message in messages:
        body = message.body or ""
        if len(body) > MAX_KEYWORD:  # no keyword is that long: spare the settings lookup
            found.append(None)
            continue
        tenant = message.tenant_id
        if tenant not in by_tenant:
            organization = message.organization_id
            scope = Scope(organization, None if tenant == organization else tenant)
            by_tenant[tenant] = (await compliance.settings_for(conn, scope)).keywords
        found.append(classify(body, by_tenant[tenant]))
    return found
