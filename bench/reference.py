"""The lean reference: a bare ASGI app doing one primary-key read of the messages table.

It is what a status lookup costs with no framework, no authentication, no events and no
presentation: the floor that Signalpost's own lookup is measured against.  It is served
exactly like ``signalpost serve`` (uvicorn with httptools on uvloop, one process, no access
log) and reads the same database: SQLite with stdlib ``sqlite3`` inline on the event loop,
PostgreSQL through an ``asyncpg`` pool of the same size as the server's.

Run: ``python -m bench.reference --port N`` with ``SIGNALPOST_DATABASE_URL`` (and
``SIGNALPOST_DATABASE_SCHEMA``) set.  Routes: ``GET /ref/messages/{id}`` and ``/healthz``.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import uvicorn

__all__ = ["PREFIX", "ReferenceApp", "main"]

PREFIX = "/ref/messages/"
COLUMNS = "id, status, to_number, channel, updated_at"
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
JSON_HEADERS = [(b"content-type", b"application/json")]


class SqliteLookup:
    """One read connection, configured like the server's own reader."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA cache_size=-65536")
        self._conn = conn

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    async def get(self, message_id: str) -> tuple[Any, ...] | None:
        assert self._conn is not None
        row: tuple[Any, ...] | None = self._conn.execute(
            f"SELECT {COLUMNS} FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        return row


class PgLookup:
    """An ``asyncpg`` pool (prepared statements cached per connection)."""

    def __init__(self, dsn: str, schema: str | None, size: int) -> None:
        self._dsn = dsn
        self._schema = schema
        self._size = size
        self._pool: Any = None

    async def open(self) -> None:
        import asyncpg

        settings = {"search_path": self._schema} if self._schema else {}
        self._pool = await asyncpg.create_pool(
            self._dsn, min_size=1, max_size=self._size, server_settings=settings
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def get(self, message_id: str) -> tuple[Any, ...] | None:
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(f"SELECT {COLUMNS} FROM messages WHERE id = $1", message_id)
        return None if row is None else tuple(row)


Lookup = SqliteLookup | PgLookup


class ReferenceApp:
    """The whole application: one route, one read, one small JSON body."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope["path"]
        status, body = 404, b'{"error":"not found"}'
        if path.startswith(PREFIX):
            row = await self.lookup.get(path[len(PREFIX) :])
            if row is not None:
                status = 200
                body = orjson.dumps(
                    {
                        "id": row[0],
                        "status": row[1],
                        "to": row[2],
                        "channel": row[3],
                        "updated_at": row[4],
                    }
                )
        elif path == "/healthz":
            status, body = 200, b'{"ok":true}'
        await send({"type": "http.response.start", "status": status, "headers": JSON_HEADERS})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.lookup.open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.lookup.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def lookup_from_env() -> Lookup:
    """The database named by the same settings ``signalpost serve`` reads."""
    url = os.environ["SIGNALPOST_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        return SqliteLookup(url.removeprefix("sqlite:///"))
    pool_size = int(os.environ.get("SIGNALPOST_DATABASE_POOL_SIZE", "10"))
    dsn = "postgresql://" + url.split("://", 1)[1]
    return PgLookup(dsn, os.environ.get("SIGNALPOST_DATABASE_SCHEMA"), pool_size)


def main() -> None:
    parser = argparse.ArgumentParser(description="bare ASGI primary-key lookup")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    config = uvicorn.Config(
        ReferenceApp(lookup_from_env()),
        host=args.host,
        port=args.port,
        loop="none",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is installed except on Windows
        import asyncio

        asyncio.run(server.serve())
    else:
        uvloop.run(server.serve())


if __name__ == "__main__":
    main()
