"""Consent on both databases: the opt-out list, and sends to opted-out numbers ending filtered."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.consent import repository as consent_repo
from signalpost.consent import service as consent
from signalpost.consent.exceptions import RecipientNotFound
from signalpost.consent.schemas import ConsentStatus, RecipientFilter
from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.domain.pricing import RateCard
from signalpost.messages import service as messages
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.messages.transitions import Applied, Recorder
from signalpost.storage import Connection, Database, Query
from signalpost.storage.tables import dispatch_queue

_QUEUED = Query(select(dispatch_queue.c.message_id))
_NONE = consent.ConsentRecorder()  # no observers


async def _tenant(db: Database, name: str = "Acme") -> Scope:
    async with db.transaction() as conn:
        org = await accounts.create_organization(conn, name)
    return Scope(org.id, None)


def _policy(recorder: Recorder | None = None) -> messages.SendPolicy:
    return messages.SendPolicy(
        rates=RateCard.default(),
        default_validity_seconds=3600,
        max_recipients=100,
        recorder=recorder or Recorder(),
    )


async def test_remember_keeps_an_existing_decision(db: Database) -> None:
    scope = await _tenant(db)
    async with db.transaction() as conn:
        await consent.set_status_of_numbers(
            conn, scope, ["+14155550111"], ConsentStatus.OPTED_OUT, recorder=_NONE
        )
        await consent.remember(conn, scope, ["+14155550111", "+14155550112", "+14155550112"])
    async with db.reader() as conn:
        everyone = await consent.list_recipients(conn, scope, RecipientFilter(), limit=10)
        opted = await consent.list_recipients(
            conn, scope, RecipientFilter(status=ConsentStatus.OPTED_OUT), limit=10
        )
    assert {r.phone_number: r.status for r in everyone} == {
        "+14155550111": ConsentStatus.OPTED_OUT,
        "+14155550112": ConsentStatus.ACTIVE,
    }
    assert [r.phone_number for r in opted] == ["+14155550111"]
    assert all(r.id == consent.recipient_id(scope.tenant_id, r.phone_number) for r in everyone)


async def test_set_status_by_id_and_tenancy(db: Database) -> None:
    scope, other = await _tenant(db, "A"), await _tenant(db, "B")
    async with db.transaction() as conn:
        await consent.remember(conn, scope, ["+14155550113"])
    rid = consent.recipient_id(scope.tenant_id, "+14155550113")
    async with db.transaction() as conn:
        changed = await consent.set_status(
            conn, scope, rid, ConsentStatus.OPTED_OUT, recorder=_NONE
        )
        with pytest.raises(RecipientNotFound):
            await consent.set_status(conn, other, rid, ConsentStatus.OPTED_OUT, recorder=_NONE)
    assert changed.status == ConsentStatus.OPTED_OUT
    async with db.reader() as conn:
        assert await consent.opted_out_among(conn, scope, ["+14155550113"]) == {"+14155550113"}
        assert await consent.opted_out_among(conn, other, ["+14155550113"]) == set()
        with pytest.raises(RecipientNotFound):
            await consent.get(conn, other, rid)


async def test_filter_by_sender(db: Database) -> None:
    scope = await _tenant(db)
    spec = SendSpec(recipients=(RecipientSpec("+14155550114"),), text="hi", sender="+14155550100")
    async with db.transaction() as conn:
        await messages.send(conn, _policy(), scope, spec)
        await consent.remember(conn, scope, ["+14155550114", "+14155550115"])
    async with db.reader() as conn:
        found = await consent.list_recipients(
            conn, scope, RecipientFilter(sent_from="+14155550100"), limit=10
        )
    assert [r.phone_number for r in found] == ["+14155550114"]


async def test_send_filters_opted_out_recipients_with_one_lookup(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = await _tenant(db)
    async with db.transaction() as conn:
        await consent.set_status_of_numbers(
            conn, scope, ["+14155550121"], ConsentStatus.OPTED_OUT, recorder=_NONE
        )
    lookups: list[list[str]] = []
    original = consent_repo.opted_out_among

    async def counting(conn: Connection, tenant_ids: list[str], phones: list[str]) -> set[str]:
        lookups.append(list(phones))
        return await original(conn, tenant_ids, phones)

    monkeypatch.setattr(consent_repo, "opted_out_among", counting)
    seen: list[Applied] = []
    recorder = Recorder()

    async def observe(conn: Connection, applied: Any) -> None:
        del conn
        seen.extend(applied)

    recorder.observers.append(observe)
    numbers = ("+14155550121", "+14155550122", "+14155550123")
    spec = SendSpec(recipients=tuple(RecipientSpec(n) for n in numbers), text="hello")
    async with db.transaction() as conn:
        result = await messages.send(conn, _policy(recorder), scope, spec)
    assert len(lookups) == 1
    assert sorted(lookups[0]) == sorted(numbers)
    by_number = {m.to_number: m for m in result.messages}
    assert by_number["+14155550121"].status == Status.FILTERED
    assert by_number["+14155550121"].price_micros == 0
    assert {by_number[n].status for n in numbers[1:]} == {Status.QUEUED}
    async with db.reader() as conn:
        stopped = await messages.get_message(conn, scope, by_number["+14155550121"].id)
        queued = {r[0] for r in await conn.fetch(_QUEUED)}
    assert stopped.status == Status.FILTERED
    assert stopped.reason_code == ReasonCode.OPTED_OUT
    assert [e.status for e in stopped.events] == [Status.ACCEPTED, Status.FILTERED]
    assert stopped.events[-1].reason_code == ReasonCode.OPTED_OUT
    assert queued == {by_number[n].id for n in numbers[1:]}
    filtered_steps = [a for a in seen if a.activity.status == Status.FILTERED]
    assert [a.message.id for a in filtered_steps] == [by_number["+14155550121"].id]


async def test_send_to_only_opted_out_recipients_is_accepted(db: Database) -> None:
    scope = await _tenant(db)
    async with db.transaction() as conn:
        await consent.set_status_of_numbers(
            conn, scope, ["+14155550131"], ConsentStatus.OPTED_OUT, recorder=_NONE
        )
        result = await messages.send(
            conn, _policy(), scope, SendSpec(recipients=(RecipientSpec("+14155550131"),), text="x")
        )
        queued = await conn.fetch(_QUEUED)
    assert [m.status for m in result.messages] == [Status.FILTERED]
    assert queued == []


async def test_opt_out_of_another_tenant_does_not_filter(db: Database) -> None:
    scope, other = await _tenant(db, "A"), await _tenant(db, "B")
    async with db.transaction() as conn:
        await consent.set_status_of_numbers(
            conn, other, ["+14155550141"], ConsentStatus.OPTED_OUT, recorder=_NONE
        )
        result = await messages.send(
            conn, _policy(), scope, SendSpec(recipients=(RecipientSpec("+14155550141"),), text="x")
        )
    assert [m.status for m in result.messages] == [Status.QUEUED]
