"""A real Signalpost server in a subprocess, on a free port, for acceptance tests.

Servers and other ``signalpost`` processes start through :mod:`tests.support.processes`:
each in its own process group, always stopped and reaped, even when a test fails.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
from sqlalchemy import delete

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.console_users import service as console_users
from signalpost.numbers import service as numbers
from signalpost.oauth import service as oauth
from signalpost.storage import Connection, Query, open_database
from signalpost.storage.tables import sender_numbers
from tests.support.databases import DbTarget
from tests.support.processes import spawn, stop

__all__ = [
    "FAST_ENV",
    "ServerProcess",
    "add_number",
    "cli",
    "create_key",
    "create_oauth_client",
    "create_org",
    "create_profile",
    "create_user",
    "free_port",
    "in_transaction",
    "release_numbers",
    "release_ports",
    "running_server",
    "signalpost_env",
    "start_process",
]

T = TypeVar("T")

# The dispatch loops poll at the deployed default (0.05 s): a quicker poll saved a test a few
# hundredths of a second per send and cost every idle server the suite runs twice the CPU.
FAST_ENV = {
    "SIGNALPOST_SIMULATOR_LATENCY_MS": "50",
    "SIGNALPOST_RETRY_BASE_SECONDS": "0.05",
    "SIGNALPOST_API_KEY_CACHE_SECONDS": "1",
    "SIGNALPOST_LOG_LEVEL": "warning",
}


_RESERVED: dict[int, socket.socket] = {}


def free_port() -> int:
    """A port on 127.0.0.1 that no other process of this machine is given until
    :func:`release_ports` (at the end of the session).

    A port found free with a socket that is then closed goes back to the kernel at once: in
    the second or so before the child it was meant for binds it, another test's free port
    (in this process or another) may be the same one.  That test's server then answers the
    health check and the requests meant for this one (a key just created here is "invalid"
    there), or binds first and the child fails.  So the port is kept bound here, with
    ``SO_REUSEADDR`` and not listening: the kernel hands it to no one else, a child that binds
    it with ``SO_REUSEADDR`` (as asyncio and uvicorn servers do) still listens on it, and a
    client finds it refused whenever no child listens."""
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 0))
    port: int = holder.getsockname()[1]
    _RESERVED[port] = holder
    return port


def release_ports() -> None:
    """Give back every port :func:`free_port` handed out."""
    while _RESERVED:
        _RESERVED.popitem()[1].close()


def signalpost_env(db: DbTarget, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a ``signalpost`` process on ``db``: this one's, minus any
    ``SIGNALPOST_*`` setting, plus :data:`FAST_ENV` and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALPOST_")}
    env.update(FAST_ENV)
    env.update(db.env())
    env.update(extra or {})
    return env


_env = signalpost_env  # the older name, still used by some tests


def cli(db: DbTarget, *args: str, extra_env: Mapping[str, str] | None = None) -> Any:
    """Run ``signalpost ARGS`` and parse the one JSON line it prints."""
    out = subprocess.run(
        [sys.executable, "-m", "signalpost.cli", *args],
        env=signalpost_env(db, extra_env),
        capture_output=True,
        check=True,
        timeout=120,
    )
    return orjson.loads(out.stdout.strip().splitlines()[-1])


def in_transaction(db: DbTarget, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on ``db``, in this process (not from a running event
    loop: an async test opens a :class:`Database` itself)."""

    async def run() -> T:
        database = open_database(db.url, schema=db.schema, pool_size=1)
        await database.connect()
        try:
            async with database.transaction() as conn:
                return await work(conn)
        finally:
            await database.close()

    return asyncio.run(run())


def create_org(db: DbTarget, name: str = "Acme") -> dict[str, str]:
    """A new organization with its first API key: what ``signalpost org create NAME``
    prints, without starting a process (milliseconds instead of a second or two)."""

    async def create(conn: Connection) -> dict[str, str]:
        org = await accounts.create_organization(conn, name)
        key = await accounts.create_api_key(conn, org.id, name="default")
        return {"id": org.id, "name": org.name, "api_key": key.api_key, "key_id": key.id}

    return in_transaction(db, create)


