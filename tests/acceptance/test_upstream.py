"""Signalpost in front of Signalpost: a second server is the first one's upstream provider
over its sent.dm dialect (with its own simulator deciding each message's fate), an SMSC
simulator the failover route, on both databases.

The module shares one pair of servers per backend: the upstream, and in front of it a first
server routing each destination prefix to a provider of its own (sent.dm with webhooks,
sent.dm polled, MailerSend), each an organization of the upstream's; every test sends as a
new organization of the first.  The failover test stops its upstream, so it runs a pair of
its own."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from signalpost.storage import Query, open_database
from signalpost.storage.migrate import upgrade
from signalpost.storage.tables import activities, messages
from tests.acceptance.test_smpp_acceptance import control, smsc_process
from tests.support.databases import DbTarget, copy_sqlite, drop_schema
from tests.support.sentdm import signed_event
from tests.support.server import ServerProcess, add_number, create_org, free_port, running_server

pytestmark = pytest.mark.slow

EXPECTED = {
    "0001": ("failed", "DELIVERY_001"),
    "0002": ("rejected", "DELIVERY_003"),
    "0003": ("expired", "DELIVERY_002"),
    "0004": ("delivered", None),  # refused twice at the upstream's own carrier, then delivered
}
SMS = ["+14155550001", "+14155550002", "+14155550003", "+14155550004", "+14155551234"]
WHATSAPP = "+14155556789"


@contextmanager
def upstream_database(
    first: DbTarget, directory: Path, sqlite_template: Path
) -> Iterator[DbTarget]:
    """The upstream's own database, on the same backend as the first server's."""
    if first.backend == "sqlite":
        directory.mkdir()
        yield copy_sqlite(sqlite_template, directory)
        return
    assert first.schema is not None
    target = DbTarget(first.url, f"{first.schema}_up")
    asyncio.run(drop_schema(target.url, target.schema or ""))
    upgrade(target.url, target.schema)  # before the server starts: it has a health deadline
    yield target
    asyncio.run(drop_schema(target.url, target.schema or ""))


@pytest.fixture
def upstream_db(db_target: DbTarget, tmp_path: Path, sqlite_template: Path) -> Iterator[DbTarget]:
    with upstream_database(db_target, tmp_path / "upstream", sqlite_template) as target:
        yield target


def expected(number: str, channel: str) -> tuple[str, str | None]:
    if channel == "whatsapp":
        return ("read", None)
    return EXPECTED.get(number[-4:], ("delivered", None))


def carriers_file(
    tmp: Path, up: ServerProcess, key: str, *, smsc: int | None = None, **extra: Any
) -> Path:
    settings = {"poll_after_seconds": 3600, "poll_interval_seconds": 0.2, **extra}
    lines = "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in settings.items())
    path = tmp / "carriers.toml"
    text = f"""
[[providers]]
name = "upstream"
kind = "sentdm"
base_url = "{up.url}"
api_key = "{key}"
timeout_seconds = 5
failure_threshold = 3
open_seconds = 1
allow_private = true  # the upstream listens on loopback
{lines}
"""
    if smsc is not None:
        text += f"""
[[connections]]
name = "smsc"
host = "127.0.0.1"
port = {smsc}
system_id = "signalpost"
password = "secret"
reconnect_min_seconds = 0.05
reconnect_max_seconds = 0.5
"""
    sms_route = '["upstream", "smsc"]' if smsc is not None else '["upstream"]'
    text += f"""
[[routes]]
prefix = ""
connections = {sms_route}
channels = ["sms"]

