"""The ASGI application: route table, error rendering per dialect, lifespan hooks."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import Any

from signalpost.errors import AppError, NotFound, RateLimited
from signalpost.http.request import Request
from signalpost.http.response import Response
from signalpost.http.router import Route, Router, RouteTable
from signalpost.observability.context import (
    accepted_request_id,
    new_request_id,
    reset,
    use_request_id,
)
from signalpost.observability.metrics import HttpMetrics

__all__ = ["App", "Mount"]

log = logging.getLogger("signalpost.http")
access_log = logging.getLogger("signalpost.access")

Hook = Callable[[], Awaitable[None]]
Mount = Router


class MethodNotAllowed(AppError):
    """Method not allowed for this path."""

    status = 405
    code = "method_not_allowed"


class App:
    """Dispatches each request to its route and renders errors in the route's own envelope."""

    def __init__(self, *, default_router: Router) -> None:
        self.table = RouteTable()
        self.routers: list[Router] = []
        self.default_router = default_router
        self.on_startup: list[Hook] = []
        self.on_shutdown: list[Hook] = []
        self.state: dict[str, Any] = {}
        self.metrics = HttpMetrics()
        self.access_log = False

    def include(self, router: Router) -> None:
        self.routers.append(router)
        for route in router.routes:
            self.table.add(route)

    @property
    def routes(self) -> list[Route]:
        return self.table.routes

    def _router_for(self, path: str) -> Router:
        best = self.default_router
        for router in self.routers:
            if (
                router.prefix
                and path.startswith(router.prefix)
                and len(router.prefix) > len(best.prefix)
            ):
                best = router
        return best

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = perf_counter()
        request_id = _request_id(scope["headers"])
        token = use_request_id(request_id)
        try:
            route, response = await self._respond(scope, receive)
        finally:
            reset(token)
        headers = response.headers
        for name, _ in headers:
            if name == b"x-request-id":  # a dialect may set its own
                break
        else:
            headers.append((b"x-request-id", request_id.encode()))
        await response.send(send)
        elapsed = perf_counter() - started
        if route is not None:
            self.metrics.observe(route.path, route.router.tag, response.status, elapsed)
        else:
            self.metrics.observe("unmatched", "none", response.status, elapsed)
        if self.access_log:
            self._log_access(scope, route, response.status, elapsed, request_id)

    async def _respond(self, scope: dict[str, Any], receive: Any) -> tuple[Route | None, Response]:
        route, params, exists = self.table.match(scope["method"], scope["path"])
        request = Request(scope, receive, params)
        try:
            if route is None:
                raise MethodNotAllowed() if exists else NotFound("Route not found")
            response = await route.handler(request)
        except Exception as exc:
            router = route.router if route is not None else self._router_for(scope["path"])
            if not isinstance(exc, AppError):
                log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            response = router.render_error(request, exc)
            if isinstance(exc, RateLimited):  # whatever the dialect's body, when to come back
                response.set_header("retry-after", str(exc.retry_after))
        if scope["method"] == "HEAD":
            response = Response(b"", response.status, response.headers)
        return route, response

    @staticmethod
    def _log_access(
        scope: dict[str, Any], route: Route | None, status: int, elapsed: float, request_id: str
    ) -> None:
        """One line per request: method, path (never its query, which may hold secrets),
        route template, status and duration."""
        access_log.info(
            "%s %s %d %.1fms",
            scope["method"],
            scope["path"],
            status,
            elapsed * 1000,
            extra={
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "route": route.path if route is not None else None,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    for hook in self.on_startup:
                        await hook()
                except Exception as exc:
                    log.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for hook in reversed(self.on_shutdown):
                    try:
                        await hook()
                    except Exception:
                        log.exception("shutdown hook failed")
                await send({"type": "lifespan.shutdown.complete"})
                return


def _request_id(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's ``X-Request-Id`` when it is safe to log, else a new one."""
    for name, value in headers:
        if name == b"x-request-id":
            return accepted_request_id(value) or new_request_id()
    return new_request_id()