def create_profile(db: DbTarget, org_id: str, name: str) -> dict[str, str]:
    """A profile with its first API key: what ``signalpost profile create --org ORG NAME``
    prints, without starting a process."""

    async def create(conn: Connection) -> dict[str, str]:
        profile = await accounts.create_profile(conn, org_id, name)
        key = await accounts.create_api_key(conn, org_id, profile.id, name="default")
        return {
            "id": profile.id,
            "organization_id": profile.organization_id,
            "name": profile.name,
            "api_key": key.api_key,
            "key_id": key.id,
        }

    return in_transaction(db, create)


def create_key(
    db: DbTarget,
    org_id: str,
    *,
    profile_id: str | None = None,
    name: str | None = None,
    kind: str = "live",
) -> dict[str, Any]:
    """A new API key: what ``signalpost key create --org ORG`` prints, without starting a
    process."""

    async def create(conn: Connection) -> dict[str, Any]:
        key = await accounts.create_key(conn, org_id, profile_id, name, kind=kind)
        return {
            "id": key.id,
            "name": key.name,
            "prefix": key.prefix,
            "kind": key.kind,
            "organization_id": key.organization_id,
            "profile_id": key.profile_id,
            "api_key": key.api_key,
        }

    return in_transaction(db, create)


def create_user(db: DbTarget, org_id: str, email: str) -> dict[str, str]:
    """A console user with a one-time password: what ``signalpost user create --org ORG
    EMAIL`` prints, without starting a process."""

    async def create(conn: Connection) -> dict[str, str]:
        user = await console_users.create_user(conn, org_id, email)
        return {
            "id": user.id,
            "organization_id": user.organization_id,
            "email": user.email,
            "password": user.password,
        }

    return in_transaction(db, create)


def create_oauth_client(db: DbTarget, org_id: str) -> dict[str, Any]:
    """An OAuth client of an organization: what ``signalpost oauth-client create --org ORG``
    prints, without starting a process."""

    async def create(conn: Connection) -> dict[str, Any]:
        client = await oauth.create_client(conn, org_id, None, name=None)
        return {
            "id": client.id,
            "organization_id": client.organization_id,
            "profile_id": client.profile_id,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        }

    return in_transaction(db, create)


def add_number(db: DbTarget, org_id: str, phone_number: str) -> dict[str, Any]:
    """Register an organization's sender number: what ``signalpost number add --org ORG
    NUMBER`` prints, without starting a process."""

    async def add(conn: Connection) -> dict[str, Any]:
        number = await numbers.register(conn, Scope(org_id, None), phone_number)
        return {
            "id": number.id,
            "organization_id": number.organization_id,
            "tenant_id": number.tenant_id,
            "phone_number": number.phone_number,
            "label": number.label,
            "paused": number.paused,
        }

    return in_transaction(db, add)


def release_numbers(db: DbTarget) -> None:
    """Unregister every sender number on ``db``, so that the next test on a shared database
    may register the same numbers again (a number belongs to one tenant at a time)."""

    async def release(conn: Connection) -> None:
        await conn.execute(_RELEASE_NUMBERS)

    in_transaction(db, release)


_RELEASE_NUMBERS = Query(delete(sender_numbers))


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def client(self, api_key: str | None = None, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0, **kw)

    def kill(self) -> None:
        stop(self.process, signal.SIGKILL)


def start_process(
    args: list[str], db: DbTarget, log: Path, extra_env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``signalpost ARGS`` in its own process group, its output appended to ``log``; stop
    it with :func:`tests.support.processes.stop`."""
    with log.open("ab") as handle:
        return spawn(
            [sys.executable, "-m", "signalpost.cli", *args],
            env=signalpost_env(db, extra_env),
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
    health_timeout: float = 120.0,
    migrate: bool = False,
) -> Iterator[ServerProcess]:
    """``signalpost serve`` on ``db``, healthy.  The suite's databases are migrated before
    any server sees them, so the server skips its own check of the migrations at start
    (Alembic's import and a look at the schema, a few tenths of a second of CPU per start)
    unless ``migrate`` asks for it."""
    port = port or free_port()
    log = tmp / f"server-{port}.log"
    env = {"SIGNALPOST_PORT": str(port), **(extra_env or {})}
    serve = ["serve", *(args or []), *([] if migrate else ["--no-migrate"])]
    process = start_process(serve, db, log, env)
    server = ServerProcess(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_healthy(server, health_timeout)
        yield server
    finally:
        stop(process)


def _wait_healthy(server: ServerProcess, timeout: float = 120.0) -> None:
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
