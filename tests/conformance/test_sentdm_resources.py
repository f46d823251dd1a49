"""sent.dm v3 conformance beyond sending: webhooks, templates, contacts, accounts.

Webhook deliveries are received by a small HTTP server in the test process and verified
with sent.dm's documented algorithm, written out here independently of the server's code:
strip ``whsec_``, base64-decode the key, HMAC-SHA256 over ``{webhook id}.{timestamp}.{raw
body}``, base64, compare with the ``v1,`` value of ``x-webhook-signature``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
import sent_dm

from tests.conformance.test_sentdm import Sdk, error_of, sdk, wait_final
from tests.support.databases import DbTarget
from tests.support.server import ServerProcess, create_org, create_profile

__all__ = ["sdk"]  # the fixture, shared with the messages suite

# The pinned SDK marks some resource methods (profiles, contacts.delete) deprecated; the
# API still serves them, and clients still call them.
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


class Receiver:
    """Collects what webhook deliveries POST to it."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver.lock:
                    receiver.received.append(
                        ({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def events(self) -> list[tuple[dict[str, str], dict[str, Any], bytes]]:
        with self.lock:
            return [(h, orjson.loads(b), b) for h, b in self.received]

    def wait_for(self, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done([body for _, body, _ in self.events()]):
                return
            time.sleep(0.1)
        raise AssertionError(f"webhooks not received in time: {self.events()}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    found.thread.start()
    yield found
    found.http.shutdown()
    found.http.server_close()


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """The module's server may deliver webhooks to this machine's loopback receiver."""
    return {
        "SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS": "true",
        "SIGNALPOST_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    }


@pytest.fixture
def hooked(server: ServerProcess) -> ServerProcess:
    return server


def signature_ok(secret: str, headers: dict[str, str], body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['x-webhook-id']}.{headers['x-webhook-timestamp']}.".encode() + body
    digest = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    values = [v.removeprefix("v1,") for v in headers["x-webhook-signature"].split(" ")]
    return any(hmac.compare_digest(v, digest) for v in values)


def test_webhooks_receive_signed_events(
    sdk: Sdk, hooked: ServerProcess, org: dict[str, str], receiver: Receiver
) -> None:
    client = sdk(hooked, org["api_key"])
    created = client.webhooks.create(
        display_name="Receipts",
        endpoint_url=receiver.url,
        event_types=["message"],
        retry_count=3,
        timeout_seconds=30,
    ).data
    assert created is not None
    assert created.id is not None
    assert created.signing_secret is not None
    assert created.signing_secret.startswith("whsec_")
    assert created.is_active is True
    assert created.customer_id == org["id"]
    assert created.event_types == ["message"]
    assert created.retry_count == 3
    secret, webhook_id = created.signing_secret, created.id

    sent = client.messages.send(to=["+14155551234", "+14155550001"], channel=["sms"], text="Hi")
    ids = [str(r.message_id) for r in (sent.data and sent.data.recipients) or []]
    wait_final(client, ids)
    good, bad = ids

    def complete(bodies: list[dict[str, Any]]) -> bool:
        names = {(b["payload"]["message_id"], b["event"]) for b in bodies}
        return (good, "message.delivered") in names and (bad, "message.failed") in names

    receiver.wait_for(complete)
    events = receiver.events()
    for headers, body, raw in events:
        assert signature_ok(secret, headers, raw), headers
        assert headers["x-webhook-id"] == webhook_id
        assert headers["x-webhook-event-type"] == "message"
        assert abs(int(headers["x-webhook-timestamp"]) - time.time()) < 300
        assert body["field"] == "message"
        assert body["event"] == body["sub_type"]
        assert body["payload"]["account_id"] == org["id"]
        assert body["payload"]["message_status"] == body["event"].split(".")[1].upper()
    event_ids = [h["x-webhook-event-id"] for h, _, _ in events]
    assert len(set(event_ids)) == len(event_ids)
    good_events = [b["event"] for _, b, _ in events if b["payload"]["message_id"] == good]
    # Deliveries run concurrently, so arrival order is not the order of the steps.
    assert sorted(good_events) == sorted(
        ["message.queued", "message.routed", "message.sent", "message.delivered"]
    )
    failed = next(b for _, b, _ in events if b["event"] == "message.failed")
    assert failed["payload"]["reason_code"] == "DELIVERY_001"
    assert failed["payload"]["reason"]
    assert failed["payload"]["outbound_number"] == "+14155550001"
    assert failed["payload"]["body"] == "Hi"
    assert failed["payload"]["channel"] == "sms"

    log = list(client.webhooks.list_events(webhook_id, page_size=2))
    assert len(log) == len(events)
    assert all(e.delivery_status == "DELIVERED" for e in log)
    assert log[0].http_status_code == 200
    assert log[0].event_data is not None

    tested = client.webhooks.test(webhook_id, event_type="message").data
    assert tested is not None
    assert tested.success is True
    rotated = client.webhooks.rotate_secret(webhook_id).data
    assert rotated is not None
    assert rotated.signing_secret not in (None, secret)
    client.webhooks.test(webhook_id, event_type="message")
    last_headers, last_body, last_raw = receiver.events()[-1]
    assert last_body["event"] == "message.test"
    assert signature_ok(str(rotated.signing_secret), last_headers, last_raw)
    assert not signature_ok(secret, last_headers, last_raw)

    off = client.webhooks.toggle_status(webhook_id, is_active=False).data
    assert off is not None
    assert off.is_active is False
    renamed = client.webhooks.update(webhook_id, display_name="Renamed").data
    assert renamed is not None
    assert renamed.display_name == "Renamed"
    assert renamed.is_active is False
    assert [w.id for w in client.webhooks.list(is_active=False)] == [webhook_id]
    assert list(client.webhooks.list(is_active=True)) == []
    types = client.webhooks.list_event_types().data
    assert types is not None
    assert types.event_types
    assert types.event_types[0].name == "message"
    client.webhooks.delete(webhook_id)
    with pytest.raises(sent_dm.NotFoundError) as gone:
        client.webhooks.retrieve(webhook_id)
    assert error_of(gone)["code"] == "RESOURCE_008"
    with pytest.raises(sent_dm.BadRequestError) as bad_range:
        client.webhooks.create(endpoint_url=receiver.url, event_types=["message"], retry_count=9)
    assert error_of(bad_range)["code"] == "VALIDATION_005"


def test_templates_by_name_with_parameters(
    sdk: Sdk, server: ServerProcess, org: dict[str, str]
) -> None:
    client = sdk(server, org["api_key"])
    definition: Any = {
        "body": {"multiChannel": {"template": "Hello {{0:name}}, welcome aboard", "type": "text"}}
    }
    made = client.templates.create(definition=definition, category="UTILITY").data
    assert made is not None
    assert made.id
    assert made.name == "Hello welcome aboard"
    assert made.variables == ["name"]
    assert made.status == "APPROVED"
    assert made.customer_id == org["id"]
    sent = client.messages.send(
        to=["+14155551234"],
        channel=["sms"],
        template={"name": "Hello welcome aboard", "parameters": {"name": "Ann"}},
    ).data
    assert sent is not None
    assert sent.template_id == made.id
    assert sent.template_name == made.name
    recipient = (sent.recipients or [])[0]
    assert recipient.body == "Hello Ann, welcome aboard"
    status = client.messages.retrieve_status(str(recipient.message_id)).data
    assert status is not None
    assert status.template_category == "UTILITY"
    with pytest.raises(sent_dm.BadRequestError) as missing:
        client.messages.send(to=["+14155551234"], template={"id": made.id})
    assert error_of(missing)["code"] == "VALIDATION_001"
    second = client.templates.create(definition=definition, category="MARKETING").data
    assert second is not None
    assert second.name == "Hello welcome aboard (2)"
    listed = list(client.templates.list(page_size=1))
    assert {t.id for t in listed} == {made.id, second.id}
    assert list(client.templates.list(category="MARKETING")) == [second]
    renamed = client.templates.update(str(made.id), name="Welcome").data
    assert renamed is not None
    assert renamed.name == "Welcome"
    client.templates.delete(str(made.id))
    with pytest.raises(sent_dm.NotFoundError) as gone:
        client.templates.retrieve(str(made.id))
    assert error_of(gone)["code"] == "RESOURCE_002"


def test_contacts_opt_out_filters_and_rejects(
    sdk: Sdk, server: ServerProcess, org: dict[str, str]
) -> None:
    client = sdk(server, org["api_key"])
    contact = client.contacts.create(phone_number="+14155550042").data
    assert contact is not None
    assert contact.format_international == "+1 415-555-0042"
    assert contact.opt_out is False
    assert contact.region_code == "US"
    updated = client.contacts.update(str(contact.id), opt_out=True, default_channel="whatsapp").data
    assert updated is not None
    assert updated.opt_out is True
    assert updated.default_channel == "whatsapp"
    with pytest.raises(sent_dm.UnprocessableEntityError) as rejected:
        client.messages.send(to=["+14155550042"], text="no")
    assert error_of(rejected)["code"] == "BUSINESS_004"
    sent = client.messages.send(to=["+14155550042", "+14155551234"], text="auto").data
    assert sent is not None
    by_number = {r.to: r for r in sent.recipients or []}
    assert all(r.channel is None and r.body is None for r in by_number.values())
    stopped = client.messages.retrieve_status(str(by_number["+14155550042"].message_id)).data
    assert stopped is not None
    assert stopped.status == "filtered"
    assert stopped.reason_code == "CONSENT_001"
    assert stopped.contact_id == contact.id
    assert stopped.channel == "whatsapp"  # auto-detect used the contact's default channel
    listed = list(client.contacts.list(phone="+14155550042"))
    assert [c.id for c in listed] == [contact.id]
    assert {c.phone_number for c in client.contacts.list()} == {"+14155550042", "+14155551234"}
    client.contacts.delete(str(contact.id))
    with pytest.raises(sent_dm.NotFoundError) as gone:
        client.contacts.retrieve(str(contact.id))
    assert error_of(gone)["code"] == "RESOURCE_001"


def test_me_and_profiles(
    sdk: Sdk, server: ServerProcess, org: dict[str, str], db_target: DbTarget
) -> None:
    child = create_profile(db_target, org["id"], "Support")
    client = sdk(server, org["api_key"])
    me = client.me.retrieve().data
    assert me is not None
    assert me.type == "organization"
    assert me.id == org["id"]
    assert me.name == "Acme"
    assert [p.id for p in me.profiles or []] == [child["id"]]
    assert me.channels is not None
    assert me.channels.sms is not None
    assert me.channels.sms.configured
    as_child = client.me.retrieve(x_profile_id=child["id"]).data
    assert as_child is not None
    assert as_child.type == "profile"
    assert as_child.id == child["id"]
    assert as_child.organization_id == org["id"]
    profiles = client.profiles.list().data
    assert profiles is not None
    assert [p.id for p in profiles.profiles or []] == [child["id"]]
    detail = client.profiles.retrieve(child["id"]).data
    assert detail is not None
    assert detail.name == "Support"
    other = create_org(db_target, "Other")
    with pytest.raises(sent_dm.NotFoundError) as hidden:
        sdk(server, other["api_key"]).profiles.retrieve(child["id"])
    assert error_of(hidden)["code"] == "RESOURCE_004"
