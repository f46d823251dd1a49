"""Routes in a path trie: one dictionary read per path segment, whatever the route count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from signalpost.http.params import IntParam, TimeParam
from signalpost.http.request import Request
from signalpost.http.response import Response

__all__ = [
    "ErrorRenderer",
    "Handler",
    "Param",
    "QueryParam",
    "Reply",
    "Route",
    "RouteTable",
    "Router",
    "Verbs",
    "as_reply",
]

Handler = Callable[[Request], Awaitable[Response]]
ErrorRenderer = Callable[[Request, Exception], Response]
QueryParam = IntParam | TimeParam  # a typed query parameter, documented with its bounds


@dataclass(frozen=True, slots=True)
class Param:
    """A documented parameter (path, query or a body read as is): what it is and its JSON
    schema (``{"type": "string"}`` unless said otherwise)."""

    description: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False
    media_type: str = "application/json"  # of a body


@dataclass(frozen=True, slots=True)
class Reply:
    """One documented answer: what it means and the model of its body (None: no body, or
    not JSON)."""

    description: str
    model: Any = None  # a pydantic model class
    media_type: str | tuple[str, ...] = "application/json"  # or the types it may be


@dataclass(slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    router: Router
    summary: str = ""
    body: Any = None  # a pydantic model class documenting the request body
    query: Mapping[str, str | QueryParam | Param] = field(default_factory=dict)
    responses: Mapping[int, Reply] = field(default_factory=dict)
    path_params: Mapping[str, Param] = field(default_factory=dict)
    name: str = ""  # the operation's name (its handler's)
    raw_body: Any = None  # a Param, or a pydantic model of a body the handler reads itself


def as_reply(value: Reply | str | Any) -> Reply:
    """A documented answer from a ``Reply``, a description, or a model class (described
    by the first line of its docstring)."""
    if isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return Reply(value)
    return Reply((value.__doc__ or value.__name__).strip().split("\n")[0], value)


H = TypeVar("H")


class Verbs(Generic[H]):
    """``get``/``post``/``put``/``patch``/``delete`` as shorthands of ``route``, for route
    tables whose handlers are of type ``H``."""

    route: Callable[..., Callable[[H], H]]  # (method, path, **options) of the table

    def get(self, path: str, **kw: Any) -> Callable[[H], H]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[H], H]:
        return self.route("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[H], H]:
        return self.route("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[H], H]:
        return self.route("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[H], H]:
        return self.route("DELETE", path, **kw)


class Router(Verbs[Handler]):
    """A group of routes sharing a prefix, an OpenAPI tag and an error envelope.

    ``owns`` are the path prefixes whose unknown paths this router answers (404 in its
    envelope); by default the router's own prefix and everything below it.  A prefix that
    ends in ``/`` also covers the path without it (``/v3/`` covers ``/v3``).
    """

    def __init__(
        self,
        prefix: str,
        *,
        tag: str,
        render_error: ErrorRenderer,
        owns: tuple[str, ...] | None = None,
        documented: bool = True,
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self.tag = tag
        self.documented = documented  # in the OpenAPI document (pages for browsers are not)
        self.render_error = render_error
        self.owns = owns if owns is not None else ((self.prefix + "/",) if self.prefix else ())
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str = "",
        body: Any = None,
        query: Mapping[str, str | QueryParam | Param] | None = None,
        responses: Mapping[int, str | Reply] | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method,
                    self.prefix + path,
                    handler,
                    self,
                    summary or (handler.__doc__ or "").strip().split("\n")[0],
                    body,
                    query or {},
                    {status: as_reply(reply) for status, reply in (responses or {}).items()},
                    name=handler.__name__,
                )
            )
            return handler

        return register


class _Node:
    __slots__ = ("methods", "param", "param_name", "static")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.param_name = ""
        self.methods: dict[str, Route] = {}


_NO_METHODS: Mapping[str, Route] = {}


def split_path(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


class RouteTable:
    """All routes of an application; ``match`` returns the route and its path parameters."""

    def __init__(self) -> None:
        self._root = _Node()
        self.routes: list[Route] = []

    def add(self, route: Route) -> None:
        node = self._root
        for part in split_path(route.path):
            if part.startswith("{") and part.endswith("}"):
                name = part[1:-1]
                if node.param is None:
                    node.param = _Node()
                    node.param_name = name
                elif node.param_name != name:
                    raise ValueError(
                        f"{route.path}: parameter {name} clashes with {node.param_name}"
                    )
                node = node.param
            else:
                node = node.static.setdefault(part, _Node())
        if route.method in node.methods:
            raise ValueError(f"duplicate route {route.method} {route.path}")
        node.methods[route.method] = route
        self.routes.append(route)

    def match(
        self, method: str, path: str
    ) -> tuple[Route | None, dict[str, str], Mapping[str, Route]]:
        """``(route, params, routes of the path by method)``: no route but some methods
        means 405."""
        node: _Node | None = self._root
        params: dict[str, str] = {}
        for part in path.split("/"):
            if not part:
                continue
            assert node is not None
            nxt = node.static.get(part)
            if nxt is None:
                if node.param is None:
                    return None, params, _NO_METHODS
                params[node.param_name] = part
                nxt = node.param
            node = nxt
        assert node is not None
        route = node.methods.get(method)
        if route is None and method == "HEAD":
            route = node.methods.get("GET")
        return route, params, node.methods