[[routes]]
prefix = ""
connections = ["upstream"]
channels = ["whatsapp"]
"""
    path.write_text(text)
    return path


def first_env(config: Path) -> dict[str, str]:
    return {
        "SIGNALPOST_CARRIER": "smpp",
        "SIGNALPOST_SMPP_CONFIG": str(config),
        "SIGNALPOST_MAX_SUBMIT_ATTEMPTS": "500",
        "SIGNALPOST_RETRY_MAX_SECONDS": "0.5",
    }


UPSTREAM_ENV = {
    "SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS": "true",
    "SIGNALPOST_SENTDM_RATE_LIMIT": "100000/minute",  # submits and polls of a whole run
}


def register_webhook(up: ServerProcess, key: str, url: str) -> str:
    with up.client() as client:
        response = client.post(
            "/v3/webhooks",
            headers={"x-api-key": key},
            json={"display_name": "downstream", "endpoint_url": url, "event_types": ["message"]},
        )
        assert response.status_code == 201, response.text
        secret: str = response.json()["data"]["signing_secret"]
        return secret


def send(server: ServerProcess, key: str, to: list[str], channel: str = "sms") -> list[str]:
    with server.client(key) as client:
        response = client.post(
            "/v1/messages", json={"to": to, "text": "Hello", "channels": [channel]}
        )
        assert response.status_code == 202, response.text
        return [m["id"] for m in response.json()["messages"]]


async def _rows(db: DbTarget, stmt: Any) -> list[Any]:
    database = open_database(db.url, schema=db.schema, pool_size=2)
    await database.connect()
    try:
        async with database.reader() as conn:
            return list(await conn.fetch(Query(stmt)))
    finally:
        await database.close()


def rows(db: DbTarget, ids: list[str]) -> list[Any]:
    m = messages.c
    stmt = select(
        m.id, m.to_number, m.channel, m.status, m.reason_code, m.carrier, m.carrier_message_id
    )
    wanted = set(ids)
    return [r for r in asyncio.run(_rows(db, stmt)) if r["id"] in wanted]


def wait_final(db: DbTarget, ids: list[str], timeout: float = 120) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = rows(db, ids)
        pending = [r for r in found if r["status"] != expected(r["to_number"], r["channel"])[0]]
        if len(found) == len(ids) and not pending:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not final: {[dict(r) for r in pending[:5]]}")
        time.sleep(0.2)


def check_final(found: list[Any]) -> None:
    for r in found:
        assert (r["status"], r["reason_code"]) == expected(r["to_number"], r["channel"]), dict(r)
        assert r["carrier_message_id"], dict(r)


def upstream_statuses(db: DbTarget) -> dict[str, str]:
    m = messages.c
    return {r["id"]: r["status"] for r in asyncio.run(_rows(db, select(m.id, m.status)))}


@dataclass
class Relay:
    """The module's pair: ``first`` sends through ``up``, its upstream."""

    up: ServerProcess
    up_db: DbTarget
    first: ServerProcess
    first_db: DbTarget
    secret: str  # the signing secret of the upstream's events to ``first``
    receiver: dict[str, str]  # the organization that owns what arrives on RECEIVING_NUMBER


POLLED = "+1212"  # the prefix routed to the polled sent.dm provider
MAILED = "+1646"  # the prefix routed to MailerSend
SENDING_NUMBER = "+18332647501"
RECEIVING_NUMBER = "+18332647502"


def relay_file(
    tmp: Path,
    up: ServerProcess,
    hooked: dict[str, str],
    polled: str,
    mailer: dict[str, str],
    receiver: str,
) -> Path:
    """The first server's carriers: three providers on the one upstream, one per prefix."""
    path = tmp / "carriers.toml"
    path.write_text(
        f"""
[[providers]]
name = "upstream"
kind = "sentdm"
base_url = "{up.url}"
api_key = "{hooked["api_key"]}"
webhook_secret = "{hooked["secret"]}"
timeout_seconds = 5
poll_after_seconds = 3600
allow_private = true  # the upstream listens on loopback
inbound_numbers = {{ "{RECEIVING_NUMBER}" = {{ organization_id = "{receiver}" }} }}

[[providers]]
name = "polled"
kind = "sentdm"
base_url = "{up.url}"
api_key = "{polled}"
timeout_seconds = 5
poll_after_seconds = 0.3
poll_interval_seconds = 0.2
allow_private = true

[[providers]]
name = "ms"
kind = "mailersend"
base_url = "{up.url}"
api_key = "{mailer["api_key"]}"
webhook_secret = "{mailer["secret"]}"
default_sender = "{SENDING_NUMBER}"
poll_after_seconds = 3600
allow_private = true

[[routes]]
prefix = ""
connections = ["upstream"]
channels = ["sms", "whatsapp"]

[[routes]]
prefix = "{POLLED}"
connections = ["polled"]
channels = ["sms", "whatsapp"]

[[routes]]
prefix = "{MAILED}"
connections = ["ms"]
channels = ["sms"]
"""
    )
    return path


