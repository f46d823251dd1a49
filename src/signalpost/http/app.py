"""The ASGI application: route table, error rendering per dialect, lifespan hooks."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from time import perf_counter
from typing import Any

from signalpost.errors import AppError, NotFound, RateLimited
from signalpost.http.request import Request
from signalpost.http.response import Response
from signalpost.http.router import Route, Router, RouteTable
from signalpost.http.validation import reject_nul_in_path
from signalpost.observability.metrics import HttpMetrics
from signalpost.request_ids import (
    accepted_request_id,
    new_request_id,
    reset,
    use_request_id,
)

__all__ = ["App"]

log = logging.getLogger("signalpost.http")
access_log = logging.getLogger("signalpost.access")

Hook = Callable[[], Awaitable[None]]


class MethodNotAllowed(AppError):
    """Method not allowed for this path."""

    status = 405
    code = "method_not_allowed"

    def __init__(self, allowed: list[str]) -> None:
        super().__init__()
        self.allowed = allowed


class App:
    """Dispatches each request to its route and renders errors in the route's own envelope."""

    def __init__(self, *, default_router: Router) -> None:
        self.table = RouteTable()
        self.routers: list[Router] = []
        self._owners: list[tuple[str, Router]] = []  # longest prefix first
        self.default_router = default_router
        self.on_startup: list[Hook] = []
        self.on_shutdown: list[Hook] = []
        self.metrics = HttpMetrics()
        self.access_log = False

    def include(self, router: Router) -> None:
        self.routers.append(router)
        for route in router.routes:
            self.table.add(route)
        self._owners.extend((prefix, router) for prefix in router.owns)
        self._owners.sort(key=lambda owner: len(owner[0]), reverse=True)

    @property
    def routes(self) -> list[Route]:
        return self.table.routes

    def router_for(self, path: str) -> Router:
        """The router whose envelope answers an unknown ``path``: the longest owned prefix
        (``/v1/sms`` is MailerSend's inside the native ``/v1/``), else the default."""
        for prefix, router in self._owners:
            if path.startswith(prefix) or (prefix.endswith("/") and path == prefix[:-1]):
                return router
        return self.default_router

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Answer one request: its id set for the logs and sent back in ``X-Request-Id``,
        errors in the envelope of the route's dialect, the request counted."""
        started = perf_counter()
        request_id = _request_id(scope["headers"])
        token = use_request_id(request_id)
        path: str = scope["path"]
        route, params, methods = self.table.match(scope["method"], path)
        request = Request(scope, receive, params)
        try:
            if route is None:
                raise _unmatched(methods)
            if "\x00" in path:
                reject_nul_in_path(params)
            response = await route.handler(request)
        except Exception as exc:
            response = self._error(request, route, methods, exc)
        finally:
            reset(token)
        if scope["method"] == "HEAD":
            response = Response(b"", response.status, response.headers)
        response.headers.append((b"x-request-id", request_id.encode()))
        await response.send(send)
        elapsed = perf_counter() - started
        if route is not None:
            self.metrics.observe(route.path, route.router.tag, response.status, elapsed)
        else:
            self.metrics.observe("unmatched", "none", response.status, elapsed)
        if self.access_log:
            self._log_access(scope, route, response.status, elapsed, request_id)

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

    def _error(
        self, request: Request, route: Route | None, methods: Mapping[str, Route], exc: Exception
    ) -> Response:
        """``exc`` in the envelope of the route, of the path's routes (405) or of the router
        owning the path (404), with the headers every dialect's answer needs."""
        if route is not None:
            router = route.router
        elif methods:
            router = next(iter(methods.values())).router
        else:
            router = self.router_for(request.path)
        if not isinstance(exc, AppError):
            log.exception("unhandled error on %s %s", request.method, request.path)
        response = router.render_error(request, exc)
        if isinstance(exc, RateLimited):  # whatever the dialect's body, when to come back
            response.set_header("retry-after", str(exc.retry_after))
        elif isinstance(exc, MethodNotAllowed):
            response.set_header("allow", ", ".join(exc.allowed))
        return response

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


def _unmatched(methods: Mapping[str, Route]) -> AppError:
    """405 with the methods the path has, or 404 for a path no route has."""
    if not methods:
        return NotFound("Route not found")
    allowed = sorted(methods)
    if "GET" in methods and "HEAD" not in methods:
        allowed = sorted([*allowed, "HEAD"])
    return MethodNotAllowed(allowed)


def _request_id(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's ``X-Request-Id`` when it is safe to log, else a new one."""
    for name, value in headers:
        if name == b"x-request-id":
            return accepted_request_id(value) or new_request_id()
    return new_request_id()
