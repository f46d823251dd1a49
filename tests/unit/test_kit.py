"""The dialect kit: a router of a dialect may answer errors in its own envelope, with the
dialect's limit headers, and a body the handler reads itself arrives before its transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from signalpost.api.kit import Caller, Dialect, Param, Routes
from signalpost.api.ratelimit import RateLimiter
from signalpost.errors import NotFound
from signalpost.http import App, Request, Response, json_response

if TYPE_CHECKING:
    from signalpost.context import Context


class _Db:
    def __init__(self) -> None:
        self.events: list[str] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[str]:
        self.events.append("transaction")
        yield "conn"


async def _call(
    app: App, db: _Db, method: str, path: str, body: bytes = b""
) -> tuple[int, Any, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        db.events.append("body")
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": [], "query_string": b""}
    await app(scope, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


def _app() -> tuple[App, _Db]:
    main = Routes[RateLimiter]("/v1")
    tokens = Routes[RateLimiter](
        "/token", render_error=lambda request, exc: json_response({"error": "oauth"}, 400)
    )

    @tokens.get("/missing", limit="calls")
    async def missing(
        state: RateLimiter, request: Request, scope: None, body: None, conn: None
    ) -> Response:
        raise NotFound("gone")

    @main.post("/things", tx="write", raw_body=Param("a thing"))
    async def create(
        state: RateLimiter, request: Request, scope: None, body: None, conn: str
    ) -> Response:
        return json_response({"conn": conn, "body": (await request.body()).decode()})

    async def authenticate(state: RateLimiter, request: Request) -> Caller:
        return Caller("caller")

    dialect = Dialect[RateLimiter](
        name="test",
        state=lambda ctx: RateLimiter("test", {"calls": "5/minute"}),
        routes=(main, tokens),
        render_error=lambda request, exc: json_response({"error": "main"}, 404),
        authenticate=authenticate,
        limiter=lambda limits: limits,
        limit_headers=lambda decision: [(b"x-left", b"%d" % decision.remaining)],
    )
    db = _Db()
    routers = dialect.mount(cast("Context", SimpleNamespace(db=db)))
    app = App(default_router=routers[0])
    for router in routers:
        app.include(router)
    return app, db


async def test_a_router_answers_in_its_own_envelope_with_the_dialects_limit_headers() -> None:
    status, headers, body = await _call(*_app(), "GET", "/token/missing")
    assert (status, body) == (400, b'{"error":"oauth"}')
    assert headers[b"x-left"] == b"4"


async def test_a_body_read_by_the_handler_arrives_before_its_transaction() -> None:
    app, db = _app()
    status, _, body = await _call(app, db, "POST", "/v1/things", b"hello")
    assert (status, body) == (200, b'{"conn":"conn","body":"hello"}')
    assert db.events == ["body", "transaction"]
