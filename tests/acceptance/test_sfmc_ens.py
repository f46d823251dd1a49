"""SFMC Event Notification Service: callback handshake, subscriptions, signed events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest

from tests.acceptance.test_sfmc import create_definition, rest_client, token_for
from tests.support.databases import DbTarget
from tests.support.server import ServerProcess

PRIVATE = {"SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS": "true"}


class Receiver:
    """A callback URL on this machine that answers 200 and keeps what it was sent."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver.lock:
                    receiver.posts.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ens"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def events(self) -> list[tuple[dict[str, str], bytes, dict[str, Any]]]:
        """Every event delivery so far: headers, raw body, the one event in the array."""
        with self.lock:
            posts = list(self.posts)
        found: list[tuple[dict[str, str], bytes, dict[str, Any]]] = []
        for headers, body in posts:
            data = orjson.loads(body)
            if isinstance(data, list):
                found.extend((headers, body, event) for event in data)
        return found

    def handshake(self) -> dict[str, Any]:
        with self.lock:
            for _headers, body in self.posts:
                data = orjson.loads(body)
                if isinstance(data, dict) and "verificationKey" in data:
                    return dict(data)
        raise AssertionError("no verification payload received")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return PRIVATE


@pytest.fixture
def ens_server(server: ServerProcess) -> ServerProcess:
    return server


