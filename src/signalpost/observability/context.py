"""The request id of the work at hand, carried through tasks by a context variable.

An HTTP request sets it (from ``X-Request-Id`` or a new one); a message stores the id of
the request that accepted it, and dispatch and webhook deliveries set it again from the
message while they work on it, so every log line about one message carries one id.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar, Token

__all__ = ["MAX_REQUEST_ID", "current_request_id", "new_request_id", "reset", "use_request_id"]

MAX_REQUEST_ID = 64

_request_id: ContextVar[str | None] = ContextVar("signalpost_request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


def use_request_id(value: str | None) -> Token[str | None]:
    return _request_id.set(value)


def reset(token: Token[str | None]) -> None:
    _request_id.reset(token)