@pytest.fixture(scope="module")
def relay(
    shared_target: DbTarget, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Relay]:
    tmp = tmp_path_factory.mktemp("relay")
    with ExitStack() as stack:
        up_db = stack.enter_context(upstream_database(shared_target, tmp / "up", sqlite_template))
        up = stack.enter_context(running_server(up_db, tmp, extra_env=UPSTREAM_ENV))
        port = free_port()
        events = f"http://127.0.0.1:{port}/carriers"
        hooked = create_org(up_db, "Upstream")
        hooked["secret"] = register_webhook(up, hooked["api_key"], f"{events}/upstream/events")
        polled = create_org(up_db, "Polled")["api_key"]  # no webhook: its statuses are polled
        mailer = create_org(up_db, "Mailer")
        add_number(up_db, mailer["id"], SENDING_NUMBER)
        mailer["secret"] = mailersend_webhook(up, mailer["api_key"], f"{events}/ms/events")
        receiver = create_org(shared_target, "Receiver")
        config = relay_file(tmp, up, hooked, polled, mailer, receiver["id"])
        env = first_env(config)
        first = stack.enter_context(running_server(shared_target, tmp, extra_env=env, port=port))
        yield Relay(up, up_db, first, shared_target, hooked["secret"], receiver)


def numbers(prefix: str) -> list[str]:
    """A destination of each simulated fate under ``prefix``."""
    return [f"{prefix}{n[len(prefix) :]}" for n in SMS]


def test_final_statuses_arrive_by_signed_webhooks(relay: Relay) -> None:
    key = create_org(relay.first_db, "Acme")["api_key"]
    ids = send(relay.first, key, SMS) + send(relay.first, key, [WHATSAPP], "whatsapp")
    found = wait_final(relay.first_db, ids)
    check_final(found)
    assert {r["carrier"] for r in found} == {"upstream"}
    at_upstream = upstream_statuses(relay.up_db)
    for r in found:  # the provider's id is its message, in the same final state
        assert at_upstream[r["carrier_message_id"]] == r["status"]


def test_polling_completes_messages_without_webhooks(relay: Relay) -> None:
    key = create_org(relay.first_db, "Acme")["api_key"]
    whatsapp = POLLED + WHATSAPP[len(POLLED) :]
    ids = send(relay.first, key, numbers(POLLED)) + send(relay.first, key, [whatsapp], "whatsapp")
    found = wait_final(relay.first_db, ids)
    check_final(found)
    assert {r["carrier"] for r in found} == {"polled"}


def test_events_with_a_bad_signature_are_refused(relay: Relay) -> None:
    headers = {
        "x-webhook-id": "evt",
        "x-webhook-timestamp": str(int(time.time())),
        "x-webhook-signature": "v1,bm90IGl0",
    }
    with httpx.Client(base_url=relay.first.url) as client:
        bad = client.post("/carriers/upstream/events", content=b"{}", headers=headers)
        unknown = client.post("/carriers/nobody/events", content=b"{}", headers=headers)
    assert bad.status_code == 401, bad.text
    assert unknown.status_code == 404, unknown.text


def _received_event(secret: str, event_id: str, to: str, text: str) -> tuple[dict[str, str], bytes]:
    """A ``message.received`` event as sent.dm signs it (the contact wrote to our ``to``)."""
    event = {
        "field": "message",
        "event": "message.received",
        "timestamp": "2026-03-11T20:00:01Z",
        "payload": {
            "account_id": "550e8400-e29b-41d4-a716-446655440000",
            "message_id": event_id,
            "channel": "sms",
            "inbound_number": "+14155550199",
            "outbound_number": to,
            "text": text,
            "received_at": "2026-03-11T20:00:00Z",
        },
    }
    return signed_event(secret, event, webhook_id="wh-received")


def test_messages_the_upstream_received_are_stored_once_for_their_owner(relay: Relay) -> None:
    """sent.dm's ``message.received``: stored as ``received`` for the organization the
    provider's ``inbound_numbers`` names, once however often the event is delivered; an
    event for a number nobody owns is answered 503 (the provider delivers it again)."""
    event_id = f"in-{time.monotonic_ns()}"
    headers, body = _received_event(relay.secret, event_id, RECEIVING_NUMBER, "Hello there")
    with httpx.Client(base_url=relay.first.url) as client:
        answers = [client.post("/carriers/upstream/events", content=body, headers=headers)]
        answers.append(client.post("/carriers/upstream/events", content=body, headers=headers))
        headers, body = _received_event(relay.secret, event_id + "x", "+18332647599", "Hi")
        unowned = client.post("/carriers/upstream/events", content=body, headers=headers)
        auth = {"Authorization": f"Bearer {relay.receiver['api_key']}"}
        listed = client.get("/v1/messages", params={"status": "received"}, headers=auth)
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    assert answers[0].json() == {"received": 1}
    assert unowned.status_code == 503, unowned.text
    assert unowned.json()["error"]["code"] == "no_inbound_owner"
    assert listed.status_code == 200, listed.text
    found = [m for m in listed.json()["data"] if m["from"] == "+14155550199"]
    assert len(found) == 1, found
    assert (found[0]["to"], found[0]["text"]) == (RECEIVING_NUMBER, "Hello there")
    assert found[0]["created_at"].startswith("2026-03-11T20:00:00")


