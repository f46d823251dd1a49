"""Builds the ASGI application: every dialect's routes, health, OpenAPI and docs."""

from __future__ import annotations

from importlib.resources import files

import orjson

from signalpost.api import lamah, mailersend, native, sentdm, sfmc
from signalpost.api.native.errors import render_error
from signalpost.api.openapi import DOCS_HTML, DOCS_INIT_JS, openapi_document
from signalpost.console.web import build_router as console_router
from signalpost.context import Context
from signalpost.http import App, Request, Response, Router, json_response
from signalpost.http.static import StaticFiles
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

    # Swagger UI's files come from an installed package: the page renders with no network.
    swagger = StaticFiles(
        files("swagger_ui") / "static",
        ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"),
    )

    @router.get("/docs/static/{name}")
    async def docs_asset(request: Request) -> Response:
        """Swagger UI's scripts and styles."""
        name = request.path_params["name"]
        if name == "init.js":
            return Response(DOCS_INIT_JS, 200, [(b"content-type", b"text/javascript")])
        return swagger.response(request, name)

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
    app.include(console_router(ctx))
    return app
