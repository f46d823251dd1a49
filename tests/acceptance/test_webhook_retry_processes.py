"""A manual webhook retry across processes: one process delivers, another takes the API
call, both on one database.  The retry must not send the event a second time."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tests.support.databases import DbTarget
from tests.support.server import create_org, running_server
from tests.support.webhook_receiver import running_receiver

DELIVERING = {
    "SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS": "true",
    "SIGNALPOST_WEBHOOK_POLL_INTERVAL": "0.02",
    "SIGNALPOST_WEBHOOK_TIMEOUT_SECONDS": "30",  # the held delivery stays in flight meanwhile
}
API_ONLY = {**DELIVERING, "SIGNALPOST_WEBHOOK_DELIVERY": "false"}


def _wait(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_a_retry_in_another_process_never_sends_an_event_twice(
    db_target: DbTarget, tmp_path: Path
) -> None:
    org = create_org(db_target, "Acme")
    with (
        running_receiver() as receiver,
        running_server(db_target, tmp_path, extra_env=DELIVERING),
        running_server(db_target, tmp_path, extra_env=API_ONLY, args=["--no-workers"]) as api,
        api.client(org["api_key"]) as client,
    ):
        release = receiver.hold("/hook")
        created = client.post(
            "/v1/webhooks", json={"url": receiver.url(), "event_types": ["message.queued"]}
        )
        assert created.status_code == 201
        assert client.post("/v1/messages", json={"to": ["+14155551000"], "text": "hi"}).is_success
        _wait(lambda: len(receiver.requests()) == 1)
        event_id = receiver.requests()[0].headers["webhook-id"]
        path = f"/v1/webhooks/deliveries/{event_id}"

        in_flight = client.post(f"{path}/retry")
        assert in_flight.status_code == 409
        assert in_flight.json()["error"]["code"] == "webhook_delivery_in_flight"
        release()
        _wait(lambda: client.get(path).json()["status"] == "delivered")
        delivered = client.post(f"{path}/retry")
        assert delivered.status_code == 409
        assert delivered.json()["error"]["code"] == "webhook_delivery_delivered"
        attempts = client.get(path).json()["attempt_log"]
    assert [r.headers["webhook-id"] for r in receiver.requests()] == [event_id]
    assert [(a["attempt"], a["ok"], a["event_type"]) for a in attempts] == [
        (1, True, "message.queued")
    ]
