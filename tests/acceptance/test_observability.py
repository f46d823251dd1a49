"""Metrics, request ids in logs, and the absence of secrets from logs, over a real server."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
from prometheus_client.parser import text_string_to_metric_families

from tests.acceptance.test_native_flow import wait_final
from tests.support.databases import DbTarget
from tests.support.server import ServerProcess, create_key, running_server
from tests.support.webhook_receiver import running_receiver

ENV = {
    "SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS": "true",
    "SIGNALPOST_WEBHOOK_POLL_INTERVAL": "0.02",
    "SIGNALPOST_LOG_FORMAT": "json",
    "SIGNALPOST_LOG_LEVEL": "debug",
    "SIGNALPOST_ACCESS_LOG": "true",
}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: ServerProcess) -> Samples:
    response = httpx.get(f"{server.url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def total(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def log_lines(server: ServerProcess) -> list[dict[str, object]]:
    lines = []
    for raw in server.log.read_text().splitlines():
        if raw.startswith("{"):
            lines.append(orjson.loads(raw))
    return lines


def test_metrics_and_logs_follow_a_message(
    db_target: DbTarget, tmp_path: Path, org: dict[str, str]
) -> None:
    with (
        running_receiver() as receiver,
        running_server(db_target, tmp_path, extra_env=ENV) as server,
        server.client(org["api_key"]) as client,
    ):
        hook = client.post(
            "/v1/webhooks", json={"url": receiver.url(), "event_types": ["message.delivered"]}
        ).json()
        before = scrape(server)
        sent = client.post(
            "/v1/messages",
            json={"to": ["+14155551234", "+14155550001"], "text": "hello"},
            headers={"X-Request-Id": "trace-42"},
        )
        assert sent.status_code == 202
        assert sent.headers["x-request-id"] == "trace-42"
        ids = [m["id"] for m in sent.json()["messages"]]
        wait_final(client, ids)
        looked_up = client.get(f"/v3/messages/{ids[0]}", headers={"x-api-key": org["api_key"]})
        sentdm_request = looked_up.json()["meta"]["request_id"]
        assert looked_up.headers["x-request-id"] == sentdm_request
        wait_for(lambda: len(receiver.requests()) >= 1, "the webhook delivery")

        def delivered_webhooks() -> float:
            return total(scrape(server), "signalpost_webhook_deliveries_total")

        wait_for(lambda: delivered_webhooks() >= 1, "the webhook delivery to be counted")
        after = scrape(server)
        key = create_key(db_target, org["id"], name="extra")
        assert client.get("/v1/messages", headers={"Authorization": f"Bearer {key['api_key']}"})
        rotated = client.post(f"/v1/keys/{key['id']}/rotate", json={"grace_seconds": 60}).json()
        client.get("/v1/messages", headers={"Authorization": f"Bearer {rotated['api_key']}"})

    def grew(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert grew("signalpost_messages_total", status="accepted", channel="sms") == 2
    assert grew("signalpost_messages_total", status="delivered", carrier="simulator") == 1
    assert grew("signalpost_messages_total", status="failed") == 1
    # Each message's receipt is counted once, by its outcome; one that overtakes the answer
    # to its submit (a busy machine) is counted as it arrives, as an orphan, and applied
    # when the answer is recorded.
    receipts = {
        outcome: grew("signalpost_receipts_total", outcome=outcome)
        for outcome in ("delivered", "failed", "orphan")
    }
    assert sum(receipts.values()) == 2, receipts
    assert receipts["delivered"] == 1 or receipts["orphan"] >= 1, receipts
    assert receipts["failed"] == 1 or receipts["orphan"] >= 1, receipts
    assert grew("signalpost_submits_total", outcome="accepted") == 2
    assert grew("signalpost_submit_seconds_count", carrier="simulator") >= 1
    assert grew("signalpost_webhook_deliveries_total", outcome="delivered") == 1
    assert (
        grew("signalpost_http_requests_total", route="/v1/messages", dialect="native", status="202")
        == 1
    )
    assert grew("signalpost_http_requests_total", route="/v1/messages/{id}", status="200") >= 2
    assert grew("signalpost_http_request_seconds_count", route="/v1/messages/{id}") >= 2
    assert total(after, "signalpost_dispatch_queue_messages") == 0
    assert ("signalpost_webhook_backlog_events", frozenset()) not in after

    lines = log_lines(server)
    # the id a sent.dm caller sees in its envelope is the one its request is logged under
    assert any(line.get("request_id") == sentdm_request for line in lines)
    traced = [line for line in lines if line.get("request_id") == "trace-42"]
    loggers = {str(line["logger"]) for line in traced}
    assert {"signalpost.messages", "signalpost.dispatch", "signalpost.webhooks"} <= loggers, loggers
    webhook_lines = [line for line in traced if line["logger"] == "signalpost.webhooks"]
    assert any(hook["id"] in str(line["message"]) for line in webhook_lines)
    text = server.log.read_text()
    for secret in (org["api_key"], key["api_key"], rotated["api_key"], hook["secret"]):
        assert secret not in text
    assert "Bearer sp_" not in text
