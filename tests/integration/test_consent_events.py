"""Native ``recipient.opted_out`` / ``recipient.opted_in`` and ``message.received`` events,
written by every path that changes the suppression list or stores an inbound message, on
both databases: once per real change, only to the endpoints of the tenant it belongs to."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import bindparam, select, text

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.api.app import create_app
from signalpost.config import Settings
from signalpost.consent import service as consent
from signalpost.consent.schemas import ConsentChange, ConsentStatus
from signalpost.context import Context
from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.messages import service as messages
from signalpost.messages.inbound import InboundMessage, receive
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.messages.transitions import Change
from signalpost.storage import Connection, Database, Query, open_database
from signalpost.storage.tables import webhook_events as ev
from signalpost.timeutil import now_us
from tests.support.databases import DbTarget

_EVENTS = Query(
    select(ev.c.event_type, ev.c.payload, ev.c.message_id, ev.c.created_at).where(
        ev.c.endpoint_id == bindparam("endpoint")
    )
)
HOOK = "http://127.0.0.1:9/hook"  # never delivered here: no worker runs
A, B, C = "+14155550301", "+14155550302", "+14155550303"
OURS = "+14155550100"
CONSENT_TYPES = {"recipient.opted_out", "recipient.opted_in"}


@dataclass
class Tenant:
    scope: Scope
    api: httpx.AsyncClient
    key: str
    endpoint: str  # a native endpoint subscribed to every event


@pytest.fixture
async def ctx(db_target: DbTarget) -> AsyncIterator[Context]:
    settings = Settings(
        database_url=db_target.url,
        database_schema=db_target.schema,
        allow_private_webhooks=True,
        check_senders=False,
    )
    context = await Context.open(settings)
    yield context
    await context.close()


@pytest.fixture
async def clients() -> AsyncIterator[list[httpx.AsyncClient]]:
    opened: list[httpx.AsyncClient] = []
    yield opened
    for client in opened:
        await client.aclose()


async def _tenant(ctx: Context, clients: list[httpx.AsyncClient], name: str = "Acme") -> Tenant:
    async with ctx.db.transaction() as conn:
        org = await accounts.create_organization(conn, name)
        key = await accounts.create_api_key(conn, org.id, name="test")
    api = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(ctx)),  # type: ignore[arg-type]
        base_url="http://signalpost.test",
        headers={"Authorization": f"Bearer {key.api_key}"},
    )
    clients.append(api)
    return Tenant(Scope(org.id, None), api, key.api_key, await _endpoint(api))


async def _endpoint(api: httpx.AsyncClient, *types: str, **headers: str) -> str:
    response = await api.post(
        "/v1/webhooks", json={"url": HOOK, "event_types": list(types)}, headers=headers
    )
    assert response.status_code == 201, response.text
    endpoint_id: str = response.json()["id"]
    return endpoint_id


async def _events(ctx: Context, endpoint: str) -> list[dict[str, Any]]:
    """The endpoint's events in the order written (those written together by number): the
    body, and the message id the event row names."""
    async with ctx.db.reader() as conn:
        rows = await conn.fetch(_EVENTS, {"endpoint": endpoint})
    found = []
    for event_type, payload, message_id, created_at in rows:
        body: dict[str, Any] = orjson.loads(payload)
        assert body["type"] == event_type
        order = (created_at, body["data"].get("phone_number", ""))
        found.append((order, {**body, "message_id": message_id}))
    return [event for _, event in sorted(found, key=lambda pair: pair[0])]


def _consent(events: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    """``(type, number, source)`` of each consent event."""
    return [
        (e["type"], e["data"]["phone_number"], e["data"]["source"])
        for e in events
        if e["type"] in CONSENT_TYPES
    ]


async def test_the_api_opts_out_and_in_once_per_change(
    ctx: Context, clients: list[httpx.AsyncClient]
) -> None:
    acme = await _tenant(ctx, clients)
    other = await _tenant(ctx, clients, "Other")
    only_in = await _endpoint(acme.api, "recipient.opted_in")
    only_messages = await _endpoint(acme.api, "message")
    added = await acme.api.post(
        "/v1/suppressions", json={"phone_numbers": [A, B], "reason": "asked by phone"}
    )
    assert added.status_code == 201, added.text
    again = await acme.api.post("/v1/suppressions", json={"phone_numbers": [A]})
    assert again.status_code == 201, again.text  # already on the list: no change
    assert (await acme.api.delete(f"/v1/suppressions/{A}")).status_code == 204
    assert (await acme.api.delete(f"/v1/suppressions/{A}")).status_code == 404

    events = await _events(ctx, acme.endpoint)
    assert _consent(events) == [
        ("recipient.opted_out", A, "api"),
        ("recipient.opted_out", B, "api"),
        ("recipient.opted_in", A, "api"),
    ]
    first = events[0]
    assert first["data"] == {
        "phone_number": A,
        "status": "opted_out",
        "organization_id": acme.scope.organization_id,
        "profile_id": None,
        "reason": "asked by phone",
        "source": "api",
        "keyword": None,
        "message_id": None,
        "changed_at": first["timestamp"],
    }
    assert first["message_id"] is None
    assert events[2]["data"]["status"] == "active"
    assert events[2]["data"]["reason"] == "removed from the list"
    assert _consent(await _events(ctx, only_in)) == [("recipient.opted_in", A, "api")]
    assert await _events(ctx, only_messages) == []
    assert await _events(ctx, other.endpoint) == []  # another tenant's changes are not its


async def test_a_csv_import_emits_only_for_numbers_it_adds(
    ctx: Context, clients: list[httpx.AsyncClient]
) -> None:
    acme = await _tenant(ctx, clients)
    await acme.api.post("/v1/suppressions", json={"phone_numbers": [A]})
    csv = f"phone_number,reason\n{A},again\n{B},complained\n{C}\n{B},twice in the file\n"
    imported = await acme.api.post(
        "/v1/suppressions.csv", content=csv, headers={"content-type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["imported"] == 4
    events = await _events(ctx, acme.endpoint)
    assert _consent(events) == [
        ("recipient.opted_out", A, "api"),
        ("recipient.opted_out", B, "import"),
        ("recipient.opted_out", C, "import"),
    ]
    assert events[1]["data"]["reason"] == "complained"


async def test_a_profiles_changes_go_to_the_profiles_endpoints_only(
    ctx: Context, clients: list[httpx.AsyncClient]
) -> None:
    acme = await _tenant(ctx, clients)
    profile = (await acme.api.post("/v1/profiles", json={"name": "Shop"})).json()["id"]
    profile_endpoint = await _endpoint(acme.api, **{"x-profile-id": profile})
    added = await acme.api.post(
        "/v1/suppressions", json={"phone_numbers": [A]}, headers={"x-profile-id": profile}
    )
    assert added.status_code == 201, added.text
    [event] = await _events(ctx, profile_endpoint)
    assert event["type"] == "recipient.opted_out"
    assert event["data"]["organization_id"] == acme.scope.organization_id
    assert event["data"]["profile_id"] == profile
    assert await _events(ctx, acme.endpoint) == []
    # The organization's own entry is the organization's event.
    await acme.api.post("/v1/suppressions", json={"phone_numbers": [A]})
    [org_event] = await _events(ctx, acme.endpoint)
    assert org_event["data"]["profile_id"] is None
    assert len(await _events(ctx, profile_endpoint)) == 1


async def test_a_carrier_report_suppresses_once(
    ctx: Context, clients: list[httpx.AsyncClient]
) -> None:
    acme = await _tenant(ctx, clients)
    other = await _tenant(ctx, clients, "Other")
    spec = SendSpec(recipients=(RecipientSpec(A),), text="Hi", sender=OURS)

    async def rejected() -> None:
        async with ctx.db.transaction() as conn:
            result = await messages.send(conn, ctx.send_policy, acme.scope, spec)
            message_id = result.messages[0].id
            at = now_us()
            steps = [Status.PROCESSED, Status.ROUTED]
            await ctx.recorder.apply(conn, [Change(message_id, s, at) for s in steps])
            dead = ReasonCode.INVALID_DESTINATION.value
            await ctx.recorder.apply(
                conn, [Change(message_id, Status.REJECTED, at, reason_code=dead)]
            )

    await rejected()
    await acme.api.post("/v1/suppressions.csv", content=f"{A}\n")  # already there: no event
    assert (await acme.api.delete(f"/v1/suppressions/{A}")).status_code == 204
    await rejected()
    events = await _events(ctx, acme.endpoint)
    assert _consent(events) == [
        ("recipient.opted_out", A, "carrier"),
        ("recipient.opted_in", A, "api"),
        ("recipient.opted_out", A, "carrier"),
    ]
    opted_out = next(e for e in events if e["type"] == "recipient.opted_out")
    assert "not in service" in opted_out["data"]["reason"]
    assert {e["type"] for e in events} - CONSENT_TYPES <= {
        f"message.{s}" for s in ("queued", "rejected", "filtered")
    }
    assert await _events(ctx, other.endpoint) == []


async def test_an_inbound_keyword_is_received_then_changes_consent(
    ctx: Context, clients: list[httpx.AsyncClient]
) -> None:
    acme = await _tenant(ctx, clients)
    other = await _tenant(ctx, clients, "Other")

    async def inbound(text: str) -> str:
        item = InboundMessage(
            acme.scope.organization_id, acme.scope.tenant_id, A, OURS, text, now_us()
        )
        async with ctx.db.transaction() as conn:
            [message_id] = await receive(conn, ctx.recorder, [item])
        return message_id

    stop = await inbound(" Stop! ")
    again = await inbound("STOP")
    chat = await inbound("hello there")
    start = await inbound("start")
    events = [e for e in await _events(ctx, acme.endpoint) if e["type"] != "message.queued"]
    assert [(e["type"], e["message_id"]) for e in events] == [
        ("message.received", stop),
        ("recipient.opted_out", None),
        ("message.received", again),  # already opted out: no second change
        ("message.received", chat),
        ("message.received", start),
        ("recipient.opted_in", None),
    ]
    received = events[0]["data"]
    assert {k: received[k] for k in ("id", "from", "to", "text", "channel", "keyword")} == {
        "id": stop,
        "from": A,
        "to": OURS,
        "text": " Stop! ",
        "channel": "sms",
        "keyword": "opt_out",
    }
    assert received["organization_id"] == acme.scope.organization_id
    assert received["profile_id"] is None
    assert received["received_at"] == events[0]["timestamp"]
    assert received["activity"]["status"] == "received"
    assert received["activity"]["sequence"] == 1
    assert [e["data"]["keyword"] for e in events if e["type"] == "message.received"] == [
        "opt_out",
        "opt_out",
        None,
        "opt_in",
    ]
    opted_out = events[1]["data"]
    assert (opted_out["source"], opted_out["keyword"]) == ("keyword", "Stop!")
    assert opted_out["message_id"] == stop
    assert events[5]["data"]["keyword"] == "start"
    assert events[5]["data"]["message_id"] == start
    assert events[1]["timestamp"] >= events[0]["timestamp"]
    assert await _events(ctx, other.endpoint) == []


async def test_the_dialects_opt_outs_are_events_too(
    ctx: Context, clients: list[httpx.AsyncClient]
) -> None:
    acme = await _tenant(ctx, clients)
    sentdm = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(ctx)),  # type: ignore[arg-type]
        base_url="http://signalpost.test",
        headers={"x-api-key": acme.key},
    )
    clients.append(sentdm)
    created = await sentdm.post("/v3/contacts", json={"phone_number": A})
    assert created.status_code == 201, created.text
    contact = created.json()["data"]["id"]
    for _ in range(2):
        patched = await sentdm.patch(f"/v3/contacts/{contact}", json={"opt_out": True})
        assert patched.status_code == 200, patched.text

    listed = await acme.api.get("/v1/sms-recipients", params={"limit": 100})
    [recipient] = [r for r in listed.json()["data"] if r["number"] == A]
    for status in ("active", "active", "opt_out"):
        put = await acme.api.put(f"/v1/sms-recipients/{recipient['id']}", json={"status": status})
        assert put.status_code == 200, put.text

    assert _consent(await _events(ctx, acme.endpoint)) == [
        ("recipient.opted_out", A, "api"),
        ("recipient.opted_in", A, "api"),
        ("recipient.opted_out", A, "api"),
    ]


_BACKEND_PID = Query(text("SELECT pg_backend_pid()"))
# Only a wait on this test's own transaction counts: other tests may be running beside this
# one on the same database, in schemas of their own.
_BLOCKED = Query(
    text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND query LIKE '%consent_recipients%'"
        " AND CAST(:holder AS integer) = ANY(pg_blocking_pids(pid))"
    )
)


async def _blocked(database: Database, holder: int) -> None:
    """Return once a statement on the recipients waits for the lock of ``holder`` (the
    backend of another transaction)."""
    deadline = time.monotonic() + 60
    while True:
        async with database.reader() as conn:
            if await conn.fetchval(_BLOCKED, {"holder": holder}):
                return
        assert time.monotonic() < deadline, "the second opt-out never waited for the first"
        await asyncio.sleep(0.02)


async def test_concurrent_opt_outs_of_a_new_number_are_one_change(pg_target: DbTarget) -> None:
    """On PostgreSQL, where two transactions can opt the same number out at once."""
    database = open_database(pg_target.url, schema=pg_target.schema, pool_size=4)
    await database.connect()
    try:
        async with database.transaction() as conn:
            org = await accounts.create_organization(conn, "Acme")
        scope = Scope(org.id, None)
        seen: list[ConsentChange] = []

        async def observe(conn: Connection, changes: Sequence[ConsentChange]) -> None:
            seen.extend(changes)

        recorder = consent.ConsentRecorder([observe])
        written, release = asyncio.Event(), asyncio.Event()
        holder: list[int] = []

        async def opt_out(hold: bool) -> None:
            async with database.transaction() as conn:
                await consent.set_status_of_numbers(
                    conn, scope, [A], ConsentStatus.OPTED_OUT, recorder=recorder
                )
                if hold:
                    holder.append(await conn.fetchval(_BACKEND_PID))
                    written.set()
                    await release.wait()

        first = asyncio.create_task(opt_out(hold=True))
        await written.wait()
        second = asyncio.create_task(opt_out(hold=False))
        await _blocked(database, holder[0])
        release.set()
        await asyncio.gather(first, second)
        assert [(c.recipient.phone_number, c.opted_out) for c in seen] == [(A, True)]
    finally:
        await database.close()
