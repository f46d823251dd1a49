"""The incoming request, parsed lazily: most handlers read one path parameter and a header."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson

from signalpost.errors import BadRequest
from signalpost.http.validation import reject_nul_in_body, reject_nul_in_query

__all__ = ["Receive", "Request"]

Receive = Any
MAX_BODY = 16 * 1024 * 1024


class Request:
    __slots__ = ("_body", "_headers", "_query", "_receive", "path_params", "scope", "state")

    def __init__(self, scope: dict[str, Any], receive: Receive, path_params: dict[str, str]):
        self.scope = scope
        self._receive = receive
        self.path_params = path_params
        self._headers: dict[str, str] | None = None
        self._query: list[tuple[str, str]] | None = None
        self._body: bytes | None = None
        self.state: dict[str, Any] = {}

    @property
    def method(self) -> str:
        method: str = self.scope["method"]
        return method

    @property
    def path(self) -> str:
        path: str = self.scope["path"]
        return path

    @property
    def headers(self) -> dict[str, str]:
        """Header names in lower case; repeated headers are joined with a comma."""
        if self._headers is None:
            headers: dict[str, str] = {}
            for raw_name, raw_value in self.scope["headers"]:
                name = raw_name.decode("latin-1").lower()
                value = raw_value.decode("latin-1")
                headers[name] = f"{headers[name]},{value}" if name in headers else value
            self._headers = headers
        return self._headers

    def header(self, name: str) -> str | None:
        """One header by lower-case name, without building the whole dictionary (ASGI
        servers hand header names over in lower case)."""
        if self._headers is not None:
            return self._headers.get(name)
        key = name.encode("latin-1")
        for raw_name, raw_value in self.scope["headers"]:
            if raw_name == key:
                value: str = raw_value.decode("latin-1")
                return value
        return None

    @property
    def query_list(self) -> list[tuple[str, str]]:
        if self._query is None:
            raw = self.scope.get("query_string", b"").decode("latin-1")
            pairs = parse_qsl(raw, keep_blank_values=True)
            if "%00" in raw or "\x00" in raw:
                reject_nul_in_query(pairs)
            self._query = pairs
        return self._query

    def query(self, name: str) -> str | None:
        for key, value in self.query_list:
            if key == name:
                return value
        return None

    def query_folded(self, name: str) -> str | None:
        """The first value of ``name`` matched in any case (``$pageSize``, ``$pagesize``)."""
        folded = name.lower()
        for key, value in self.query_list:
            if key.lower() == folded:
                return value
        return None

    def query_all(self, name: str) -> list[str]:
        return [value for key, value in self.query_list if key == name]

    async def body(self) -> bytes:
        if self._body is None:
            chunks: list[bytes] = []
            size = 0
            more = True
            while more:
                message = await self._receive()
                if message["type"] == "http.disconnect":
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > MAX_BODY:
                    raise BadRequest("Request body too large")
                chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
            if b"\x00" in body or b"\\u0000" in body:
                reject_nul_in_body(body)
            self._body = body
        return self._body

    async def json(self) -> Any:
        """The body parsed as JSON; malformed JSON is a 400 :class:`BadRequest`."""
        body = await self.body()
        if not body:
            raise BadRequest("Request body must be JSON")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"Malformed JSON: {exc.args[0]}") from exc
