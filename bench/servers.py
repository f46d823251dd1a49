"""The processes a benchmark measures: ``signalpost serve`` and the lean reference server.

Both run as subprocesses on a free loopback port with the same uvicorn configuration
(httptools, uvloop, one process), so the only difference between them is the code that
answers a request.  With ``--profile`` the Signalpost server runs under ``cProfile`` and
leaves its profile in ``.bench/``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.database import DbTarget, clean_env
from bench.harness import ROOT, BenchEnv, say

__all__ = [
    "HOST",
    "ServerProcess",
    "create_org",
    "reference_server",
    "signalpost_server",
    "signalpost_worker",
]

HOST = "127.0.0.1"

# Settings every benchmarked Signalpost server gets; a benchmark may override them.
BASE_ENV = {
    "SIGNALPOST_LOG_LEVEL": "warning",
    "SIGNALPOST_HOST": HOST,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process from ``/proc`` (NaN where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class ServerProcess:
    """A running server subprocess and where to reach it."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    label: str
    stop_signal: int = signal.SIGTERM

    @property
    def host(self) -> str:
        return HOST

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the process has used so far; NaN where unknown."""
        return process_cpu_seconds(self.process.pid)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


async def _wait_healthy(server: ServerProcess, path: str, timeout: float = 60.0) -> None:
    """Until ``path`` answers 200.

    A path starting with ``log:`` waits (at most ``timeout``) for that text in the log, for
    processes without HTTP; one that is still alive then is taken as started.
    """
    deadline = time.monotonic() + timeout
    if path.startswith("log:"):
        deadline = time.monotonic() + min(timeout, 20.0)
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.label} exited early:\n{server.log_tail()}")
            if path.removeprefix("log:") in server.log.read_text(errors="replace"):
                return
            await asyncio.sleep(0.1)
        say(f"{server.label} is running but never logged {path.removeprefix('log:')!r}")
        return
    async with httpx.AsyncClient(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.label} exited early:\n{server.log_tail()}")
            try:
                if (await client.get(server.url + path)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{server.label} did not become healthy:\n{server.log_tail()}")


def _stop(server: ServerProcess) -> None:
    if server.process.poll() is not None:
        return
    server.process.send_signal(server.stop_signal)
    try:
        server.process.wait(30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(10)


@asynccontextmanager
async def _running(
    label: str,
    command: Sequence[str],
    env: Mapping[str, str],
    log: Path,
    port: int,
    health: str,
    stop_signal: int = signal.SIGTERM,
) -> AsyncIterator[ServerProcess]:
    with log.open("ab") as handle:
        process = subprocess.Popen(
            list(command), env=dict(env), stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT
        )
    server = ServerProcess(process, port, log, label, stop_signal)
    try:
        await _wait_healthy(server, health)
        yield server
    finally:
        await asyncio.to_thread(_stop, server)
        code = server.process.returncode
        if code not in (0, 1, -signal.SIGINT, -signal.SIGTERM, -signal.SIGKILL):
            say(f"{label} exited with {code}:\n{server.log_tail()}")


@asynccontextmanager
async def signalpost_server(
    env: BenchEnv,
    db: DbTarget,
    workdir: Path,
    *,
    name: str,
    args: Sequence[str] = (),
    settings: Mapping[str, str] | None = None,
) -> AsyncIterator[ServerProcess]:
    """``signalpost serve`` on a free port against ``db`` (already migrated)."""
    port = free_port()
    command = [env.python]
    stop_signal = signal.SIGTERM
    if env.profile:
        # uvicorn re-raises SIGTERM after its graceful shutdown, which would kill the
        # process before cProfile writes; SIGINT ends in KeyboardInterrupt, and it writes.
        stop_signal = signal.SIGINT
        env.output.mkdir(parents=True, exist_ok=True)
        profile = (env.output / f"{name}-server.prof").resolve()
        command += ["-m", "cProfile", "-o", str(profile)]
        say(f"profiling the server into {profile}")
    command += ["-m", "signalpost.cli", "serve", "--no-migrate", *args]
    redis = {"SIGNALPOST_REDIS_URL": env.redis_url} if env.redis_url else {}
    process_env = clean_env(
        {**BASE_ENV, **db.env(), **redis, "SIGNALPOST_PORT": str(port), **(settings or {})}
    )
    log = workdir / f"signalpost-{port}.log"
    async with _running(
        "signalpost serve", command, process_env, log, port, "/healthz", stop_signal
    ) as srv:
        yield srv


@asynccontextmanager
async def signalpost_worker(
    env: BenchEnv,
    db: DbTarget,
    workdir: Path,
    *,
    settings: Mapping[str, str] | None = None,
) -> AsyncIterator[ServerProcess]:
    """``signalpost worker`` (dispatch loops only) against ``db``, once its loops run."""
    command = [env.python, "-m", "signalpost.cli", "worker"]
    process_env = clean_env(
        {**BASE_ENV, **db.env(), **(settings or {}), "SIGNALPOST_LOG_LEVEL": "info"}
    )
    log = workdir / f"worker-{len(list(workdir.glob('worker-*.log')))}.log"
    ready = "log:dispatch loops"
    async with _running("signalpost worker", command, process_env, log, 0, ready) as srv:
        yield srv


@asynccontextmanager
async def reference_server(
    env: BenchEnv, db: DbTarget, workdir: Path
) -> AsyncIterator[ServerProcess]:
    """The bare ASGI reference (:mod:`bench.reference`) against the same database."""
    port = free_port()
    command = [env.python, "-m", "bench.reference", "--host", HOST, "--port", str(port)]
    log = workdir / f"reference-{port}.log"
    async with _running(
        "reference server", command, clean_env(db.env()), log, port, "/healthz"
    ) as srv:
        yield srv


def _cli(env: BenchEnv, db: DbTarget, *args: str) -> Any:
    out = subprocess.run(
        [env.python, "-m", "signalpost.cli", *args],
        env=clean_env(db.env()),
        capture_output=True,
        check=True,
        timeout=120,
    )
    return orjson.loads(out.stdout.strip().splitlines()[-1])


async def create_org(env: BenchEnv, db: DbTarget, name: str = "Bench") -> dict[str, str]:
    """A new organization and its API key, made with ``signalpost org create``."""
    created: dict[str, str] = await asyncio.to_thread(_cli, env, db, "org", "create", name)
    return created
