"""Webhook acceptance over real processes: a server (and workers), a real HTTP receiver.

Every event is verified with the ``standardwebhooks`` package, as a customer would.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from standardwebhooks import Webhook

from tests.support.databases import DbTarget
from tests.support.processes import spawn, stop
from tests.support.server import (
    ServerProcess,
    create_org,
    running_server,
    signalpost_env,
    start_process,
)
from tests.support.webhook_receiver import Receiver, running_receiver

WEBHOOK_ENV = {
    "SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS": "true",
    "SIGNALPOST_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    "SIGNALPOST_WEBHOOK_RETRY_MAX_SECONDS": "1",
    "SIGNALPOST_WEBHOOK_POLL_INTERVAL": "0.02",
    "SIGNALPOST_WEBHOOK_LEASE_SECONDS": "3",
    "SIGNALPOST_DISPATCH_LEASE_SECONDS": "3",
}
STEPS = {"message.queued", "message.sent", "message.delivered"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rx:
        yield rx


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return WEBHOOK_ENV


@pytest.fixture
def hook_server(server: ServerProcess) -> ServerProcess:
    return server


def _numbers(count: int, start: int = 1000) -> list[str]:
    return [f"+1415555{start + i}" for i in range(count)]


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _unique_ids(receiver: Receiver, path: str = "/hook") -> set[str]:
    return {r.headers["webhook-id"] for r in receiver.requests(path)}


def _verified_events(receiver: Receiver, secret: str, path: str = "/hook") -> dict[str, Any]:
    """Every request verified and parsed, by event id (retries of one event must agree)."""
    verifier = Webhook(secret)
    events: dict[str, Any] = {}
    for request in receiver.requests(path):
        event = verifier.verify(request.body, request.headers)
        assert event["id"] == request.headers["webhook-id"]
        assert events.setdefault(event["id"], event) == event
    return events


def _steps_by_message(events: dict[str, Any]) -> dict[str, list[str]]:
    steps: dict[str, list[str]] = {}
    for event in events.values():
        steps.setdefault(event["data"]["id"], []).append(event["type"])
    return steps


def _send(server: ServerProcess, key: str, numbers: list[str], **headers: str) -> list[str]:
    with server.client(key) as client:
        response = client.post(
            "/v1/messages", json={"to": numbers, "text": "Your code is 1234"}, headers=headers
        )
        assert response.status_code == 202, response.text
        return [m["id"] for m in response.json()["messages"]]


def _endpoint(server: ServerProcess, key: str, url: str, **headers: str) -> dict[str, Any]:
    with server.client(key) as client:
        response = client.post("/v1/webhooks", json={"url": url}, headers=headers)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


def test_every_status_event_of_a_1000_message_send_arrives_signed(
    hook_server: ServerProcess, org: dict[str, str], receiver: Receiver
) -> None:
    endpoint = _endpoint(hook_server, org["api_key"], receiver.url())
    ids = _send(hook_server, org["api_key"], _numbers(1000))
    _wait(lambda: len(_unique_ids(receiver)) >= 3000, 150, "3,000 events")
    events = _verified_events(receiver, endpoint["secret"])
    assert len(events) == 3000
    steps = _steps_by_message(events)
    assert set(steps) == set(ids)
    assert all(sorted(s) == sorted(STEPS) for s in steps.values())
    delivered = [e for e in events.values() if e["type"] == "message.delivered"]
    assert all(e["data"]["status"] == "delivered" for e in delivered)


def test_every_event_arrives_after_a_receiver_outage(
    hook_server: ServerProcess,
    org: dict[str, str],
    receiver: Receiver,
    db_target: DbTarget,
    tmp_path: Path,
) -> None:
    receiver.down()
    endpoint = _endpoint(hook_server, org["api_key"], receiver.url())
    shown_path = tmp_path / "follow.out"
    follow = _follow_deliveries(hook_server, org["api_key"], db_target, shown_path)
    try:
        ids = _send(hook_server, org["api_key"], _numbers(100))
        with hook_server.client(org["api_key"]) as client:
            _wait(lambda: _failed_attempts(client) >= 300, 60, "failed attempts")
            time.sleep(1.0)
            receiver.up()
            _wait(lambda: len(_unique_ids(receiver)) >= 300, 60, "every event after the outage")
            history = _history(client, endpoint["id"])
        _wait(lambda: b'"ok":true' in shown_path.read_bytes(), 60, "a success shown live")
    finally:
        exit_code = stop(follow, signal.SIGINT)
    assert exit_code == 0, "--follow should end quietly on Ctrl-C"
    shown = shown_path.read_bytes()
    events = _verified_events(receiver, endpoint["secret"])
    steps = _steps_by_message(events)
    assert set(steps) == set(ids)
    assert all(sorted(s) == sorted(STEPS) for s in steps.values())
    assert {d["status"] for d in history} == {"delivered"}
    assert {d["id"] for d in history} == set(events)
    retried = [d for d in history if d["attempts"] > 1]
    assert retried, "the outage should have forced retries"
    log = retried[0]["attempt_log"]
    assert log[-1]["status_code"] == 200
    assert all(a["status_code"] is None and a["error"].startswith("connect") for a in log[:-1])
    lines = [orjson.loads(line) for line in shown.splitlines() if line.startswith(b"{")]
    assert any(not a["ok"] for a in lines)
    assert any(a["ok"] for a in lines)


def _failed_attempts(client: Any) -> int:
    data = client.get("/v1/webhooks/attempts", params={"limit": 1000}).json()["data"]
    return sum(1 for a in data if not a["ok"])


def _history(client: Any, endpoint_id: str) -> list[dict[str, Any]]:
    """Each delivery of the endpoint with its attempt log."""
    page = client.get(f"/v1/webhooks/{endpoint_id}/deliveries", params={"limit": 500}).json()
    return [client.get(f"/v1/webhooks/deliveries/{d['id']}").json() for d in page["data"]]


def _follow_deliveries(
    server: ServerProcess, key: str, db: DbTarget, out: Path
) -> subprocess.Popen[bytes]:
    """``signalpost webhooks deliveries --follow`` running against the server, its output
    going to a file (a pipe nobody reads would fill up and stall it)."""
    args = ["webhooks", "deliveries", "--follow", "--interval", "0.2", "--url", server.url]
    with out.open("wb") as sink:
        return spawn(
            [sys.executable, "-m", "signalpost.cli", *args, "--api-key", key],
            env=signalpost_env(db),
            stdout=sink,
            stderr=subprocess.DEVNULL,
        )


def test_a_slow_receiver_does_not_delay_another_tenant(
    hook_server: ServerProcess, org: dict[str, str], receiver: Receiver
) -> None:
    key = org["api_key"]
    with hook_server.client(key) as client:
        other = client.post("/v1/profiles", json={"name": "Other tenant"}).json()["id"]
    receiver.answer("/slow", delay=3.0)
    _endpoint(hook_server, key, receiver.url("/slow"))
    fast = _endpoint(hook_server, key, receiver.url("/fast"), **{"x-profile-id": other})
    _send(hook_server, key, _numbers(40))
    time.sleep(0.5)
    ids = _send(hook_server, key, _numbers(20, 2000), **{"x-profile-id": other})
    _wait(lambda: len(_unique_ids(receiver, "/fast")) >= 60, 60, "the fast tenant's events")
    events = _verified_events(receiver, fast["secret"], "/fast")
    assert set(_steps_by_message(events)) == set(ids)
    first_seen: dict[str, float] = {}
    for request in receiver.requests("/fast"):
        first_seen.setdefault(request.headers["webhook-id"], request.at)
    lags = [first_seen[i] - _epoch(e["timestamp"]) for i, e in events.items()]
    assert max(lags) < 2.0, sorted(lags)[-5:]
    assert len(_unique_ids(receiver, "/slow")) < 120  # the slow backlog is still draining


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_a_worker_killed_mid_delivery_loses_no_event(
    pg_target: DbTarget, tmp_path: Path, receiver: Receiver
) -> None:
    """On PostgreSQL, where separate worker processes share the queue."""
    db_target = pg_target
    org = create_org(db_target)
    receiver.answer("/hook", delay=0.05)
    with running_server(db_target, tmp_path, extra_env=WEBHOOK_ENV, args=["--no-workers"]) as api:
        endpoint = _endpoint(api, org["api_key"], receiver.url())
        ids = _send(api, org["api_key"], _numbers(200))
        first = _worker(db_target, tmp_path, "first")
        try:
            _wait(lambda: len(receiver.requests()) >= 150, 60, "deliveries under way")
        finally:
            stop(first, signal.SIGKILL)
        at_kill = len(_unique_ids(receiver))
        second = _worker(db_target, tmp_path, "second")
        try:
            _wait(lambda: len(_unique_ids(receiver)) >= 600, 90, "every event")
        finally:
            stop(second)
    events = _verified_events(receiver, endpoint["secret"])
    assert at_kill < 600
    assert len(events) == 600
    steps = _steps_by_message(events)
    assert set(steps) == set(ids)
    assert all(sorted(s) == sorted(STEPS) for s in steps.values())


def _worker(db: DbTarget, tmp: Path, name: str) -> subprocess.Popen[bytes]:
    return start_process(["worker"], db, tmp / f"worker-{name}.log", WEBHOOK_ENV)
