"""The command line against a running server: send, status, activities --follow; OpenAPI."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import orjson

from tests.support.databases import DbTarget
from tests.support.processes import spawn, stop
from tests.support.server import ServerProcess, cli, signalpost_env
from tests.support.waiting import eventually


def _run(
    db: DbTarget, server: ServerProcess, key: str, *args: str
) -> subprocess.CompletedProcess[bytes]:
    env = {"SIGNALPOST_API_KEY": key}
    return subprocess.run(
        [sys.executable, "-m", "signalpost.cli", *args, "--url", server.url],
        env=signalpost_env(db, env),
        capture_output=True,
        timeout=120,
        check=False,
    )


def _shown(path: Path, message_id: str, status: str) -> bool:
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    return any(r["message_id"] == message_id and r["status"] == status for r in rows)


def test_send_status_and_follow(
    server: ServerProcess, org: dict[str, str], db_target: DbTarget, tmp_path: Path
) -> None:
    sent = _run(
        db_target, server, org["api_key"], "send", "--to", "+14155551234", "--text", "from the CLI"
    )
    assert sent.returncode == 0, sent.stderr
    message_id = orjson.loads(sent.stdout)["messages"][0]["id"]
    shown_path = tmp_path / "follow.out"
    with shown_path.open("wb") as sink:
        follow = spawn(
            [
                sys.executable,
                "-m",
                "signalpost.cli",
                "activities",
                "--follow",
                "--interval",
                "0.1",
                "--url",
                server.url,
            ],
            env=signalpost_env(db_target, {"SIGNALPOST_API_KEY": org["api_key"]}),
            stdout=sink,
            stderr=subprocess.DEVNULL,
        )
    try:
        with server.client(org["api_key"]) as client:
            eventually(
                lambda: client.get(f"/v1/messages/{message_id}").json()["status"] == "delivered",
                what="the message to be delivered",
            )
        shown = _run(db_target, server, org["api_key"], "status", message_id)
        assert shown.returncode == 0
        assert orjson.loads(shown.stdout)["status"] == "delivered"
        eventually(lambda: _shown(shown_path, message_id, "delivered"), what="--follow to show it")
    finally:
        stop(follow, signal.SIGTERM)
    out = shown_path.read_bytes()
    rows = [orjson.loads(line) for line in out.splitlines() if line.strip()]
    statuses = [r["status"] for r in rows if r["message_id"] == message_id]
    assert statuses[0] == "accepted"
    assert statuses[-1] == "delivered"
    assert len(statuses) == len({r["id"] for r in rows if r["message_id"] == message_id})

    missing = _run(
        db_target, server, org["api_key"], "status", "00000000-0000-0000-0000-000000000000"
    )
    assert missing.returncode == 1
    assert orjson.loads(missing.stdout)["error"]["code"] == "message_not_found"


def test_key_and_profile_commands(db_target: DbTarget, org: dict[str, str]) -> None:
    profile = cli(db_target, "profile", "create", "--org", org["id"], "Branch")
    assert profile["organization_id"] == org["id"]
    assert profile["api_key"].startswith("sp_")
    key = cli(db_target, "key", "create", "--org", org["id"], "--profile", profile["id"])
    assert key["profile_id"] == profile["id"]
    assert key["api_key"] != profile["api_key"]


def test_openapi_documents_the_native_api(server: ServerProcess) -> None:
    with server.client() as client:
        document = client.get("/openapi.json").json()
        assert client.get("/docs").status_code == 200
    assert "/v1/messages" in document["paths"]
    send = document["paths"]["/v1/messages"]["post"]
    schema = send["requestBody"]["content"]["application/json"]["schema"]
    assert "to" in schema["properties"]
    assert "/v1/messages/{id}" in document["paths"]
