"""Builds the ASGI applications: every dialect's routes, operations and documents for the
API server; operations alone for worker-only processes."""

from __future__ import annotations

from collections.abc import Callable

from signalpost.api import carriers
from signalpost.api.console import CONSOLE
from signalpost.api.dialects import DIALECTS
from signalpost.api.native.errors import render_error
from signalpost.api.system import operations_router, system_router
from signalpost.context import Context
from signalpost.http import App, Router

__all__ = ["create_app", "create_worker_app"]


def create_app(ctx: Context, *, workers: Callable[[], bool] | None = None) -> App:
    """The application for a context; dialects are mounted here and nowhere else.

    ``workers`` tells readiness whether this process's worker loops run (None: it runs
    none, and readiness does not ask)."""
    mounted = {dialect.name: dialect.mount(ctx) for dialect in DIALECTS}
    app = App(default_router=mounted["native"][0])  # unknown paths: the native envelope
    app.access_log = ctx.settings.access_log
    app.include(operations_router(ctx, app, workers=workers))
    app.include(system_router(app))
    for routers in mounted.values():
        for router in routers:
            app.include(router)
    for router in CONSOLE.mount(ctx):
        app.include(router)
    app.include(carriers.build_router(ctx))
    return app


def create_worker_app(ctx: Context, workers: Callable[[], bool]) -> App:
    """``/healthz``, ``/readyz`` and ``/metrics`` of a worker-only process."""
    app = App(default_router=Router("", tag="system", render_error=render_error))
    app.access_log = ctx.settings.access_log
    app.include(operations_router(ctx, app, workers=workers))
    return app