def signature(key: str, body: bytes) -> str:
    digest = hmac.new(base64.b64decode(key), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def wait_events(receiver: Receiver, wanted: set[tuple[str, str]], timeout: float = 30.0) -> Any:
    """Wait until events with these (eventCategoryType, messageKey) pairs arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = receiver.events()
        seen = {(e["eventCategoryType"], e["info"]["messageKey"]) for _h, _b, e in events}
        if wanted <= seen:
            return events
        time.sleep(0.1)
    raise AssertionError(f"missing events: {wanted - seen}")


def test_callback_handshake_subscription_and_signed_events(
    ens_server: ServerProcess, org: dict[str, str], db_target: DbTarget, receiver: Receiver
) -> None:
    token = token_for(ens_server, db_target, org["id"])
    with rest_client(token) as client:
        create_definition(client, "appt")
        create_definition(client, "other")
        created = client.post(
            "platform/v1/ens-callbacks",
            json=[{"callbackName": "cb1", "url": receiver.url, "maxBatchSize": 1000}],
        )
        assert created.status_code == 201, created.text
        (callback,) = created.json()
        assert set(callback) == {
            "callbackName",
            "callbackId",
            "url",
            "signatureKey",
            "maxBatchSize",
        }
        assert len(base64.b64decode(callback["signatureKey"])) == 32
        handshake = receiver.handshake()
        assert handshake["callbackId"] == callback["callbackId"]

        unverified = client.post(
            "platform/v1/ens-subscriptions",
            json=[
                {
                    "callbackId": callback["callbackId"],
                    "subscriptionName": "early",
                    "eventCategoryTypes": ["TransactionalSendEvents.SmsSent"],
                }
            ],
        )
        assert unverified.status_code == 400
        wrong = client.post(
            "platform/v1/ens-verify",
            json={"callbackId": callback["callbackId"], "verificationKey": "nope"},
        )
        assert wrong.status_code == 404
        verified = client.post("platform/v1/ens-verify", json=handshake)
        assert verified.status_code == 200, verified.text
        listed = client.get("platform/v1/ens-callbacks").json()
        assert [(c["callbackId"], c["status"]) for c in listed] == [
            (callback["callbackId"], "verified")
        ]

        types = [
            "TransactionalSendEvents.SmsSent",
            "TransactionalSendEvents.SmsDelivered",
            "TransactionalSendEvents.SmsBounced",
            "TransactionalSendEvents.SmsNotSent",
        ]
        subscribed = client.post(
            "platform/v1/ens-subscriptions",
            json=[
                {
                    "callbackId": callback["callbackId"],
                    "subscriptionName": "sms-status",
                    "eventCategoryTypes": types,
                    "filters": ["definitionKey=appt"],
                }
            ],
        )
        assert subscribed.status_code == 201, subscribed.text
        (subscription,) = subscribed.json()
        assert subscription["status"] == "active"
        assert subscription["filters"] == ["definitionKey=appt"]
        assert subscription["url"] == receiver.url
        by_cb = client.get(f"platform/v1/ens-subscriptions-by-cb/{callback['callbackId']}").json()
        assert [s["subscriptionId"] for s in by_cb] == [subscription["subscriptionId"]]
        refused = client.delete(f"platform/v1/ens-callbacks/{callback['callbackId']}")
        assert refused.status_code == 409

        recipients = [
            {"contactKey": "ok", "to": "14155551234", "messageKey": "m-delivered"},
            {"contactKey": "bad", "to": "14155550001", "messageKey": "m-bounced"},
        ]
        attrs = {"FirstName": "A", "password": "1"}
        for definition, prefix in (("appt", ""), ("other", "x-")):
            batch = [{**r, "messageKey": prefix + r["messageKey"]} for r in recipients]
            response = client.post(
                "messaging/v1/sms/messages",
                json={"definitionKey": definition, "recipients": batch, "attributes": attrs},
            )
            assert response.status_code == 202, response.text
            assert response.json()["errorcode"] == 0

        events = wait_events(
            receiver,
            {
                ("TransactionalSendEvents.SmsSent", "m-delivered"),
                ("TransactionalSendEvents.SmsDelivered", "m-delivered"),
                ("TransactionalSendEvents.SmsBounced", "m-bounced"),
            },
        )
        time.sleep(1.0)  # anything for the "other" definition would have arrived by now
        events = receiver.events()
        for headers, body, event in events:
            assert headers["x-sfmc-ens-signature"] == signature(callback["signatureKey"], body)
            assert event["definitionKey"] == "appt"
            assert not event["info"]["messageKey"].startswith("x-")
        delivered = next(
            e for _h, _b, e in events if e["eventCategoryType"].endswith("SmsDelivered")
        )
        assert delivered["info"]["statusCode"] == "4000"
        assert delivered["info"]["statusMessage"] == "Delivered"
        assert delivered["info"]["to"] == "14155551234"
        assert delivered["info"]["subscriberKey"] == "ok"
        assert delivered["info"]["fromAddress"] == "8201221"
        assert isinstance(delivered["timestampUTC"], int)
        assert isinstance(delivered["mid"], int)
        bounced = next(e for _h, _b, e in events if e["eventCategoryType"].endswith("SmsBounced"))
        assert bounced["info"]["statusCode"] == "4500"
        assert bounced["info"]["statusMessage"] == "Undeliverable"

        # pausing stops events; a new key signs what comes after
        paused = client.put(
            "platform/v1/ens-subscriptions",
            json=[{"subscriptionId": subscription["subscriptionId"], "status": "paused"}],
        )
        assert paused.json()[0]["status"] == "paused"
        regenerated = client.put(
            "platform/v1/ens-regenerate", json=[{"callbackId": callback["callbackId"]}]
        ).json()
        assert regenerated[0]["signatureKey"] != callback["signatureKey"]
        removed = client.delete(f"platform/v1/ens-subscriptions/{subscription['subscriptionId']}")
        assert removed.status_code == 200
        assert (
            client.get(
                f"platform/v1/ens-subscriptions/{subscription['subscriptionId']}"
            ).status_code
            == 404
        )
        assert (
            client.delete(f"platform/v1/ens-callbacks/{callback['callbackId']}").status_code == 200
        )


def test_callback_that_does_not_answer_is_refused(
    ens_server: ServerProcess, org: dict[str, str], db_target: DbTarget
) -> None:
    token = token_for(ens_server, db_target, org["id"])
    with rest_client(token) as client:
        response = client.post(
            "platform/v1/ens-callbacks",
            json=[{"callbackName": "dead", "url": "http://127.0.0.1:9/nothing-listens"}],
        )
        assert response.status_code == 400
        body = response.json()
        assert body["message"].startswith("MCMS_UWH_Runtime_GeneralFailure_probeCallbackLiveness")
        assert client.get("platform/v1/ens-callbacks").json() == []
        bad_url = client.post(
            "platform/v1/ens-callbacks",
            json=[{"callbackName": "q", "url": "https://example.com/?a=1"}],
        )
        assert bad_url.status_code == 400
    assert httpx.get(ens_server.url + "/platform/v1/ens-callbacks").status_code == 401
