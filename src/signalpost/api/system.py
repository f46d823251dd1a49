"""Routes every process answers: liveness, readiness, metrics; the API's documents."""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Literal

import orjson
from pydantic import BaseModel, RootModel

from signalpost.api.native.answers import NativeError
from signalpost.api.native.errors import render_error
from signalpost.api.openapi import DOCS_HTML, DOCS_INIT_JS, openapi_document
from signalpost.http import App, Request, Response, Router, json_response
from signalpost.http.router import Reply
from signalpost.http.static import StaticFiles
from signalpost.observability.gauges import database_samples, smpp_samples
from signalpost.observability.health import Readiness
from signalpost.observability.metrics import CONTENT_TYPE, ScrapeCollector, render

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["operations_router", "system_router"]

log = logging.getLogger("signalpost.metrics")


class Health(BaseModel):
    """The process answers."""

    status: Literal["ok"]


class ReadinessOut(BaseModel):
    """Whether the process can serve, and each check's outcome."""

    status: Literal["ready", "unready"]
    checks: dict[str, Any]


class Document(RootModel[dict[str, Any]]):
    """A JSON document."""


READINESS = Reply("ready", ReadinessOut)
ASSET_TYPES = ("text/javascript", "text/css", "image/png")
NOT_FOUND = Reply("no such file", NativeError)


def operations_router(
    ctx: Context, app: App, *, workers: Callable[[], bool] | None = None
) -> Router:
    """``/healthz``, ``/readyz`` and ``/metrics`` (also served by worker-only processes)."""
    router = Router("", tag="system", render_error=render_error)
    carriers = list(ctx.carriers.carriers.values())
    readiness = Readiness(ctx.db, carriers, workers)
    gauges = ScrapeCollector()
    gauges.sources.append(lambda: smpp_samples(carriers))

    @router.get("/healthz", responses={200: Reply("the process answers", Health)})
    async def healthz(request: Request) -> Response:
        """Liveness: the process answers (readiness is /readyz)."""
        del request
        return json_response({"status": "ok"})

    @router.get(
        "/readyz",
        responses={200: READINESS, 503: Reply("not ready, with the failed checks", ReadinessOut)},
    )
    async def readyz(request: Request) -> Response:
        """Readiness: database reachable, migrations current, workers and SMPP binds up."""
        del request
        ready, checks = await readiness.check()
        body = {"status": "ready" if ready else "unready", "checks": checks}
        return json_response(body, 200 if ready else 503)

    @router.get(
        "/metrics", responses={200: Reply("Prometheus text exposition", media_type="text/plain")}
    )
    async def metrics(request: Request) -> Response:
        """Prometheus metrics of this process, and gauges read from the database now."""
        del request
        try:
            gauges.samples = await database_samples(ctx.db)
        except Exception as exc:  # the process's own metrics are still worth serving
            log.warning("metrics: database gauges unavailable (%s)", type(exc).__name__)
            gauges.samples = []
        body = render(app.metrics, gauges)
        return Response(body, 200, [(b"content-type", CONTENT_TYPE.encode())])

    return router


def system_router(app: App) -> Router:
    """The OpenAPI document and the interactive documentation."""
    router = Router("", tag="system", render_error=render_error)

    @router.get("/openapi.json", responses={200: Reply("the OpenAPI 3.1 document", Document)})
    async def openapi(request: Request) -> Response:
        """This document."""
        del request
        body = orjson.dumps(openapi_document(app.routes))
        return Response(body, 200, [(b"content-type", b"application/json")])

    @router.get("/docs", responses={200: Reply("the documentation page", media_type="text/html")})
    async def docs(request: Request) -> Response:
        """Interactive API documentation."""
        del request
        return Response(DOCS_HTML.encode(), 200, [(b"content-type", b"text/html; charset=utf-8")])

    # Swagger UI's files come from an installed package: the page renders with no network.
    swagger = StaticFiles(
        files("swagger_ui") / "static",
        ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"),
    )

    @router.get(
        "/docs/static/{name}",
        responses={
            200: Reply("the file", media_type=ASSET_TYPES),
            304: "not modified since the copy the browser holds",
            404: NOT_FOUND,
        },
    )
    async def docs_asset(request: Request) -> Response:
        """Swagger UI's scripts and styles."""
        name = request.path_params["name"]
        if name == "init.js":
            return Response(DOCS_INIT_JS, 200, [(b"content-type", b"text/javascript")])
        return swagger.response(request, name)

    return router
