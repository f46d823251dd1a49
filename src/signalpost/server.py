"""Process entry points: the API server with workers, and workers alone."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Coroutine
from typing import Any

import uvicorn

from signalpost.api.app import create_app
from signalpost.config import Settings
from signalpost.context import Context
from signalpost.storage.migrate import upgrade

__all__ = ["run_server", "run_worker"]

log = logging.getLogger("signalpost")


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _run(coro: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop when it is installed (it is, except on Windows)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)
    else:
        uvloop.run(coro)


async def serve(settings: Settings, *, with_workers: bool = True) -> None:
    ctx = await Context.open(settings)
    app = create_app(ctx)
    pool = ctx.worker_pool()
    app.on_shutdown.append(ctx.close)  # hooks run in reverse: workers stop before this
    if with_workers:
        app.on_startup.append(pool.start)
        app.on_shutdown.append(pool.stop)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="none",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    _freeze_startup_objects()
    log.info(
        "Signalpost listening on http://%s:%d (%s)", settings.host, settings.port, ctx.db.dialect
    )
    await server.serve()


def _freeze_startup_objects() -> None:
    """Move everything built at startup (modules, compiled SQL, schemas, routes) out of the
    garbage collector's sight: it lives as long as the process, and without this every
    full collection walks all of it again while requests wait."""
    gc.collect()
    gc.freeze()


async def work(settings: Settings) -> None:
    ctx = await Context.open(settings)
    pool = ctx.worker_pool()
    _freeze_startup_objects()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await pool.start()
    log.info("Signalpost worker %s running %d dispatch loops", pool.worker_id, settings.workers)
    await stop.wait()
    await pool.stop()
    await ctx.close()


def run_server(settings: Settings, *, migrate: bool = True, with_workers: bool = True) -> None:
    _configure_logging(settings)
    if migrate:
        upgrade(settings.database_url, settings.database_schema)
    _run(serve(settings, with_workers=with_workers))


def run_worker(settings: Settings) -> None:
    _configure_logging(settings)
    _run(work(settings))
