"""The dialect kit: a route is declared once, and a dialect is one value.

A declaration says everything about a route: method and path, whether (and how) its
caller is authenticated, which rate limits it counts, its request model, its answers per
status with their models, its query and path parameters, and whether it runs in a read or
a write transaction::

    routes = Routes[Api]("/v1")

    @routes.get("/messages/{id}", tx="read", responses={200: Reply("the message", MessageOut)})
    async def get_message(api: Api, request: Request, scope: Scope, body: None,
                          conn: Connection) -> Response: ...

A :class:`Dialect` binds its declarations to a process when the application is built
(:meth:`Dialect.mount`): the authentication, the limits, the body parser and the
transaction are resolved then, so a request costs the route lookup (one dictionary read
per path segment) and the steps its declaration names, nothing else.  The handler gets
the dialect's state (made once per process from the context), the request, the caller's
tenant (``None`` for a public route), the parsed body (``None`` without a model) and the
connection (``None`` without ``tx``).

Rate-limit headers are added one way for every dialect: the dialect's
:attr:`Dialect.limit_headers` of the last counted limit, on answers and on errors alike.
Errors are rendered in the dialect's envelope (:attr:`Dialect.render_error`), or in a
router's own where one host of the dialect answers in another (:attr:`Routes.render_error`,
as an OAuth token endpoint does).  The OpenAPI document is built from the same
declarations (:mod:`signalpost.api.openapi`): request and response schemas, typed
parameters, and every status a route can answer, including those the kit itself answers
(authentication, rate limits, malformed bodies, unknown ids).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel

from signalpost.accounts.schemas import Principal, Scope
from signalpost.api.common import parse_body
from signalpost.api.ratelimit import Decision, RateLimiter
from signalpost.errors import RateLimited
from signalpost.http import Request, Response, Router
from signalpost.http.router import ErrorRenderer, Param, QueryParam, Reply, Route, Verbs, as_reply

if TYPE_CHECKING:
    from signalpost.context import Context
    from signalpost.storage import Database
    from signalpost.webhooks.formats import WebhookFormat

__all__ = [
    "DECISION",
    "Caller",
    "Dialect",
    "Param",
    "Reply",
    "Routes",
    "Tx",
]

S = TypeVar("S")
Header = tuple[bytes, bytes]
Tx = Literal["read", "write"] | None
Handler = Callable[..., Awaitable[Response]]
Statuses = tuple[int, ...] | Mapping[int, str]  # error statuses, or each with its meaning
M = TypeVar("M", bound=BaseModel)


class BodyParser(Protocol):
    """Reads a request's body into a model, refusing it in the dialect's own words."""

    async def __call__(self, request: Request, model: type[M], *, empty_ok: bool = False) -> M: ...


DECISION = "ratelimit.decision"  # request.state key of the last counted limit
_DEFAULT: Any = object()


@dataclass(slots=True)
class Caller:
    """Who is calling: ``key`` is what rate limits count (a key id or a tenant id)."""

    key: str
    principal: Principal | None = None
    scope: Scope | None = None  # known at once, or resolved after the limits are counted


Authenticate = Callable[[Any, Request], Awaitable[Caller]]
ResolveScope = Callable[[Any, Request, Caller], Awaitable[Scope]]


@dataclass(frozen=True, slots=True)
class Declaration:
    """One route as declared: what the kit needs to run it and to document it."""

    method: str
    path: str
    handler: Handler
    summary: str
    auth: bool | Authenticate
    limits: tuple[str, ...] | None  # None: the dialect's default limits
    body: type[BaseModel] | None
    empty_body: bool
    responses: Mapping[int, Reply]
    query: Mapping[str, str | QueryParam | Param]
    path_params: Mapping[str, Param]
    tx: Tx
    raw_body: Param | type[BaseModel] | None  # a body the handler reads itself (documented)


class Routes(Verbs[Handler], Generic[S]):
    """The declarations of one router of a dialect (a path prefix and what it owns)."""

    def __init__(
        self,
        prefix: str = "",
        *,
        owns: tuple[str, ...] | None = None,
        documented: bool = True,
        tag: str | None = None,
        render_error: ErrorRenderer | None = None,
        error_model: type[BaseModel] | None = None,
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self.owns = owns
        self.documented = documented
        self.tag = tag  # None: the dialect's name
        # None: the dialect's envelope (a router may answer in another, e.g. OAuth's)
        self.render_error = render_error
        self.error_model = error_model
        self.declared: list[Declaration] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        auth: bool | Authenticate = True,
        limit: str | tuple[str, ...] | None = _DEFAULT,
        body: type[BaseModel] | None = None,
        empty_body: bool = False,
        responses: Mapping[int, Reply | type[BaseModel] | str] | None = None,
        query: Mapping[str, str | QueryParam | Param] | None = None,
        path_params: Mapping[str, Param] | None = None,
        tx: Tx = None,
        raw_body: Param | type[BaseModel] | None = None,
        summary: str = "",
    ) -> Callable[[Handler], Handler]:
        if limit is _DEFAULT:
            limits: tuple[str, ...] | None = None
        elif limit is None:
            limits = ()
        else:
            limits = (limit,) if isinstance(limit, str) else limit

        def declare(handler: Handler) -> Handler:
            self.declared.append(
                Declaration(
                    method,
                    path,
                    handler,
                    summary or (handler.__doc__ or "").strip().split("\n")[0],
                    auth,
                    limits,
                    body,
                    empty_body,
                    {status: as_reply(r) for status, r in (responses or {200: "OK"}).items()},
                    query or {},
                    path_params or {},
                    tx,
                    raw_body,
                )
            )
            return handler

        return declare


def _default_limit_headers(decision: Decision) -> list[Header]:
    return decision.headers()


def _refuse(decision: Decision) -> Exception:
    return RateLimited("Rate limit exceeded", retry_after=decision.retry_after)


@dataclass(frozen=True)
class Dialect(Generic[S]):
    """Everything a dialect is: its state, routes, caller resolution, limits, error
    envelope and webhook formats.  :data:`signalpost.api.dialects.DIALECTS` lists them."""

    name: str
    state: Callable[[Context], S]
    routes: Sequence[Routes[S]]
    render_error: Callable[[Request, Exception], Response]
    authenticate: Authenticate | None = None
    resolve_scope: ResolveScope | None = None  # after counting, when the caller has no scope
    limiter: Callable[[S], RateLimiter] | None = None
    default_limits: tuple[str, ...] = ()
    refuse: Callable[[Decision], Exception] = _refuse  # the dialect's 429
    limit_headers: Callable[[Decision], list[Header]] = _default_limit_headers
    parse_body: BodyParser = parse_body
    error_model: type[BaseModel] | None = None
    # What an unauthenticated call, a malformed or invalid body and an unknown id in the
    # path answer: statuses, or statuses with what each means in the dialect.
    auth_errors: Statuses = (401,)
    body_errors: Statuses = (400, 422)
    path_errors: Statuses = (404,)
    webhook_formats: Sequence[WebhookFormat] = field(default_factory=tuple)

    def mount(self, ctx: Context) -> list[Router]:
        """The dialect's routers for this process, every declaration bound once."""
        state = self.state(ctx)
        routers: list[Router] = []
        for routes in self.routes:
            router = Router(
                routes.prefix,
                tag=routes.tag or self.name,
                render_error=self._renderer(routes.render_error or self.render_error),
                owns=routes.owns,
                documented=routes.documented,
            )
            for declared in routes.declared:
                router.routes.append(
                    Route(
                        declared.method,
                        router.prefix + declared.path,
                        self._endpoint(ctx.db, state, declared),
                        router,
                        declared.summary,
                        declared.body,
                        declared.query,
                        self._answers(declared, routes.error_model or self.error_model),
                        declared.path_params,
                        declared.handler.__name__,
                        declared.raw_body,
                    )
                )
            routers.append(router)
        return routers

    def _renderer(self, render: ErrorRenderer) -> ErrorRenderer:
        """``render`` with the limit headers of the last counted limit."""

        def render_error(request: Request, exc: Exception) -> Response:
            response = render(request, exc)
            decision: Decision | None = request.state.get(DECISION)
            if decision is not None:
                response.headers.extend(self.limit_headers(decision))
            return response

        return render_error

    def _answers(
        self, declared: Declaration, error_model: type[BaseModel] | None
    ) -> dict[int, Reply]:
        """Every status the route can answer: its own, and those the kit answers for it."""
        answers = dict(declared.responses)
        added: set[int] = set()

        def add(statuses: Statuses, description: str) -> None:
            """The kit's statuses after the route's own; one answered for two reasons
            (a bad header or a bad id, say) tells both."""
            for status in statuses:
                text = statuses[status] if isinstance(statuses, Mapping) else description
                if status not in answers:
                    answers[status] = Reply(text, error_model)
                    added.add(status)
                elif status in added and text not in answers[status].description:
                    both = f"{answers[status].description}; {text}"
                    answers[status] = Reply(both, error_model)

        if declared.auth:
            add(self.auth_errors, "not authenticated, or not allowed")
        if self.limiter is not None and (
            declared.limits if declared.limits is not None else self.default_limits
        ):
            add((429,), "rate limit exceeded")
        if declared.body is not None or declared.raw_body is not None:
            add(self.body_errors, "malformed or invalid body")
        if declared.path_params or "{" in declared.path:
            add(self.path_errors, "not found")
        for status, reply in answers.items():
            if status >= 400 and reply.model is None and error_model is not None:
                answers[status] = Reply(reply.description, error_model)
        return dict(sorted(answers.items()))

    def _endpoint(
        self, db: Database, state: S, declared: Declaration
    ) -> Callable[[Request], Awaitable[Response]]:
        """The request handler of a declaration, with only the steps it declares."""
        handler = declared.handler
        authenticate: Authenticate | None
        if declared.auth is True:
            authenticate = self.authenticate
            assert authenticate is not None, f"{self.name}: no authenticate for {declared.path}"
        elif declared.auth is False:
            authenticate = None
        else:
            authenticate = declared.auth
        resolve = self.resolve_scope
        limits = declared.limits if declared.limits is not None else self.default_limits
        limiter = self.limiter(state) if self.limiter is not None and limits else None
        refuse = self.refuse
        headers = self.limit_headers
        model = declared.body
        empty_body = declared.empty_body
        parse = self.parse_body
        tx = declared.tx
        # a body the handler reads itself has arrived before its transaction is opened
        prefetch = declared.raw_body is not None and tx is not None

        async def endpoint(request: Request) -> Response:
            scope: Scope | None = None
            decision: Decision | None = None
            if authenticate is not None:
                caller = await authenticate(state, request)
                if limiter is not None:
                    for name in limits:
                        decision = await limiter.hit(name, caller.key)
                        request.state[DECISION] = decision
                        if not decision.allowed:
                            raise refuse(decision)
                scope = caller.scope
                if scope is None and resolve is not None:
                    scope = await resolve(state, request, caller)
            body = None if model is None else await parse(request, model, empty_ok=empty_body)
            if prefetch:
                await request.body()
            if tx is None:
                response = await handler(state, request, scope, body, None)
            elif tx == "read":
                async with db.reader() as conn:
                    response = await handler(state, request, scope, body, conn)
            else:
                async with db.transaction() as conn:
                    response = await handler(state, request, scope, body, conn)
            if decision is not None:
                response.headers.extend(headers(decision))
            return response

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint
