"""Opt-out keywords and channel routes end to end over SMPP: a real server and a real
``signalpost smsc-sim`` delivering mobile-originated messages, on both databases."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from standardwebhooks import Webhook

from tests.acceptance.test_smpp_acceptance import control, smpp_env, smsc_process
from tests.support.databases import DbTarget
from tests.support.server import create_org, running_server
from tests.support.waiting import eventually
from tests.support.webhook_receiver import Receiver, running_receiver

HANDSET = "+14155557001"
OTHER = "+14155557002"
OURS = "+14155550100"
FINAL = {"delivered", "failed", "expired", "rejected", "blocked", "filtered", "cancelled"}


def _until(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _final(client: httpx.Client, message_id: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/v1/messages/{message_id}").json()
        return body if body["status"] in FINAL else None

    found: dict[str, Any] = _until(f"{message_id} final", check)
    return found


def _send(client: httpx.Client, to: str, text: str = "Your code is 123456") -> dict[str, Any]:
    response = client.post("/v1/messages", json={"to": [to], "text": text, "from": OURS})
    assert response.status_code == 202, response.text
    created: dict[str, Any] = response.json()["messages"][0]
    return created


def _replies(client: httpx.Client) -> list[dict[str, Any]]:
    listed = client.get("/v1/messages", params={"to": HANDSET, "limit": 100}).json()["data"]
    return [m for m in listed if m["from"] == OURS and m["text"] != "Your code is 123456"]


def _opted_out(server_url: str, api_key: str) -> set[str]:
    with httpx.Client(base_url=server_url, headers={"Authorization": f"Bearer {api_key}"}) as ms:
        listed = ms.get("/v1/sms-recipients", params={"status": "opt_out"}).json()["data"]
    return {r["number"] for r in listed}


def test_stop_start_help_over_smpp(
    db_target: DbTarget, tmp_path: Path, org: dict[str, str]
) -> None:
    with (
        smsc_process(tmp_path, "--receipt-delay-ms", "20") as (port, ctl),
        running_server(db_target, tmp_path, extra_env=smpp_env(tmp_path, port, org["id"])) as srv,
        srv.client(org["api_key"]) as client,
    ):
        assert _final(client, _send(client, HANDSET)["id"])["status"] == "delivered"

        control(ctl, {"cmd": "mo", "from": HANDSET, "to": OURS, "text": "Stop"})
        _until("the opt-out", lambda: HANDSET in _opted_out(srv.url, org["api_key"]))
        confirmation = _until("the confirmation", lambda: _replies(client))
        assert "unsubscribed" in confirmation[0]["text"]
        assert _final(client, confirmation[0]["id"])["status"] == "delivered"

        submits = control(ctl, {"cmd": "stats"}).get("submit_sm", 0)
        blocked = _send(client, HANDSET)
        assert blocked["status"] == "filtered"
        body = client.get(f"/v1/messages/{blocked['id']}").json()
        assert body["reason_code"] == "CONSENT_001"
        assert float(body["price"]) == 0
        # a later message to someone else is delivered: the blocked one never went out
        assert _final(client, _send(client, OTHER)["id"])["status"] == "delivered"
        assert control(ctl, {"cmd": "stats"}).get("submit_sm", 0) == submits + 1

        control(ctl, {"cmd": "mo", "from": HANDSET, "to": OURS, "text": "START"})
        _until("the opt-in", lambda: HANDSET not in _opted_out(srv.url, org["api_key"]))
        assert _final(client, _send(client, HANDSET)["id"])["status"] == "delivered"

        help_text = "Acme alerts: help at acme.example or 0800 123. Reply STOP to cancel."
        configured = client.put("/v1/compliance", json={"help_reply": help_text})
        assert configured.status_code == 200, configured.text
        assert "help" in configured.json()["keywords"]["help"]
        clash = client.put("/v1/compliance", json={"opt_in_words": ["Stop"]})
        assert clash.status_code == 422, clash.text
        assert "stop" in clash.json()["error"]["details"]["keywords"][0]
        assert client.get("/v1/compliance").json()["help_reply"] == help_text  # kept
        control(ctl, {"cmd": "mo", "from": HANDSET, "to": OURS, "text": "help"})
        _until("the help answer", lambda: [r for r in _replies(client) if r["text"] == help_text])
        assert HANDSET not in _opted_out(srv.url, org["api_key"])  # HELP changes nothing


WEBHOOK_ENV = {
    "SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS": "true",
    "SIGNALPOST_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    "SIGNALPOST_WEBHOOK_RETRY_MAX_SECONDS": "1",
    "SIGNALPOST_WEBHOOK_POLL_INTERVAL": "0.02",
}


def _endpoint(client: httpx.Client, url: str, *types: str) -> str:
    created = client.post("/v1/webhooks", json={"url": url, "event_types": list(types)})
    assert created.status_code == 201, created.text
    secret: str = created.json()["secret"]
    return secret


def _verified(receiver: Receiver, secret: str, path: str) -> list[dict[str, Any]]:
    """Each event once (retries verified and folded), in the order first received."""
    verifier = Webhook(secret)
    events: dict[str, dict[str, Any]] = {}
    for request in receiver.requests(path):
        event: dict[str, Any] = verifier.verify(request.body, request.headers)
        assert event["id"] == request.headers["webhook-id"]
        assert events.setdefault(event["id"], event) == event
    return list(events.values())


def _of(events: list[dict[str, Any]], kind: str, **data: Any) -> list[dict[str, Any]]:
    return [
        e
        for e in events
        if e["type"] == kind and all(e["data"].get(k) == v for k, v in data.items())
    ]


def test_keywords_over_smpp_are_native_webhook_events(
    db_target: DbTarget, tmp_path: Path, org: dict[str, str]
) -> None:
    other = create_org(db_target, "Other")
    with (
        running_receiver() as receiver,
        smsc_process(tmp_path, "--receipt-delay-ms", "20") as (port, ctl),
        running_server(
            db_target, tmp_path, extra_env={**smpp_env(tmp_path, port, org["id"]), **WEBHOOK_ENV}
        ) as srv,
        srv.client(org["api_key"]) as client,
        srv.client(other["api_key"]) as other_client,
    ):
        secret = _endpoint(client, receiver.url("/all"))
        consent_secret = _endpoint(client, receiver.url("/consent"), "recipient")
        _endpoint(other_client, receiver.url("/other"))

        control(ctl, {"cmd": "mo", "from": HANDSET, "to": OURS, "text": "STOP"})

        def stop_events() -> list[dict[str, Any]] | None:
            events = _verified(receiver, secret, "/all")
            received = _of(events, "message.received", text="STOP")
            opted_out = _of(events, "recipient.opted_out", phone_number=HANDSET)
            return received + opted_out if received and opted_out else None

        received, opted_out = eventually(stop_events, what="message.received and opted_out")
        inbound = received["data"]
        assert (inbound["from"], inbound["to"], inbound["channel"]) == (HANDSET, OURS, "sms")
        assert inbound["keyword"] == "opt_out"
        assert (inbound["organization_id"], inbound["profile_id"]) == (org["id"], None)
        assert client.get(f"/v1/messages/{inbound['id']}").json()["status"] == "received"
        change = opted_out["data"]
        assert (change["source"], change["keyword"]) == ("keyword", "STOP")
        assert change["message_id"] == inbound["id"]  # the message that caused it
        assert (change["organization_id"], change["profile_id"]) == (org["id"], None)
        assert opted_out["timestamp"] >= received["timestamp"]

        control(ctl, {"cmd": "mo", "from": HANDSET, "to": OURS, "text": "Start"})

        def start_events() -> list[dict[str, Any]] | None:
            events = _verified(receiver, secret, "/all")
            received = _of(events, "message.received", text="Start")
            opted_in = _of(events, "recipient.opted_in", phone_number=HANDSET)
            return received + opted_in if received and opted_in else None

        received, opted_in = eventually(start_events, what="message.received and opted_in")
        assert received["data"]["keyword"] == "opt_in"
        assert opted_in["data"]["message_id"] == received["data"]["id"]
        assert opted_in["data"]["status"] == "active"

        # The confirmations went out as ordinary messages, with their own events.
        replies = eventually(lambda: _replies(client), what="the confirmations")
        assert replies
        eventually(
            lambda: len(_verified(receiver, consent_secret, "/consent")) >= 2,
            what="the consent endpoint's events",
        )
        consent_only = [e["type"] for e in _verified(receiver, consent_secret, "/consent")]
        assert sorted(consent_only) == ["recipient.opted_in", "recipient.opted_out"]
        events = _verified(receiver, secret, "/all")
        assert len(_of(events, "recipient.opted_out")) == 1
        assert len(_of(events, "recipient.opted_in")) == 1
    assert receiver.requests("/other") == []  # another tenant's endpoint saw nothing


def test_whatsapp_without_a_carrier_is_refused(
    db_target: DbTarget, tmp_path: Path, org: dict[str, str]
) -> None:
    with (
        smsc_process(tmp_path) as (port, ctl),
        running_server(db_target, tmp_path, extra_env=smpp_env(tmp_path, port, org["id"])) as srv,
        srv.client(org["api_key"]) as client,
    ):
        refused = client.post(
            "/v1/messages", json={"to": [HANDSET], "text": "Hi", "channels": ["sms", "whatsapp"]}
        )
        assert refused.status_code == 422, refused.text
        details = refused.json()["error"]["details"]["channels"]
        assert "no configured carrier carries whatsapp" in details[0]
        assert client.get("/v1/messages").json()["data"] == []
        with httpx.Client(base_url=srv.url, headers={"x-api-key": org["api_key"]}) as sentdm:
            answer = sentdm.post(
                "/v3/messages", json={"to": [HANDSET], "channel": ["whatsapp"], "text": "Hi"}
            )
            assert 400 <= answer.status_code < 500, answer.text
            assert answer.json()["success"] is False
        assert control(ctl, {"cmd": "stats"}).get("submit_sm", 0) == 0
