"""API keys across processes: a revocation made by one process (the CLI) reaches a running
server; a test key sends through the simulator while an SMPP carrier is configured."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.acceptance.test_native_flow import wait_final
from tests.acceptance.test_smpp_acceptance import smpp_env, smsc_process
from tests.support.databases import DbTarget
from tests.support.server import cli, running_server


def _status(url: str, key: str) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.get(f"{url}/v1/messages", headers=headers, timeout=10).status_code


def test_a_key_revoked_by_the_cli_is_refused_by_a_running_server(
    db_target: DbTarget, tmp_path: Path, org: dict[str, str]
) -> None:
    spare = cli(db_target, "key", "create", "--org", org["id"], "--name", "spare")
    # A long cache: only the revocation signal can make the server refuse the key soon.
    env = {"SIGNALPOST_API_KEY_CACHE_SECONDS": "600"}
    with running_server(db_target, tmp_path, extra_env=env) as server:
        assert _status(server.url, spare["api_key"]) == 200
        listed = cli(db_target, "key", "list", "--org", org["id"])
        assert {k["name"] for k in listed} == {"default", "spare"}
        assert all("api_key" not in k for k in listed)
        revoked = cli(db_target, "key", "revoke", "--org", org["id"], spare["id"])
        assert revoked["state"] == "revoked"
        deadline = time.monotonic() + 5.0
        while _status(server.url, spare["api_key"]) == 200:
            assert time.monotonic() < deadline, "a revoked key still works after 5 s"
            time.sleep(0.05)
        assert _status(server.url, org["api_key"]) == 200

        rotated = cli(
            db_target, "key", "rotate", "--org", org["id"], "--grace", "600", org["key_id"]
        )
        assert _status(server.url, rotated["api_key"]) == 200
        assert _status(server.url, org["api_key"]) == 200  # within its grace period


def test_a_test_key_sends_through_the_simulator_whatever_the_carrier(
    db_target: DbTarget, tmp_path: Path, org: dict[str, str]
) -> None:
    test_key = cli(db_target, "key", "create", "--org", org["id"], "--kind", "test")
    assert test_key["kind"] == "test"
    with smsc_process(tmp_path) as (port, _control):
        env = smpp_env(tmp_path, port, org["id"])
        with running_server(db_target, tmp_path, extra_env=env) as server:
            body = {"to": ["+14155551234"], "text": "hello"}
            with server.client(test_key["api_key"]) as client:
                sent = client.post("/v1/messages", json=body).json()["messages"][0]["id"]
                test_message = wait_final(client, [sent])[sent]
            with server.client(org["api_key"]) as client:
                live = client.post("/v1/messages", json=body).json()["messages"][0]["id"]
                live_message = wait_final(client, [live])[live]
    assert test_message["status"] == "delivered"
    assert test_message["carrier"] == "simulator"
    assert test_message["test"] is True
    assert live_message["status"] == "delivered"
    assert live_message["carrier"] == "smsc"
    assert live_message["test"] is False