def test_mailersend_final_statuses_arrive_by_its_signed_webhooks(relay: Relay) -> None:
    key = create_org(relay.first_db, "Acme")["api_key"]
    found = wait_final(relay.first_db, send(relay.first, key, numbers(MAILED)))
    check_final(found)
    assert {r["carrier"] for r in found} == {"ms"}


def test_stopping_the_upstream_fails_over_to_smpp_and_back(
    db_target: DbTarget, upstream_db: DbTarget, tmp_path: Path
) -> None:
    with ExitStack() as stack:
        smsc_port, ctl = stack.enter_context(smsc_process(tmp_path, "--receipt-delay-ms", "50"))
        up_port, port = free_port(), free_port()
        up = stack.enter_context(
            running_server(upstream_db, tmp_path, extra_env=UPSTREAM_ENV, port=up_port)
        )
        up_key = create_org(upstream_db, "Upstream")["api_key"]
        secret = register_webhook(up, up_key, f"http://127.0.0.1:{port}/carriers/upstream/events")
        config = carriers_file(
            tmp_path, up, up_key, webhook_secret=secret, poll_after_seconds=2, smsc=smsc_port
        )
        org = create_org(db_target, "Acme")
        first = stack.enter_context(
            running_server(db_target, tmp_path, extra_env=first_env(config), port=port)
        )
        numbers = [f"+1415{200 + i // 50}{1000 + i % 50}" for i in range(300)]
        before = send(first, org["api_key"], numbers[:100])
        wait_until(lambda: any(r["carrier"] == "upstream" for r in rows(db_target, before)))
        up.process.send_signal(signal.SIGKILL)  # mid-run
        up.process.wait(10)
        during = send(first, org["api_key"], numbers[100:200])
        found = wait_final(db_target, during)
        assert {r["carrier"] for r in found} == {"smsc"}
        moved = asyncio.run(_rows(db_target, select(activities.c.reason)))
        assert any("failing over to smsc" in (r["reason"] or "") for r in moved)
        stack.enter_context(
            running_server(upstream_db, tmp_path, extra_env=UPSTREAM_ENV, port=up_port)
        )
        probes: list[str] = []
        wait_until(lambda: probe(first, org["api_key"], db_target, probes) == "upstream")
        after = send(first, org["api_key"], numbers[200:])
        found = wait_final(db_target, before + during + after + probes)
        check_final(found)
        assert {r["carrier"] for r in rows(db_target, after)} == {"upstream"}
        # nothing lost, nothing twice: every destination went out exactly once
        smsc_stats = control(ctl, {"cmd": "stats"})
        assert smsc_stats["destinations_accepted_twice"] == 0
        at_upstream = asyncio.run(_rows(upstream_db, select(messages.c.to_number)))
        upstream_numbers = [r["to_number"] for r in at_upstream]
        assert len(upstream_numbers) == len(set(upstream_numbers))
        via_smsc = {r["to_number"] for r in found if r["carrier"] == "smsc"}
        assert not via_smsc & set(upstream_numbers)
        assert len(via_smsc) == smsc_stats["accepted"]


def wait_until(condition: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def probe(server: ServerProcess, key: str, db: DbTarget, sent: list[str]) -> str:
    """Send one message and tell which carrier took it."""
    [mid] = send(server, key, [f"+1415301{1000 + len(sent):04d}"])
    sent.append(mid)
    wait_until(lambda: rows(db, [mid])[0]["status"] in ("sent", "delivered"))
    carrier: str = rows(db, [mid])[0]["carrier"]
    return carrier


def mailersend_webhook(up: ServerProcess, token: str, url: str) -> str:
    with up.client(token) as client:
        numbers = client.get("/v1/sms-numbers")
        assert numbers.status_code == 200, numbers.text
        [number] = numbers.json()["data"]
        response = client.post(
            "/v1/sms-webhooks",
            json={
                "sms_number_id": number["id"],
                "name": "downstream",
                "url": url,
                "events": ["sms.sent", "sms.delivered", "sms.failed"],
            },
        )
        assert response.status_code == 201, response.text
        secret: str = response.json()["data"]["signing_secret"]
        return secret
