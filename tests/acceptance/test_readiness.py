"""/healthz and /readyz: unready while the database is gone or an SMPP connection is down,
ready again after; worker-only processes answer on their own port."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from tests.acceptance.test_smpp_acceptance import smpp_env
from tests.support.databases import DbTarget
from tests.support.processes import spawn, stop
from tests.support.server import free_port, running_server, start_process
from tests.support.tcp_proxy import running_proxy


def ready(url: str) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"{url}/readyz", timeout=10)
    body: dict[str, Any] = response.json()
    return response.status_code, body


def wait_status(url: str, status: int, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        code, body = ready(url)
        if code == status:
            return body
        assert time.monotonic() < deadline, f"/readyz stayed {code}: {body}"
        time.sleep(0.1)


def test_readyz_follows_the_database(pg_target: DbTarget, tmp_path: Path) -> None:
    parts = urlsplit(pg_target.url)
    with running_proxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
        netloc = f"{parts.username}@127.0.0.1:{proxy.port}" if parts.username else None
        proxied = DbTarget(
            urlunsplit(parts._replace(netloc=netloc or f"127.0.0.1:{proxy.port}")),
            pg_target.schema,
        )
        with running_server(proxied, tmp_path, migrate=True) as server:  # as a deployment starts
            body = wait_status(server.url, 200)
            assert body["checks"] == {"database": "ok", "migrations": "ok", "workers": "ok"}
            proxy.cut()
            body = wait_status(server.url, 503)
            assert body["checks"]["database"].startswith("unreachable")
            assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
            proxy.restore()
            wait_status(server.url, 200)


@contextmanager
def smsc(port: int) -> Iterator[None]:
    """The SMSC simulator on ``port`` for the duration of the block."""
    command = [sys.executable, "-m", "signalpost.cli", "smsc-sim", "--port", str(port)]
    command += ["--control-port", str(free_port())]
    process = spawn(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert process.stdout is not None
        assert json.loads(process.stdout.readline())["smsc"] == port
        yield
    finally:
        stop(process)


def test_readyz_follows_the_smpp_binds(
    db_target: DbTarget, tmp_path: Path, org: dict[str, str]
) -> None:
    port = free_port()
    env = smpp_env(tmp_path, port, org["id"])
    with running_server(db_target, tmp_path, extra_env=env) as server:
        body = wait_status(server.url, 503)  # no SMSC yet
        assert body["checks"]["smpp:smsc"] == "not bound"
        with smsc(port):
            body = wait_status(server.url, 200)
            assert body["checks"]["smpp:smsc"] == "ok"
        body = wait_status(server.url, 503)  # the SMSC went away
        assert body["checks"]["smpp:smsc"] == "not bound"
        assert body["checks"]["database"] == "ok"
        with smsc(port):
            wait_status(server.url, 200)  # re-bound


def test_a_worker_serves_health_and_metrics(db_target: DbTarget, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "worker.log"
    process = start_process(["worker", "--port", str(port)], db_target, log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        body = wait_status(url, 200)
        assert body["checks"]["workers"] == "ok"
        metrics = httpx.get(f"{url}/metrics", timeout=10)
        assert "signalpost_dispatch_queue_messages" in metrics.text
        assert httpx.get(f"{url}/v1/messages", timeout=10).status_code == 404
    finally:
        code = stop(process)
    assert code == 0, log.read_text()
