"""Responses are bytes plus headers; JSON is encoded with orjson."""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["JSON_HEADERS", "Response", "json_response"]

JSON_HEADERS: tuple[tuple[bytes, bytes], ...] = ((b"content-type", b"application/json"),)


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        headers: list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...] = (),
        media_type: str | None = None,
    ) -> None:
        self.body = body
        self.status = status
        self.headers = list(headers)
        if media_type is not None:
            self.headers.append((b"content-type", media_type.encode("latin-1")))

    def set_header(self, name: str, value: str) -> None:
        key = name.lower().encode("latin-1")
        self.headers = [(k, v) for k, v in self.headers if k != key]
        self.headers.append((key, value.encode("latin-1")))

    async def send(self, send: Any) -> None:
        headers = self.headers
        headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


def json_response(
    data: Any, status: int = 200, headers: list[tuple[bytes, bytes]] | None = None
) -> Response:
    response = Response(orjson.dumps(data), status, JSON_HEADERS)
    if headers:
        response.headers.extend(headers)
    return response
