"""Process entry points: the API server with workers, and workers alone."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Coroutine
from typing import Any

import uvicorn

from signalpost.api.app import create_app, create_worker_app
from signalpost.api.dialects import install_webhook_formats
from signalpost.config import Settings
from signalpost.context import Context
from signalpost.http import App
from signalpost.observability.logs import configure as configure_logging

__all__ = ["run_server", "run_worker"]

log = logging.getLogger("signalpost")


def _configure_logging(settings: Settings) -> None:
    configure_logging(settings.log_level, settings.log_format)


def _run(coro: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop when it is installed (it is, except on Windows)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)
    else:
        uvloop.run(coro)


async def serve(settings: Settings, *, with_workers: bool = True) -> None:
    install_webhook_formats()
    ctx = await Context.open(settings)
    background = ctx.worker_pool()
    app = create_app(ctx, workers=(lambda: background.running) if with_workers else None)
    app.on_shutdown.append(ctx.close)  # hooks run in reverse: workers stop before this
    if with_workers:
        app.on_startup.append(background.start)
        app.on_shutdown.append(background.stop)
    server = _uvicorn(app, settings, settings.host, settings.port)
    _freeze_startup_objects()
    log.info(
        "Signalpost listening on http://%s:%d (%s)", settings.host, settings.port, ctx.db.dialect
    )
    await server.serve()


def _uvicorn(app: App, settings: Settings, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="none",
        http="httptools",
        lifespan="on",
        access_log=False,  # the application's own access log, with request ids
        # Nothing reads the client's address or scheme, so X-Forwarded-* rewriting is skipped
        # (a middleware layer on every request).
        proxy_headers=False,
        log_config=None,  # the process's logging, as configured
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=10,
    )
    return uvicorn.Server(config)


def _freeze_startup_objects() -> None:
    """Move everything built at startup (modules, compiled SQL, schemas, routes) out of the
    garbage collector's sight: it lives as long as the process, and without this every
    full collection walks all of it again while requests wait."""
    gc.collect()
    gc.freeze()


async def work(settings: Settings) -> None:
    install_webhook_formats()
    ctx = await Context.open(settings)
    background = ctx.worker_pool()
    _freeze_startup_objects()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await background.start()
    log.info(
        "Signalpost worker %s running %d dispatch loops", background.worker_id, settings.workers
    )
    probe: tuple[uvicorn.Server, asyncio.Task[None]] | None = None
    if settings.worker_port is not None:
        # While it serves, uvicorn takes SIGINT/SIGTERM and passes them on when it stops.
        app = create_worker_app(ctx, lambda: background.running)
        server = _uvicorn(app, settings, settings.host, settings.worker_port)
        probe = (server, asyncio.create_task(server.serve()))
        log.info("worker health and metrics on http://%s:%d", settings.host, settings.worker_port)
    await stop.wait()
    if probe is not None:
        probe[0].should_exit = True
        await probe[1]
    await background.stop()
    await ctx.close()


def run_server(settings: Settings, *, migrate: bool = True, with_workers: bool = True) -> None:
    _configure_logging(settings)
    if migrate:
        from signalpost.storage.migrate import upgrade  # Alembic: only a start that migrates

        upgrade(settings.database_url, settings.database_schema)
    _run(serve(settings, with_workers=with_workers))


def run_worker(settings: Settings) -> None:
    _configure_logging(settings)
    _run(work(settings))
