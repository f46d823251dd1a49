"""The v3 response envelope and the headers every v3 response carries.

``{"success", "data", "error", "meta": {"request_id", "timestamp", "version"}}`` with
``X-Request-Id`` (added by the application, the same id as ``meta.request_id``),
``X-Response-Time`` and ``X-API-Version``; once the caller is counted, the dialect kit
adds ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from signalpost.api.sentdm.wire import request_id, timestamp
from signalpost.http import Request, Response
from signalpost.request_ids import current_request_id

__all__ = ["CALL", "Call", "call_of", "envelope", "respond", "respond_json", "respond_raw"]

_CONTENT_TYPE = (b"content-type", b"application/json")
_API_VERSION = (b"x-api-version", b"v3")
CALL = "sentdm"  # request.state key of the request's Call


class Call:
    """One v3 request as the dialect sees it: its id and its timing."""

    __slots__ = ("now", "request_id", "started")

    def __init__(self, request_id: str, started: float, now: int) -> None:
        self.request_id = request_id
        self.started = started
        self.now = now

    @classmethod
    def start(cls) -> Call:
        """A call under the request's own id (the one in ``X-Request-Id`` and the logs)."""
        return cls(
            current_request_id() or request_id(), time.perf_counter(), time.time_ns() // 1000
        )


def call_of(request: Request) -> Call:
    """The request's call, started when it is first asked for (when the caller is
    authenticated, or when an error is answered before that)."""
    call: Call | None = request.state.get(CALL)
    if call is None:
        call = request.state[CALL] = Call.start()
    return call


def envelope(call: Call, data: Any, *, error: Any = None) -> bytes:
    """The JSON body of a response."""
    return orjson.dumps(
        {
            "success": error is None,
            "data": data,
            "error": error,
            "meta": {
                "request_id": call.request_id,
                "timestamp": timestamp(call.now),
                "version": "v3",
            },
        }
    )


def respond_json(call: Call, data: bytes, status: int = 200) -> Response:
    """The envelope around ``data``, JSON already encoded (a cached view), with the common
    headers: the same bytes :func:`envelope` makes, without encoding the data again."""
    body = b"".join(
        (
            b'{"success":true,"data":',
            data,
            b',"error":null,"meta":{"request_id":"',
            call.request_id.encode(),
            b'","timestamp":"',
            timestamp(call.now).encode(),
            b'","version":"v3"}}',
        )
    )
    return respond_raw(call, body, status)


def respond_raw(call: Call, body: bytes, status: int) -> Response:
    """A response with a ready body and the common headers."""
    elapsed = b"%.0fms" % ((time.perf_counter() - call.started) * 1000)
    return Response(body, status, [_CONTENT_TYPE, _API_VERSION, (b"x-response-time", elapsed)])


def respond(call: Call, data: Any, status: int = 200, *, error: Any = None) -> Response:
    """The envelope around ``data`` (or ``error``) with the common headers."""
    return respond_raw(call, envelope(call, data, error=error), status)
