"""Fixtures shared by every tier. Storage tests run on SQLite and PostgreSQL.

Which fixture to use (see tests/README.md for the whole picture):

``backend``
    ``"sqlite"`` or ``"postgresql"``, one module at a time: every test that asks for a
    database runs once on each (ids ``[sqlite]`` and ``[postgresql]``).
``db_target`` / ``db``
    A database for this test alone: a fresh copy of a migrated SQLite file, or the
    session's PostgreSQL schema emptied. Use it when a test counts rows across tenants,
    drives the queue itself, or starts a server with settings of its own
    (``running_server(db_target, tmp_path, extra_env=...)``).  Exception: in a test that
    also uses ``server``, ``db_target`` is that server's database (see below), so CLI
    calls and direct reads reach the data the server sees.
``server`` (and ``server_env``)
    The module's shared server (``FAST_ENV`` plus the module's ``server_env``), started
    once per module and backend on a database of its own, never emptied while it runs.
    Tests stay apart by tenant: each takes a new ``org``.  Use it whenever the module's
    settings do; a server costs seconds to start, a tenant a few milliseconds.
``org``
    A new organization and its API key on the test's database (``db_target``), written
    in-process (no CLI process).
``pg_target``
    PostgreSQL only, emptied: for what SQLite cannot do (several processes sharing a queue).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from signalpost.api.dialects import install_webhook_formats
from signalpost.storage import Database, open_database
from tests.support.databases import (
    DbTarget,
    copy_sqlite,
    drop_schema,
    migrated_sqlite_template,
    pg_required,
    truncate_pg,
)
from tests.support.processes import reap_all
from tests.support.server import ServerProcess, create_org, release_ports, running_server

BACKENDS = ["sqlite", "postgresql"]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``--dist loadscope`` (``make test``), the tests of one module on one backend run
    in one worker process: a module's shared server and its other module-scoped fixtures
    start once per module and backend, as in a single process, while the two halves of a
    module may run side by side.  Modules are handed out in the order they are collected
    (acceptance tests, the longest, first), not biggest first."""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class ModuleAndBackend(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module, _, name = nodeid.partition("::")
            params = name[name.find("[") + 1 : -1].split("-") if name.endswith("]") else []
            backend = next((p for p in params if p in BACKENDS), None)
            return f"{module}[{backend}]" if backend else module

    config.option.loadscopereorder = False
    return ModuleAndBackend(config, log)


@pytest.fixture(scope="session", autouse=True)
def _webhook_formats() -> None:
    """Tests that open a context in-process record events as a server process does: with
    every dialect's webhook format registered."""
    install_webhook_formats()


@pytest.fixture(scope="session", autouse=True)
def _no_leaked_processes() -> Iterator[None]:
    """Whatever child a failed test left running is stopped when the session ends, and the
    ports reserved for children are given back."""
    yield
    reap_all()
    release_ports()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


def _migrated_schema(suffix: str) -> Iterator[tuple[str, str]]:
    from signalpost.storage.migrate import upgrade

    url = pg_required()
    schema = f"sp_test_{os.getpid()}{suffix}"
    asyncio.run(drop_schema(url, schema))
    upgrade(url, schema)
    yield url, schema
    asyncio.run(drop_schema(url, schema))


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[tuple[str, str]]:
    """The session's PostgreSQL schema for per-test databases, emptied before each use."""
    yield from _migrated_schema("")


@pytest.fixture(scope="session")
def shared_pg_schema() -> Iterator[tuple[str, str]]:
    """The session's PostgreSQL schema for shared servers, emptied once per module."""
    yield from _migrated_schema("_shared")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def shared_target(
    request: pytest.FixtureRequest,
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
) -> DbTarget:
    """The database of the module's shared server: new for each module and backend."""
    if backend == "sqlite":
        return copy_sqlite(sqlite_template, tmp_path_factory.mktemp("shared"))
    url, schema = request.getfixturevalue("shared_pg_schema")
    asyncio.run(truncate_pg(url, schema))
    return DbTarget(url, schema)


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """Settings of the module's shared server on top of ``FAST_ENV``; a module overrides
    this fixture (module scope) to share a server with settings of its own."""
    return {}


@pytest.fixture(scope="module")
def server(
    shared_target: DbTarget, server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One server per module and backend, shared by its tests (each with its own ``org``)."""
    directory = tmp_path_factory.mktemp("server")
    with running_server(shared_target, directory, extra_env=server_env) as srv:
        yield srv


@pytest.fixture
def db_target(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, sqlite_template: Path
) -> Iterator[DbTarget]:
    if "server" in request.fixturenames:
        shared: DbTarget = request.getfixturevalue("shared_target")
        yield shared
        return
    if backend == "sqlite":
        yield copy_sqlite(sqlite_template, tmp_path)
        return
    url, schema = request.getfixturevalue("pg_schema")
    asyncio.run(truncate_pg(url, schema))
    yield DbTarget(url, schema)


@pytest.fixture
def pg_target(pg_schema: tuple[str, str]) -> DbTarget:
    """PostgreSQL only: for what SQLite cannot do (several processes sharing the queue)."""
    url, schema = pg_schema
    asyncio.run(truncate_pg(url, schema))
    return DbTarget(url, schema)


@pytest.fixture
async def db(db_target: DbTarget) -> AsyncIterator[Database]:
    database = open_database(db_target.url, schema=db_target.schema, pool_size=4)
    await database.connect()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def org(db_target: DbTarget) -> dict[str, str]:
    """A new organization with its first API key (what ``signalpost org create`` prints)."""
    return create_org(db_target)
