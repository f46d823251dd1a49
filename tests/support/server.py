"""A real Signalpost server in a subprocess, on a free port, for acceptance tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.support.databases import DbTarget

__all__ = ["FAST_ENV", "ServerProcess", "cli", "free_port", "running_server"]

FAST_ENV = {
    "SIGNALPOST_SIMULATOR_LATENCY_MS": "50",
    "SIGNALPOST_RETRY_BASE_SECONDS": "0.05",
    "SIGNALPOST_DISPATCH_POLL_INTERVAL": "0.02",
    "SIGNALPOST_API_KEY_CACHE_SECONDS": "1",
    "SIGNALPOST_LOG_LEVEL": "warning",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(db: DbTarget, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALPOST_")}
    env.update(FAST_ENV)
    env.update(db.env())
    env.update(extra or {})
    return env


def cli(db: DbTarget, *args: str, extra_env: Mapping[str, str] | None = None) -> Any:
    """Run ``signalpost ARGS`` and parse the one JSON line it prints."""
    out = subprocess.run(
        [sys.executable, "-m", "signalpost.cli", *args],
        env=_env(db, extra_env),
        capture_output=True,
        check=True,
        timeout=60,
    )
    return orjson.loads(out.stdout.strip().splitlines()[-1])


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def client(self, api_key: str | None = None, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0, **kw)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


def start_process(
    args: list[str], db: DbTarget, log: Path, extra_env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "signalpost.cli", *args],
            env=_env(db, extra_env),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def running_server(
    db: DbTarget,
    tmp: Path,
    *,
    extra_env: Mapping[str, str] | None = None,
    args: list[str] | None = None,
    port: int | None = None,
    health_timeout: float = 30.0,
) -> Iterator[ServerProcess]:
    port = port or free_port()
    log = tmp / f"server-{port}.log"
    env = {"SIGNALPOST_PORT": str(port), **(extra_env or {})}
    process = start_process(["serve", *(args or [])], db, log, env)
    server = ServerProcess(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_healthy(server, health_timeout)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def _wait_healthy(server: ServerProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log.read_text()}")
        try:
            if httpx.get(server.url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not become healthy:\n{server.log.read_text()}")
