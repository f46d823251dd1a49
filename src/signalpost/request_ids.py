"""The request id of the work at hand, carried through tasks by a context variable.

An HTTP request sets it (from ``X-Request-Id`` or a new one); a message stores the id of
the request that accepted it, and dispatch and webhook deliveries set it again from the
message while they work on it, so every log line about one message carries one id.
"""

from __future__ import annotations

import os
from contextvars import ContextVar, Token

__all__ = [
    "MAX_REQUEST_ID",
    "accepted_request_id",
    "current_request_id",
    "new_request_id",
    "reset",
    "use_request_id",
]

MAX_REQUEST_ID = 64

_request_id: ContextVar[str | None] = ContextVar("signalpost_request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_TO_ALPHABET = bytes(ord(_ALPHABET[b % 62]) for b in range(256))
_IDS: list[str] = []  # made 256 at a time: one random read instead of one a request


def new_request_id() -> str:
    """A new id: ``req_`` and ten random letters or digits (59 bits: unique across
    processes and hosts for any practical purpose), the form sent.dm gives its ids, so one
    id serves the response, the envelope and the logs of every dialect."""
    if not _IDS:
        letters = os.urandom(2560).translate(_TO_ALPHABET).decode("ascii")
        _IDS.extend(["req_" + letters[i : i + 10] for i in range(0, 2560, 10)])
    return _IDS.pop()


def accepted_request_id(raw: bytes) -> str | None:
    """A caller's ``X-Request-Id`` if it is safe to log as is: 1 to 64 printable ASCII
    characters without spaces (anything else could forge or break log lines)."""
    if 0 < len(raw) <= MAX_REQUEST_ID and raw.isascii():
        text = raw.decode("ascii")
        if text.isprintable() and " " not in text:
            return text
    return None


def use_request_id(value: str | None) -> Token[str | None]:
    return _request_id.set(value)


def reset(token: Token[str | None]) -> None:
    _request_id.reset(token)
