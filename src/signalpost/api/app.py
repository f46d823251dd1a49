"""Builds the ASGI application: every dialect's routes, health, OpenAPI and docs."""

from __future__ import annotations

import orjson

from signalpost.api import carriers, lamah, mailersend, native, sentdm, sfmc
from signalpost.api.native.errors import render_error
from signalpost.api.openapi import DOCS_HTML, openapi_document
from signalpost.context import Context
from signalpost.http import App, Request, Response, Router, json_response
from signalpost.storage import ping

__all__ = ["create_app"]


def _system_router(ctx: Context, app: App) -> Router:
    router = Router("", tag="system", render_error=render_error)

    @router.get("/healthz")
    async def healthz(request: Request) -> Response:
        """Liveness and database reachability."""
        del request
        await ping(ctx.db)
        return json_response({"status": "ok", "database": ctx.db.dialect})

    @router.get("/openapi.json")
    async def openapi(request: Request) -> Response:
        """This document."""
        del request
        body = orjson.dumps(openapi_document(app.routes))
        return Response(body, 200, [(b"content-type", b"application/json")])

    @router.get("/docs")
    async def docs(request: Request) -> Response:
        """Interactive API documentation."""
        del request
        return Response(DOCS_HTML.encode(), 200, [(b"content-type", b"text/html; charset=utf-8")])

    return router


def create_app(ctx: Context) -> App:
    """The application for a context; dialects are mounted here and nowhere else."""
    native_router = native.build_router(ctx)
    app = App(default_router=native_router)
    app.include(_system_router(ctx, app))
    app.include(native_router)
    app.include(sentdm.build_router(ctx))
    app.include(mailersend.build_router(ctx))
    for router in sfmc.build_routers(ctx):
        app.include(router)
    app.include(lamah.build_router(ctx))
    app.include(carriers.build_router(ctx))
    app.state["ctx"] = ctx
    return app
