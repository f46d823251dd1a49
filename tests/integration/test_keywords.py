"""STOP, START and HELP in inbound messages, on both databases, through the one inbound path."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import bindparam, select

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.activities import service as activities
from signalpost.activities.schemas import ActivityFilter
from signalpost.compliance import service as compliance
from signalpost.compliance.exceptions import InvalidComplianceSettings
from signalpost.compliance.schemas import DEFAULT_REPLIES, ComplianceSettings
from signalpost.consent import service as consent
from signalpost.consent.schemas import SuppressionSource
from signalpost.domain.keywords import KeywordAction
from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.domain.pricing import RateCard
from signalpost.domain.quiet_hours import QuietHours
from signalpost.messages import service as messages
from signalpost.messages.inbound import InboundMessage, receive
from signalpost.messages.keywords import KeywordResponder
from signalpost.messages.schemas import MessageFilter, RecipientSpec, SendSpec
from signalpost.messages.suppression import CarrierSuppressor
from signalpost.messages.transitions import Change, Recorder
from signalpost.storage import Database, Query
from signalpost.storage.tables import dispatch_queue
from signalpost.timeutil import from_datetime, now_us

_DUE = Query(select(dispatch_queue.c.due_at).where(dispatch_queue.c.message_id == bindparam("id")))
HANDSET = "+14155550177"
OURS = "+14155550100"


def _wired() -> tuple[Recorder, messages.SendPolicy]:
    recorder = Recorder()
    policy = messages.SendPolicy(
        rates=RateCard.default(),
        default_validity_seconds=3600,
        max_recipients=100,
        recorder=recorder,
    )
    recorder.observers.append(KeywordResponder(policy, consent.ConsentRecorder()))
    return recorder, policy


async def _tenant(db: Database, name: str = "Acme") -> Scope:
    async with db.transaction() as conn:
        org = await accounts.create_organization(conn, name)
    return Scope(org.id, None)


async def _inbound(db: Database, recorder: Recorder, scope: Scope, body: str) -> None:
    item = InboundMessage(scope.organization_id, scope.tenant_id, HANDSET, OURS, body, now_us())
    async with db.transaction() as conn:
        await receive(conn, recorder, [item])


async def _replies(db: Database, scope: Scope) -> list[Any]:
    async with db.reader() as conn:
        listed = await messages.list_messages(
            conn, scope, MessageFilter(to_number=HANDSET), limit=50
        )
    return [m for m in listed if m.status != Status.RECEIVED.value]


async def _send(db: Database, policy: messages.SendPolicy, scope: Scope) -> str:
    spec = SendSpec(recipients=(RecipientSpec(HANDSET),), text="Your code is 1234", sender=OURS)
    async with db.transaction() as conn:
        result = await messages.send(conn, policy, scope, spec)
    return result.messages[0].status


async def test_stop_opts_out_confirms_and_start_opts_back_in(db: Database) -> None:
    recorder, policy = _wired()
    scope = await _tenant(db)
    await _inbound(db, recorder, scope, " Stop! ")
    async with db.reader() as conn:
        assert await consent.opted_out_among(conn, scope, [HANDSET]) == {HANDSET}
    replies = await _replies(db, scope)
    assert [r.body for r in replies] == [DEFAULT_REPLIES[KeywordAction.OPT_OUT]]
    assert replies[0].from_number == OURS
    assert replies[0].status == Status.QUEUED.value  # the confirmation is owed, and sent
    assert await _send(db, policy, scope) == Status.FILTERED.value

    await _inbound(db, recorder, scope, "start")
    async with db.reader() as conn:
        assert await consent.opted_out_among(conn, scope, [HANDSET]) == set()
    assert await _send(db, policy, scope) == Status.QUEUED.value


async def test_help_answers_with_the_tenants_text_and_changes_nothing(db: Database) -> None:
    recorder, _ = _wired()
    scope = await _tenant(db)
    async with db.transaction() as conn:
        await compliance.update_settings(
            conn,
            scope,
            ComplianceSettings(
                tenant_id=scope.tenant_id,
                help_reply="Acme alerts: help at acme.example. Reply STOP to cancel.",
                opt_out_words=("Basta",),
            ),
        )
    await _inbound(db, recorder, scope, "HELP")
    await _inbound(db, recorder, scope, "please stop calling")  # not a keyword
    replies = await _replies(db, scope)
    assert [r.body for r in replies] == ["Acme alerts: help at acme.example. Reply STOP to cancel."]
    async with db.reader() as conn:
        assert await consent.opted_out_among(conn, scope, [HANDSET]) == set()
    await _inbound(db, recorder, scope, "basta")  # the tenant's own word
    async with db.reader() as conn:
        assert await consent.opted_out_among(conn, scope, [HANDSET]) == {HANDSET}


async def test_auto_replies_off_and_tenants_apart(db: Database) -> None:
    recorder, _ = _wired()
    scope, other = await _tenant(db, "A"), await _tenant(db, "B")
    async with db.transaction() as conn:
        await compliance.update_settings(
            conn, scope, ComplianceSettings(tenant_id=scope.tenant_id, auto_reply=False)
        )
    await _inbound(db, recorder, scope, "STOP")
    assert await _replies(db, scope) == []
    async with db.reader() as conn:
        assert await consent.opted_out_among(conn, scope, [HANDSET]) == {HANDSET}
        assert await consent.opted_out_among(conn, other, [HANDSET]) == set()


async def test_profile_inherits_its_organizations_settings(db: Database) -> None:
    recorder, _ = _wired()
    org = await _tenant(db)
    async with db.transaction() as conn:
        profile = await accounts.create_profile(conn, org.organization_id, "Shop")
        await compliance.update_settings(
            conn, org, ComplianceSettings(tenant_id=org.tenant_id, help_reply="Org help")
        )
    scope = Scope(org.organization_id, profile.id)
    await _inbound(db, recorder, scope, "info")
    assert [r.body for r in await _replies(db, scope)] == ["Org help"]


async def test_invalid_settings_are_refused_and_nothing_is_stored(db: Database) -> None:
    scope = await _tenant(db)
    bad = [
        ComplianceSettings(tenant_id=scope.tenant_id, opt_in_words=("stop",)),
        ComplianceSettings(tenant_id=scope.tenant_id, help_reply=""),
        ComplianceSettings(tenant_id=scope.tenant_id, help_reply="a\x00b"),
        ComplianceSettings(tenant_id=scope.tenant_id, help_words=("x" * 65,)),
    ]
    for settings in bad:
        async with db.transaction() as conn:
            with pytest.raises(InvalidComplianceSettings):
                await compliance.update_settings(conn, scope, settings)
    async with db.reader() as conn:
        assert await compliance.settings_for(conn, scope) == ComplianceSettings(scope.tenant_id)


async def test_marketing_waits_out_quiet_hours_and_transactional_goes(db: Database) -> None:
    _, policy = _wired()
    scope = await _tenant(db)
    async with db.transaction() as conn:
        await compliance.update_settings(
            conn,
            scope,
            ComplianceSettings(
                tenant_id=scope.tenant_id, quiet_hours={"US": QuietHours.parse("21:00-08:00")}
            ),
        )
    la = ZoneInfo("America/Los_Angeles")
    night = from_datetime(datetime(2026, 12, 1, 23, 0, tzinfo=la))
    morning = from_datetime(datetime(2026, 12, 2, 8, 0, tzinfo=la))
    to = ("+14155551234", "+33612345678")  # Paris has no window set: it goes at once

    async def send(category: str | None) -> list[Any]:
        spec = SendSpec(
            recipients=tuple(RecipientSpec(n) for n in to), text="Sale!", category=category
        )
        async with db.transaction() as conn:
            result = await messages.send(conn, policy, scope, spec, now=night)
        async with db.reader() as conn:
            found = await messages.get_many(conn, scope, [m.id for m in result.messages])
        return sorted(found, key=lambda m: to.index(m.to_number))

    us, fr = await send("marketing")
    assert (us.status, us.scheduled_at) == (Status.SCHEDULED.value, morning)
    assert fr.status == Status.QUEUED.value
    async with db.reader() as conn:
        acts = await activities.search(conn, scope, ActivityFilter(message_id=us.id), limit=5)
    held = [a for a in acts if a.activity.status == Status.SCHEDULED.value]
    assert "quiet hours (21:00-08:00 local time)" in (held[0].activity.description or "")
    assert all(m.status == Status.QUEUED.value for m in await send("transactional"))
    assert all(m.status == Status.QUEUED.value for m in await send(None))
    async with db.transaction() as conn:
        due = await conn.fetchval(_DUE, {"id": us.id})
    assert due == morning  # the dispatcher takes it when the window opens


async def test_a_number_not_in_service_is_suppressed(db: Database) -> None:
    recorder, policy = _wired()
    recorder.observers.append(CarrierSuppressor(consent.ConsentRecorder()))
    scope = await _tenant(db)
    spec = SendSpec(recipients=(RecipientSpec(HANDSET), RecipientSpec(OURS)), text="Hi")
    async with db.transaction() as conn:
        result = await messages.send(conn, policy, scope, spec)
    dead, alive = (m.id for m in result.messages)
    at = now_us()
    steps = [Status.PROCESSED, Status.ROUTED]
    async with db.transaction() as conn:
        await recorder.apply(conn, [Change(i, s, at) for i in (dead, alive) for s in steps])
        await recorder.apply(
            conn,
            [
                Change(dead, Status.REJECTED, at, reason_code=ReasonCode.INVALID_DESTINATION.value),
                Change(alive, Status.REJECTED, at, reason_code=ReasonCode.REJECTED.value),
            ],
        )
    async with db.reader() as conn:
        assert await consent.opted_out_among(conn, scope, [HANDSET, OURS]) == {HANDSET}
        (entry,) = await consent.suppressed(conn, scope, limit=10)
    assert entry.source is SuppressionSource.CARRIER
