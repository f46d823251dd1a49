"""Errors reach the client in the route's own envelope; a 429 always says when to retry."""

from __future__ import annotations

from typing import Any

from signalpost.errors import RateLimited
from signalpost.http import App, Request, Response, Router


async def _call(app: App, path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
    await app(scope, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


def _router(prefix: str, body: bytes) -> Router:
    def render(request: Request, exc: Exception) -> Response:
        del request
        status = exc.status if isinstance(exc, RateLimited) else 500
        return Response(body, status, [(b"content-type", b"application/json")])

    router = Router(prefix, tag=prefix, render_error=render)

    @router.get("/limited")
    async def limited(request: Request) -> Response:
        del request
        raise RateLimited(retry_after=7)

    return router


async def test_every_dialect_s_429_carries_retry_after() -> None:
    default = _router("/a", b'{"dialect":"a"}')
    app = App(default_router=default)
    app.include(default)
    app.include(_router("/b", b'{"dialect":"b"}'))
    for prefix in ("/a", "/b"):
        status, headers, body = await _call(app, f"{prefix}/limited")
        assert status == 429
        assert headers[b"retry-after"] == b"7"
        assert body == b'{"dialect":"%s"}' % prefix[1:].encode()
